// The host's heap (`alloc` for the node and wasmtime): talc over the largest usable RAM
// region above the image, where "the image" ends at the payload's last byte (abi/metal.ts:
// the payload at __payload carries its total length) or at __payload when there is none.
// Only memory below 4 GiB counts, since boot.rs maps no more. One region, claimed once at
// boot; nothing is ever given back to the loader.
use crate::abi::{MTL_HEADER, MTL_MAGIC, MTL_TOTAL};
use super::mbinfo::{self, RAM};
use talc::{ErrOnOom, Span, Talc, Talck};

/// boot.rs identity-maps this much; memory above it is not reachable.
const MAPPED_LIMIT: u64 = 4 << 30;

#[global_allocator]
static ALLOCATOR: Talck<spin::Mutex<()>, ErrOnOom> = Talc::new(ErrOnOom).lock();

unsafe extern "C" {
    /// link.ld: the first 4 KiB boundary after the boot image, where a payload begins.
    static __payload: u8;
}

/// The payload's address (__payload), whether or not one is there.
pub fn payload_addr() -> u64 {
    &raw const __payload as u64
}

/// Bytes the heap could still hand out (talc's count; fragmentation may make the largest
/// single allocation smaller).
pub fn free_bytes() -> usize {
    ALLOCATOR.lock().get_counters().available_bytes
}

/// Bytes the heap has handed out and not had back (wasmtime's and the node's, the
/// services' memories included): what the node's boot line reports.
pub fn allocated_bytes() -> usize {
    ALLOCATOR.lock().get_counters().allocated_bytes
}

/// The address after the image and its payload, or a sentence when the payload's length
/// cannot be right.
fn image_end() -> Result<u64, &'static str> {
    let p = payload_addr();
    // SAFETY: __payload is the page after the image; the loader loaded the file there and
    // the RAM behind it is mapped, so these words can be read even with no payload.
    let (magic, total) = unsafe {
        (core::ptr::read_volatile(p as *const u32), core::ptr::read_volatile((p as usize + MTL_TOTAL) as *const u32))
    };
    if magic != MTL_MAGIC {
        return Ok(p);
    }
    if (total as usize) < MTL_HEADER {
        return Err("the payload's total length is smaller than its header; rebuild the image with `persia image --target metal`");
    }
    Ok(p + total as u64)
}

/// Claims the heap. Returns its size in bytes, or a sentence saying why there is none.
pub fn init() -> Result<usize, &'static str> {
    let start = image_end()?;
    let loaded_in_ram = mbinfo::regions().iter().any(|r| r.kind == RAM && r.base <= payload_addr() && start <= r.base.saturating_add(r.len));
    if !loaded_in_ram {
        return Err("the payload's total length runs past the RAM the image was loaded into; rebuild the image with `persia image --target metal`, or give the machine more memory (QEMU -m)");
    }
    let mut best = (0u64, 0u64);
    for r in mbinfo::regions().iter().filter(|r| r.kind == RAM) {
        let base = r.base.max(start);
        let end = r.base.saturating_add(r.len).min(MAPPED_LIMIT);
        if end > base && end - base > best.1 - best.0 {
            best = (base, end);
        }
    }
    if best.1 == best.0 {
        return Err("no usable RAM lies above the image and its payload (below 4 GiB); give the machine more memory (QEMU -m)");
    }
    let span = Span::new(best.0 as *mut u8, best.1 as *mut u8);
    // SAFETY: the span is RAM the memory map calls usable, past the image, its payload and
    // the boot stack, and nothing else uses it; mbinfo copied what it needed out of the
    // loader's structures before this. Claimed once, from kmain, before any allocation.
    let claimed = unsafe { ALLOCATOR.lock().claim(span) };
    match claimed {
        Ok(s) => Ok(s.size()),
        Err(()) => Err("the heap allocator refused the memory region (too small for its metadata)"),
    }
}

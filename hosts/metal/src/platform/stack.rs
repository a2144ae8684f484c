// The host's stacks, each with an unmapped guard page below it (paging.rs), so that an
// overflow is a page fault in the guard — reported by idt.rs as "the host overflowed its
// stack" — and never a silent write into whatever lies below:
//   boot  BOOT_STACK_BYTES in the image (boot.rs; .bss is stored in the file, so it is
//         small): the platform's start and nothing else
//   node  from the heap, as big as kmain asks (the node's Wasm budgets and the host frames
//         around them, main.rs), entered by `run_on_node_stack` before any Wasm runs; painted
//         at the start so that `node_deepest` can say how deep it was ever used (exit.rs prints it).
// Does not grow a stack or catch an overflow: a host overflow is fatal (exit FAILED).
use super::paging::{self, PAGE};
use alloc::alloc::{Layout, alloc};
use core::arch::asm;

/// The boot stack's size (boot.rs reserves it in .bss, its lowest page the guard).
pub const BOOT_STACK_BYTES: usize = 64 << 10;
/// What an unused word of the node stack holds ("STACKSTK").
const PAINT: u64 = 0x4b54_534b_4341_5453;

#[derive(Clone, Copy)]
struct Guarded {
    name: &'static str,
    /// The guard page's address; the usable stack is the `bytes` above it.
    guard: u64,
    bytes: usize,
}

/// The boot stack, then the node's once made. One core: written at boot with interrupts
/// off, read by the exception handler.
static mut STACKS: [Option<Guarded>; 2] = [None, None];

unsafe extern "C" {
    static boot_stack_bottom: u8;
}

/// Unmaps the boot stack's lowest page as its guard (from platform::init, once the heap is up).
pub fn guard_boot_stack() -> Result<(), &'static str> {
    let guard = &raw const boot_stack_bottom as u64;
    // SAFETY: the lowest page of the boot stack is far below anything the start has used.
    unsafe {
        paging::unmap_page(guard)?;
        STACKS[0] = Some(Guarded {
            name: "boot",
            guard,
            bytes: BOOT_STACK_BYTES - PAGE as usize,
        });
    }
    Ok(())
}

/// Which stack's guard page `addr` lies in, with that stack's usable size.
pub fn overflowed(addr: u64) -> Option<(&'static str, usize)> {
    // SAFETY: read-only; the entries are written once at boot before they can fault.
    let stacks = unsafe { STACKS };
    stacks
        .iter()
        .flatten()
        .find(|s| (s.guard..s.guard + PAGE).contains(&addr))
        .map(|s| (s.name, s.bytes))
}

/// Allocates a stack of `bytes` (whole pages) and a guard page below it from the heap,
/// paints it, and calls `entry(arg)` on it; `entry` never returns. Err is a sentence
/// saying why there is no such stack.
pub fn run_on_node_stack(
    bytes: usize,
    entry: extern "C" fn(usize) -> !,
    arg: usize,
) -> Result<core::convert::Infallible, &'static str> {
    let bytes = bytes.next_multiple_of(PAGE as usize);
    let layout =
        Layout::from_size_align(bytes + PAGE as usize, PAGE as usize).map_err(|_| "the node stack's size overflows")?;
    // SAFETY: a non-zero layout; the memory is never freed (the node never returns).
    let base = unsafe { alloc(layout) } as u64;
    if base == 0 {
        return Err("the heap has no room for the node's stack; give the machine more memory (QEMU -m)");
    }
    let top = base + PAGE + bytes as u64;
    // SAFETY: the allocation is ours alone; its first page becomes the guard, the rest is
    // written once with PAINT before anything runs on it.
    unsafe {
        paging::unmap_page(base)?;
        let words = core::slice::from_raw_parts_mut((base + PAGE) as *mut u64, bytes / 8);
        words.fill(PAINT);
        STACKS[1] = Some(Guarded {
            name: "node",
            guard: base,
            bytes,
        });
        // SAFETY: `top` is 16-byte aligned, so after the call's push rsp is as the SysV ABI
        // wants at a function's entry; the boot stack is left as it is (nothing returns to it).
        asm!("mov rsp, {top}", "xor ebp, ebp", "call {entry}", "ud2",
             top = in(reg) top, entry = in(reg) entry, in("rdi") arg, options(noreturn));
    }
}

/// How deep the node stack was ever used and its size, in bytes; None before it exists.
pub fn node_deepest() -> Option<(usize, usize)> {
    // SAFETY: read-only; STACKS[1] is written once before the node runs.
    let s = unsafe { STACKS[1] }?;
    let bottom = (s.guard + PAGE) as *const u64;
    // SAFETY: the stack's pages are mapped RAM of ours; words below the deepest use still
    // hold PAINT (a frame that wrote PAINT itself is counted as unused: a word's error).
    let unused = (0..s.bytes / 8)
        .take_while(|&i| unsafe { core::ptr::read_volatile(bottom.add(i)) } == PAINT)
        .count();
    Some((s.bytes - unused * 8, s.bytes))
}

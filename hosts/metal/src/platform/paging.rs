// The one change the host makes to boot.rs's identity map after boot: unmapping a single
// 4 KiB page (a stack's guard page, stack.rs). boot.rs maps the first 4 GiB with 2 MiB
// pages; the 2 MiB page that holds the page to unmap is replaced by a table of 4 KiB pages
// mapping the same memory (taken from the heap, never freed), all present but that one.
// A 2 MiB page split before is edited in place. Nothing is ever mapped again.
use alloc::alloc::{Layout, alloc_zeroed};
use core::arch::asm;

pub const PAGE: u64 = 4096;
const LARGE_PAGE: u64 = 2 << 20;
const ENTRIES: usize = 512;
const PRESENT_WRITABLE: u64 = 0x3;
const PAGE_SIZE_BIT: u64 = 0x80;
const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;

unsafe extern "C" {
    /// boot.rs: four page directories of 2 MiB pages, 2048 entries for the first 4 GiB.
    static mut boot_pd: [u64; 2048];
}

/// Makes the 4 KiB page at `addr` (page-aligned, below 4 GiB) not present, so that any
/// access to it faults. Err is a sentence: the heap had no 4 KiB for the page table.
///
/// # Safety
/// Nothing may be using the page at `addr`; interrupts off or no handler touching it.
pub unsafe fn unmap_page(addr: u64) -> Result<(), &'static str> {
    debug_assert!(addr.is_multiple_of(PAGE) && addr < (4 << 30));
    let slot = (addr / LARGE_PAGE) as usize;
    // SAFETY: boot_pd is boot.rs's page directory; the host is one core, and only this
    // function changes it after boot.
    unsafe {
        let pde = boot_pd[slot];
        let table = if pde & PAGE_SIZE_BIT != 0 {
            let t = alloc_zeroed(Layout::from_size_align_unchecked(PAGE as usize, PAGE as usize)) as *mut u64;
            if t.is_null() {
                return Err("no 4 KiB of heap for the page table of a stack's guard page");
            }
            let large = addr & !(LARGE_PAGE - 1);
            for i in 0..ENTRIES {
                *t.add(i) = (large + i as u64 * PAGE) | PRESENT_WRITABLE;
            }
            boot_pd[slot] = t as u64 | PRESENT_WRITABLE;
            t
        } else {
            (pde & ADDRESS_MASK) as *mut u64
        };
        *table.add(((addr / PAGE) as usize) % ENTRIES) = 0;
        // Reloading CR3 flushes every non-global translation, the old 2 MiB one included.
        asm!("mov {t}, cr3", "mov cr3, {t}", t = out(reg) _, options(nostack, preserves_flags));
    }
    Ok(())
}

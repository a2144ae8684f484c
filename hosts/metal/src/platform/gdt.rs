// The host's own GDT and TSS, replacing boot.rs's minimal GDT, so that a double fault runs
// on a stack of its own (IST 1): a host stack overflow then hits the guard page below the
// boot stack, the #PF cannot be pushed, and the #DF handler still prints what happened
// instead of the machine triple-faulting in silence. The guard page is made here by
// splitting the 2 MiB page that holds the boot stack's bottom into 4 KiB pages.
// Selectors stay as boot.rs set them (code 0x08, data 0x10), so no segment is reloaded
// but the task register.
use core::arch::asm;
use core::mem::size_of;

pub const IST_DOUBLE_FAULT: u8 = 1;
const TSS_SELECTOR: u16 = 0x18;
const IST_STACK_BYTES: usize = 16 * 1024;
const PAGE: u64 = 4096;
const LARGE_PAGE: u64 = 2 << 20;
const PTE_PRESENT_WRITABLE: u64 = 0x3;

/// The 64-bit TSS (Intel SDM vol. 3, 8.7): only the IST pointers are used.
#[repr(C, packed)]
struct Tss {
    _reserved0: u32,
    rsp: [u64; 3],
    _reserved1: u64,
    ist: [u64; 7],
    _reserved2: u64,
    _reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
struct Stack([u8; IST_STACK_BYTES]);
#[repr(C, align(4096))]
struct PageTable([u64; 512]);

static mut TSS: Tss = Tss { _reserved0: 0, rsp: [0; 3], _reserved1: 0, ist: [0; 7], _reserved2: 0, _reserved3: 0, iomap_base: size_of::<Tss>() as u16 };
static mut DF_STACK: Stack = Stack([0; IST_STACK_BYTES]);
static mut GDT: [u64; 5] = [0, 0x0020_9A00_0000_0000, 0x0000_9200_0000_0000, 0, 0];
static mut GUARD_PT: PageTable = PageTable([0; 512]);

unsafe extern "C" {
    static boot_stack_bottom: u8;
    static mut boot_pd: [u64; 2048];
}

/// The boot stack's guard page (not present): an access there is a host stack overflow.
pub fn guard_page() -> u64 {
    &raw const boot_stack_bottom as u64
}

/// Loads the GDT with a TSS whose IST 1 is the double-fault stack, and unmaps the guard page.
pub fn init() {
    // SAFETY: runs once at boot with interrupts off, before any other user of these statics;
    // the descriptors follow Intel SDM vol. 3, 3.4.5 and 8.2.3 (a 16-byte system descriptor).
    unsafe {
        let df_top = (&raw mut DF_STACK as u64) + IST_STACK_BYTES as u64;
        TSS.ist[(IST_DOUBLE_FAULT - 1) as usize] = df_top;
        let base = &raw const TSS as u64;
        let limit = (size_of::<Tss>() - 1) as u64;
        GDT[3] = (limit & 0xffff) | (base & 0xff_ffff) << 16 | 0x89 << 40 | (limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
        GDT[4] = base >> 32;
        let ptr = DescriptorPointer { limit: (size_of::<[u64; 5]>() - 1) as u16, base: &raw const GDT as u64 };
        asm!("lgdt [{}]", in(reg) &ptr, options(readonly, nostack, preserves_flags));
        asm!("ltr {0:x}", in(reg) TSS_SELECTOR, options(nomem, nostack, preserves_flags));
        unmap_guard_page();
    }
}

#[repr(C, packed)]
pub struct DescriptorPointer {
    pub limit: u16,
    pub base: u64,
}

/// Replaces the 2 MiB page holding the guard page by a table of 4 KiB pages mapping the
/// same memory, all present but the guard page, then flushes the TLB.
unsafe fn unmap_guard_page() {
    let guard = guard_page();
    let large = guard & !(LARGE_PAGE - 1);
    // SAFETY: the caller (init) holds the only references; boot_pd is boot.rs's page directory.
    unsafe {
        let pt = &raw mut GUARD_PT;
        for i in 0..512 {
            let addr = large + i as u64 * PAGE;
            (*pt).0[i] = if addr == guard { 0 } else { addr | PTE_PRESENT_WRITABLE };
        }
        boot_pd[(large / LARGE_PAGE) as usize] = (&raw const GUARD_PT as u64) | PTE_PRESENT_WRITABLE;
        asm!("mov {t}, cr3", "mov cr3, {t}", t = out(reg) _, options(nostack, preserves_flags));
    }
}

// The host's own GDT and TSS, replacing boot.rs's minimal GDT, so that a double fault runs
// on a stack of its own (IST 1): a host stack overflow then hits the guard page below the
// stack in use (stack.rs), the #PF cannot be pushed, and the #DF handler still prints what
// happened instead of the machine triple-faulting in silence.
// Selectors stay as boot.rs set them (code 0x08, data 0x10), so no segment is reloaded
// but the task register.
use core::arch::asm;
use core::mem::size_of;

pub const IST_DOUBLE_FAULT: u8 = 1;
const TSS_SELECTOR: u16 = 0x18;
const IST_STACK_BYTES: usize = 16 * 1024;

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

static mut TSS: Tss = Tss { _reserved0: 0, rsp: [0; 3], _reserved1: 0, ist: [0; 7], _reserved2: 0, _reserved3: 0, iomap_base: size_of::<Tss>() as u16 };
static mut DF_STACK: Stack = Stack([0; IST_STACK_BYTES]);
static mut GDT: [u64; 5] = [0, 0x0020_9A00_0000_0000, 0x0000_9200_0000_0000, 0, 0];

/// Loads the GDT with a TSS whose IST 1 is the double-fault stack.
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
    }
}

#[repr(C, packed)]
pub struct DescriptorPointer {
    pub limit: u16,
    pub base: u64,
}

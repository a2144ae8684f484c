// Interrupts and exceptions: 256 entry points (one per vector, 16 bytes apart), a common
// path that saves the caller-saved registers and calls `dispatch`, and the IDT.
// Exceptions (vectors 0..31) print the vector, error code, RIP, RSP and CR2 and exit
// FAILED: a fault in the host is a line on the console, never a silent triple fault (a
// double fault runs on its own stack, gdt.rs). PIC lines go to pic.rs, the LAPIC timer to
// clock.rs; any other vector is an error of the host and is reported the same way.
// The handlers are Rust built soft-float, so no SSE/AVX register needs saving.
use super::cpu::cr2;
use super::gdt::{DescriptorPointer, IST_DOUBLE_FAULT};
use super::stack;
use super::exit::{exit, MtlExit};
use core::arch::{asm, global_asm};

/// First vector of the 8259 lines (pic.rs remaps IRQ 0..15 to 32..47).
pub const PIC_BASE: u8 = 32;
/// The LAPIC timer's vector (clock.rs).
pub const LAPIC_TIMER: u8 = 48;
/// The LAPIC's spurious-interrupt vector (clock.rs sets it in the SVR); needs no EOI.
pub const LAPIC_SPURIOUS: u8 = 0xff;
const DOUBLE_FAULT: u64 = 8;
const PAGE_FAULT: u64 = 14;
const ENTRY_BYTES: u64 = 16;

// Vectors whose exception pushes an error code (Intel SDM vol. 3, table 6-1); the entry point of
// every other vector pushes a 0 in its place, so the frame is the same for all.
global_asm!(
    r#"
    .section .text.isr, "ax"
    .balign 16
    .global isr_entries
isr_entries:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
    .set vec, vec + 1
    .endr

isr_common:
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    mov %rsp, %rdi
    cld
    call {dispatch}
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    add $16, %rsp
    iretq
"#,
    dispatch = sym dispatch,
    options(att_syntax)
);

/// The stack at `dispatch`: saved registers, the entry point's vector and error code, then what
/// the CPU pushed. 16-byte aligned at the call (the CPU aligns, 56 + 72 bytes follow).
#[repr(C)]
pub struct Frame {
    pub r11: u64, pub r10: u64, pub r9: u64, pub r8: u64,
    pub rdi: u64, pub rsi: u64, pub rdx: u64, pub rcx: u64, pub rax: u64,
    pub vector: u64,
    pub error: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

#[derive(Clone, Copy)]
#[repr(C, packed)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    attributes: u8,
    offset_mid: u16,
    offset_high: u32,
    _zero: u32,
}

const INTERRUPT_GATE: u8 = 0x8e; // present, ring 0, 64-bit interrupt gate (IF cleared on entry)
const CODE_SELECTOR: u16 = 0x08;

static mut IDT: [Gate; 256] = [Gate { offset_low: 0, selector: 0, ist: 0, attributes: 0, offset_mid: 0, offset_high: 0, _zero: 0 }; 256];

unsafe extern "C" {
    static isr_entries: u8;
}

/// Fills and loads the IDT. Interrupts stay off until the caller enables them.
pub fn init() {
    let entries = &raw const isr_entries as u64;
    // SAFETY: runs once at boot with interrupts off; the entry points exist for all 256 vectors.
    unsafe {
        for v in 0..256u64 {
            let at = entries + v * ENTRY_BYTES;
            IDT[v as usize] = Gate {
                offset_low: at as u16,
                selector: CODE_SELECTOR,
                ist: if v == DOUBLE_FAULT { IST_DOUBLE_FAULT } else { 0 },
                attributes: INTERRUPT_GATE,
                offset_mid: (at >> 16) as u16,
                offset_high: (at >> 32) as u32,
                _zero: 0,
            };
        }
        let ptr = DescriptorPointer { limit: (core::mem::size_of::<[Gate; 256]>() - 1) as u16, base: &raw const IDT as u64 };
        asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack, preserves_flags));
    }
}

extern "C" fn dispatch(f: &mut Frame) {
    match f.vector {
        v if v < 32 => exception(f),
        v if (PIC_BASE as u64..PIC_BASE as u64 + 16).contains(&v) => super::pic::on_irq((v - PIC_BASE as u64) as u8),
        v if v == LAPIC_TIMER as u64 => super::clock::on_timer(),
        v if v == LAPIC_SPURIOUS as u64 => {}
        _ => {
            crate::println!("persia-metal: unexpected interrupt vector {} at rip {:#x}; nothing in the host raises it", f.vector, f.rip);
            exit(MtlExit::Failed)
        }
    }
}

const NAMES: [&str; 32] = [
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
    "segment not present", "stack-segment fault", "general protection", "page fault", "reserved",
    "x87 floating-point", "alignment check", "machine check", "SIMD floating-point",
    "virtualization", "control protection", "reserved", "reserved", "reserved", "reserved",
    "reserved", "reserved", "hypervisor injection", "VMM communication", "security", "reserved",
];

fn exception(f: &Frame) -> ! {
    let name = NAMES[f.vector as usize];
    let cr2 = cr2();
    crate::println!(
        "persia-metal: CPU exception {} ({name}), error code {:#x}, rip {:#x}, rsp {:#x}, cr2 {:#x}, rflags {:#x}",
        f.vector, f.error, f.rip, f.rsp, cr2, f.rflags
    );
    if (f.vector == PAGE_FAULT || f.vector == DOUBLE_FAULT)
        && let Some((name, bytes)) = stack::overflowed(cr2)
    {
        crate::println!("persia-metal: the host overflowed its {name} stack of {} KiB (the fault is in its guard page)", bytes >> 10);
    }
    exit(MtlExit::Failed)
}

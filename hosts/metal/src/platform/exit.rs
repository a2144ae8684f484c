// Leaving the machine: a code written to QEMU's isa-debug-exit device (abi/metal.ts
// MTL_EXIT_PORT, MtlExit) makes QEMU exit with (code << 1) | 1. Without that device
// (real hardware, or QEMU started without it) the host says so and halts for good.
use crate::abi::{self, MTL_EXIT_PORT};
use super::cpu::outl;

/// Why the host stops: abi/metal.ts MtlExit (the generated crate::abi::MtlExit), named in
/// Rust's style for the host's callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum MtlExit {
    /// The node stopped as asked (`for=` passed): QEMU exits 1.
    Stopped = abi::MtlExit::STOPPED as u32,
    /// Boot failed or the host hit an error it cannot go on from: QEMU exits 3.
    Failed = abi::MtlExit::FAILED as u32,
}

/// Stops the machine with `code`. Never returns.
pub fn exit(code: MtlExit) -> ! {
    outl(MTL_EXIT_PORT, code as u32);
    crate::println!("persia-metal: no isa-debug-exit device at port {MTL_EXIT_PORT:#x} (exit code {}); halted", code as u32);
    halt_forever()
}

/// Halts with interrupts off: nothing wakes the core again (short of an NMI, after which
/// it halts again).
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: cli; hlt stops this core; no memory is touched.
        unsafe { core::arch::asm!("cli; hlt", options(nomem, nostack)) };
    }
}

// The platform layer under the node: console, exit port, Multiboot memory map and command
// line, heap, CPU tables (GDT/TSS, IDT), the 8259 PICs, the clock (TSC + LAPIC timer),
// randomness and the wall clock of a PC. `init` brings them up once, in that order, from
// kmain, and leaves interrupts on (every PIC line masked, no timer armed). Nothing here
// knows about Wasm or the kernel; the node and the drivers use the pub modules.
pub mod clock;
pub mod cpu;
pub mod exit;
mod gdt;
pub mod heap;
mod idt;
mod lapic;
pub mod mbinfo;
mod paging;
pub mod pic;
pub mod rng;
pub mod rtc;
pub mod serial;
pub mod stack;

use exit::{exit, MtlExit};

/// What a Multiboot 1 loader leaves in EAX.
const MULTIBOOT_LOADER_MAGIC: u32 = 0x2BAD_B002;

/// What the platform found at boot that the node needs.
pub struct Boot {
    /// The wall-clock time at `boot_ms` (now_ms terms), Unix ms; None when the RTC had none.
    pub wall_ms: Option<u64>,
    pub boot_ms: u64,
}

/// Brings the platform up. A part that cannot come up is a line and exit FAILED.
pub fn init(magic: u32, info: u32) -> Boot {
    serial::init();
    crate::println!("persia-metal: booted (Multiboot info at {info:#x})");
    if magic != MULTIBOOT_LOADER_MAGIC {
        fail("the loader is not Multiboot 1 (EAX is not 0x2badb002); boot the image with QEMU -kernel or GRUB's multiboot command");
    }
    if let Err(why) = mbinfo::init(info) {
        fail(why);
    }
    if let Some(why) = mbinfo::cmdline_problem() {
        crate::println!("persia-metal: {why}");
    }
    crate::println!("persia-metal: loaded by \"{}\", command line \"{}\"", mbinfo::loader_name(), mbinfo::cmdline());
    match heap::init() {
        Ok(bytes) => crate::println!("persia-metal: heap {} MiB ({bytes} bytes)", bytes >> 20),
        Err(why) => fail(why),
    }
    let avx = cpu::enable_avx();
    gdt::init();
    idt::init();
    if let Err(why) = stack::guard_boot_stack() {
        fail(why);
    }
    pic::init();
    let c = clock::init().unwrap_or_else(|why| fail(why));
    crate::println!(
        "persia-metal: TSC {}.{:03} MHz (PIT-calibrated to {} ppm in {} runs{}), LAPIC timer {} kHz, AVX {}",
        c.tsc_hz / 1_000_000,
        c.tsc_hz / 1000 % 1000,
        c.uncertainty_ppm,
        c.runs,
        if c.invariant_tsc { ", invariant" } else { "; CPUID does not call it invariant" },
        c.lapic_hz / 1000,
        if avx { "on" } else { "absent" }
    );
    cpu::sti();
    let boot_ms = clock::now_ms();
    let wall_ms = match rtc::unix_ms() {
        Ok(ms) => {
            crate::println!("persia-metal: wall clock {} (CMOS RTC)", rtc::Iso(ms));
            Some(ms)
        }
        Err(why) => {
            crate::println!("persia-metal: no wall clock: {why}");
            None
        }
    };
    match rng::source() {
        Some(s) => crate::println!("persia-metal: random numbers from {s}"),
        None => crate::println!("persia-metal: the CPU has no usable RDSEED or RDRAND; randomness must come from virtio-rng"),
    }
    Boot { wall_ms, boot_ms }
}

/// A platform part that cannot come up: one line saying why, then exit FAILED.
pub fn fail(why: &str) -> ! {
    crate::println!("persia-metal: cannot boot: {why}");
    exit(MtlExit::Failed)
}

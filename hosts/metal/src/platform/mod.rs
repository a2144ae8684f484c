// The platform layer under the node: the console, the exit port, and (as they are added)
// the memory map, heap, interrupts, clock, randomness and wall clock of a PC. `init` brings
// them up in order once, from kmain; nothing here knows about Wasm or the kernel.
mod abi_pending;
pub mod cpu;
pub mod exit;
pub mod heap;
pub mod mbinfo;
pub mod serial;

use exit::{exit, MtlExit};

/// What a Multiboot 1 loader leaves in EAX.
const MULTIBOOT_LOADER_MAGIC: u32 = 0x2BAD_B002;

/// Brings the platform up. A loader that is not Multiboot 1 is refused with a line.
pub fn init(magic: u32, info: u32) {
    serial::init();
    crate::println!("persia-metal: booted (Multiboot info at {info:#x})");
    if magic != MULTIBOOT_LOADER_MAGIC {
        crate::println!(
            "persia-metal: the loader is not Multiboot 1 (EAX {magic:#x}, expected {MULTIBOOT_LOADER_MAGIC:#x}); boot the image with QEMU -kernel or GRUB's multiboot command"
        );
        exit(MtlExit::Failed);
    }
    if let Err(why) = mbinfo::init(info) {
        fail(why);
    }
    if let Some(why) = mbinfo::cmdline_problem() {
        crate::println!("persia-metal: {why}");
    }
    crate::println!("persia-metal: command line \"{}\"", mbinfo::cmdline());
    match heap::init() {
        Ok(bytes) => crate::println!("persia-metal: heap {} MiB ({bytes} bytes)", bytes >> 20),
        Err(why) => fail(why),
    }
}

/// A platform part that cannot come up: one line saying why, then exit FAILED.
pub fn fail(why: &str) -> ! {
    crate::println!("persia-metal: cannot boot: {why}");
    exit(MtlExit::Failed)
}

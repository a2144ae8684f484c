// The metal host (issue #12, spec/metal.md): a freestanding x86-64 image. boot.rs enters
// long mode and calls kmain; kmain brings the platform up (console, memory, interrupts,
// clock) and hands over to the node, which runs kernel.wasm and the services and never
// returns. A panic anywhere is a line on the serial console and exit FAILED.
#![no_std]
#![no_main]

extern crate alloc;

mod boot;
mod dev;
mod platform;

use platform::exit::{exit, MtlExit};

/// Called by boot.rs on the boot stack, in long mode, with SSE on and interrupts off.
#[unsafe(no_mangle)]
pub extern "C" fn kmain(magic: u32, info: u32) -> ! {
    platform::init(magic, info);
    if platform::mbinfo::cmdline().split_ascii_whitespace().any(|w| w == "devtest") {
        let ok = dev::devtest::run(platform::mbinfo::cmdline());
        exit(if ok { MtlExit::Stopped } else { MtlExit::Failed });
    }
    node::run()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("persia-metal: panic: {info}");
    exit(MtlExit::Failed)
}

// Placeholder until the engine helper's src/node/ replaces it: it says plainly that this
// image runs no node, and stops.
mod node {
    pub fn run() -> ! {
        crate::println!("persia-metal: no node yet");
        crate::platform::exit::exit(crate::platform::exit::MtlExit::Stopped)
    }
}

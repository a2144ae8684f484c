// The metal host (issue #12, spec/metal.md): a freestanding x86-64 image. boot.rs enters
// long mode and calls kmain; kmain brings the platform up (console, memory, interrupts,
// clock) and hands over to the node, which runs kernel.wasm and the services and never
// returns. A panic anywhere is a line on the serial console and exit FAILED.
#![no_std]
#![no_main]

extern crate alloc;

mod abi;
mod boot;
// Its pub functions serve the node; some are not called yet.
#[allow(dead_code)]
mod dev;
mod node;
// Its pub functions serve the node and the drivers; some are not called yet.
#[allow(dead_code)]
mod platform;

use platform::exit::{exit, MtlExit};

/// Called by boot.rs on the boot stack, in long mode, with SSE on and interrupts off.
#[unsafe(no_mangle)]
pub extern "C" fn kmain(magic: u32, info: u32) -> ! {
    let boot = platform::init(magic, info);
    if platform::mbinfo::cmdline().split_ascii_whitespace().any(|w| w == "devtest") {
        let ok = dev::devtest::run(platform::mbinfo::cmdline());
        exit(if ok { MtlExit::Stopped } else { MtlExit::Failed });
    }
    node::run(boot)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("persia-metal: panic: {info}");
    exit(MtlExit::Failed)
}

// The metal host (issue #12, spec/metal.md): a freestanding x86-64 image. boot.rs enters
// long mode and calls kmain; kmain brings the platform up (console, memory, interrupts,
// clock) and hands over to the node, which runs kernel.wasm and the services and never
// returns. A panic anywhere is a line on the serial console and exit FAILED.
#![no_std]
#![no_main]

extern crate alloc;

mod boot;
// Its pub functions serve the node; some are not called yet.
#[allow(dead_code)]
mod dev;
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

// Placeholder until the engine helper's src/node/ replaces it: it runs no node. It shows
// the platform working (16 random bytes; 2 s idle with HLT, or busy with `spin` on the
// command line, to compare the QEMU process's CPU use) and stops.
mod node {
    use crate::platform::{clock, exit, mbinfo, rng, Boot};

    pub fn run(_boot: Boot) -> ! {
        let mut r = [0u8; 16];
        if rng::fill(&mut r) {
            crate::print!("persia-metal: 16 random bytes ");
            for b in r {
                crate::print!("{b:02x}");
            }
            crate::println!();
        } else {
            crate::println!("persia-metal: no random source gave bytes");
        }
        let spin = mbinfo::cmdline().split(' ').any(|w| w == "spin");
        let (t0, idle0) = (clock::now_ms(), clock::idle_ns());
        let deadline = t0 + 2000;
        let mut wakeups = 0u32;
        while clock::now_ms() < deadline {
            if !spin {
                clock::idle_until(deadline);
                wakeups += 1;
            }
        }
        crate::println!(
            "persia-metal: waited {} ms {}, halted {} ms, {wakeups} wakeups",
            clock::now_ms() - t0,
            if spin { "spinning" } else { "with HLT" },
            (clock::idle_ns() - idle0) / 1_000_000
        );
        crate::println!("persia-metal: no node yet");
        exit::exit(exit::MtlExit::Stopped)
    }
}

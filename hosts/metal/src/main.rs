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

use alloc::boxed::Box;
use node::engine::{KERNEL_STACK, SERVICE_STACK};
use platform::exit::{exit, MtlExit};

/// Host frames the node stack holds besides the Wasm budgets: the loop and wasmtime's entry
/// below the kernel's first frame, a host import, an instantiation (svc_start) or a trap's
/// unwinding between and after them. Measured deepest use is printed at exit.
const HOST_FRAMES: usize = 1 << 20;
/// The node's stack (platform::stack, from the heap). wasmtime limits a Store's Wasm to its
/// budget below where the host first entered it; a service's syscall re-enters the kernel's
/// Store inside its budget, so the deepest case is the kernel at the end of its budget
/// calling svc_call, and the service running to the end of its own below that.
const NODE_STACK: usize = KERNEL_STACK + SERVICE_STACK + HOST_FRAMES;

/// Called by boot.rs on the boot stack, in long mode, with SSE on and interrupts off.
#[unsafe(no_mangle)]
pub extern "C" fn kmain(magic: u32, info: u32) -> ! {
    let boot = Box::into_raw(Box::new(platform::init(magic, info)));
    let Err(why) = platform::stack::run_on_node_stack(NODE_STACK, node_main, boot as usize);
    platform::fail(why)
}

/// kmain's second half, on the node stack: the node, or the drivers' self-test.
extern "C" fn node_main(boot: usize) -> ! {
    // SAFETY: kmain passes the Box it leaked, once.
    let boot = *unsafe { Box::from_raw(boot as *mut platform::Boot) };
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

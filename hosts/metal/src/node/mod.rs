// The node on metal: reads the payload, loads the kernel and services with wasmtime, boots
// the kernel and runs its loop.
mod engine;
mod payload;
mod wasmtime_platform;

use crate::platform::exit::{exit, MtlExit};
use crate::println;

pub fn run(_boot: crate::platform::Boot) -> ! {
    println!("persia-metal");
    let p = match payload::Payload::read(crate::platform::heap::payload_addr() as usize) {
        Ok(p) => p,
        Err(why) => fail(&why),
    };
    let engines = match engine::Engines::new() { Ok(e) => e, Err(why) => fail(&why) };
    let k = match engine::load(&engines.kernel, p.kernel(), "kernel.wasm") { Ok(k) => k, Err(why) => fail(&why) };
    println!("kernel loaded: {} imports", k.imports().len());
    exit(MtlExit::Stopped)
}

fn fail(why: &str) -> ! {
    println!("persia-metal: {why}");
    exit(MtlExit::Failed)
}

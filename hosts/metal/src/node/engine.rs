// The wasmtime engines of the metal host and the modules they load. Two engines with one
// configuration (the precompile settings of abi/gen's ENGINE_*, which the compiler had)
// and different stack budgets: wasmtime sets a store's stack limit when the host first
// enters it, and the kernel is entered again from inside a service's syscall, deep in the
// service's frames. With the kernel's budget (KERNEL_STACK) far larger than a service's
// (SERVICE_STACK), a service that recursed to the end of its own budget still leaves the
// kernel room for the syscall; the service faults with STACK, the kernel never does.
// Each module is deserialized once at boot into a heap mapping of its own: running it in
// place from the payload (Module::deserialize_raw) is refused by wasmtime 48 when it manages
// virtual memory ("this target requires virtual memory to be enabled"; checked).
// Does not instantiate anything (mod.rs does the kernel, instance.rs the services).
use crate::abi::*;
use core::arch::x86_64::{CpuidResult, __cpuid_count};
use alloc::format;
use alloc::string::String;
use wasmtime::{Config, Engine, Module};

/// The kernel's wasm stack budget: its own frames and, below them, every frame a service
/// may hold when it makes a syscall (SERVICE_STACK) plus the host's frames in between.
pub const KERNEL_STACK: usize = 4 << 20;
/// A service's wasm stack budget: past it the service faults with STACK (Node's stack is
/// about 1 MiB for everything; a service gets half of that here, alone).
pub const SERVICE_STACK: usize = 512 << 10;

pub struct Engines {
    pub kernel: Engine,
    pub services: Engine,
}

fn cpuid(leaf: u32, sub: u32) -> CpuidResult {
    // SAFETY: CPUID exists on every x86-64 CPU and only reads identification registers.
    #[allow(unused_unsafe)]
    unsafe { __cpuid_count(leaf, sub) }
}

/// Whether this CPU has a feature, by the name Rust and wasmtime use (CPUID leaves 1 and 7);
/// None for a name this host does not know, which wasmtime then treats as absent.
pub fn detect_host_feature(name: &str) -> Option<bool> {
    let l1 = cpuid(1, 0);
    let l7 = if cpuid(0, 0).eax >= 7 { cpuid(7, 0) } else { CpuidResult { eax: 0, ebx: 0, ecx: 0, edx: 0 } };
    let ext = if cpuid(0x8000_0000, 0).eax >= 0x8000_0001 { cpuid(0x8000_0001, 0) } else { CpuidResult { eax: 0, ebx: 0, ecx: 0, edx: 0 } };
    let bit = |r: u32, b: u32| Some(r & (1 << b) != 0);
    match name {
        "sse3" => bit(l1.ecx, 0),
        "ssse3" => bit(l1.ecx, 9),
        "fma" => bit(l1.ecx, 12),
        "cmpxchg16b" => bit(l1.ecx, 13),
        "sse4.1" => bit(l1.ecx, 19),
        "sse4.2" => bit(l1.ecx, 20),
        "popcnt" => bit(l1.ecx, 23),
        "avx" => bit(l1.ecx, 28),
        "bmi1" => bit(l7.ebx, 3),
        "avx2" => bit(l7.ebx, 5),
        "bmi2" => bit(l7.ebx, 8),
        "lzcnt" => bit(ext.ecx, 5),
        _ => None,
    }
}

fn config(stack: usize) -> Result<Config, String> {
    let mut c = Config::new();
    for &(name, value) in ENGINE_TUNABLES {
        match (name, value) {
            ("memory-reservation", EngineValue::Bytes(n)) => c.memory_reservation(n),
            ("memory-guard-size", EngineValue::Bytes(n)) => c.memory_guard_size(n),
            ("memory-reservation-for-growth", EngineValue::Bytes(n)) => c.memory_reservation_for_growth(n),
            ("signals-based-traps", EngineValue::Flag(on)) => c.signals_based_traps(on),
            ("memory-init-cow", EngineValue::Flag(on)) => c.memory_init_cow(on),
            _ => return Err(format!("the image's modules were compiled with the wasmtime setting {name} = {value:?}, which this host does not know how to repeat; build the image and the boot image with one persia")),
        };
    }
    if let Some((name, _)) = ENGINE_WASM_FEATURES.iter().find(|(_, on)| *on) {
        return Err(format!("the image's modules were compiled with the WebAssembly feature {name} on; this host's wasmtime is built without it"));
    }
    // Nothing runs async here; wasmtime still wants the async stack no smaller.
    c.async_stack_size(stack);
    c.max_wasm_stack(stack);
    // SAFETY: boot.rs turned SSE on, and the modules are compiled with SSE4.1 and the other
    // ENGINE_CPU_FEATURES, so no libcall passes a float (the x86_64-unknown-none host is
    // soft-float); detect_host_feature answers from CPUID, so wasmtime refuses code that
    // needs a feature this CPU lacks.
    unsafe {
        c.x86_float_abi_ok(true);
        c.detect_host_feature(detect_host_feature);
    }
    Ok(c)
}

impl Engines {
    /// Both engines, after checking that the CPU has what the compiled code uses.
    pub fn new() -> Result<Engines, String> {
        let missing: alloc::vec::Vec<&str> = ENGINE_CPU_FEATURES.iter().copied()
            .filter(|f| detect_host_feature(f) != Some(true)).collect();
        if !missing.is_empty() {
            return Err(format!("this CPU lacks {} that the precompiled code uses; run on a newer CPU (QEMU: -cpu max)", missing.join(", ")));
        }
        let make = |stack| -> Result<Engine, String> {
            Engine::new(&config(stack)?).map_err(|e| format!("wasmtime refused the engine's configuration: {e}"))
        };
        Ok(Engines { kernel: make(KERNEL_STACK)?, services: make(SERVICE_STACK)? })
    }
}

/// Loads a module precompiled by loader/metal/precompile.ts. `what` names it in the error.
pub fn load(engine: &Engine, cwasm: &[u8], what: &str) -> Result<Module, String> {
    // SAFETY: the bytes are a .cwasm that `persia image` wrote with wasmtime ENGINE_WASMTIME
    // (the image's SHA-256 lines say which kernel); deserialize checks the version, target,
    // settings and features before it trusts the code.
    unsafe { Module::deserialize(engine, cwasm) }
        .map_err(|e| format!("{what}: wasmtime {ENGINE_WASMTIME} cannot load its precompiled code: {e:#}"))
}

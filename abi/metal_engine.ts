// The settings of the metal host's engine (issue #12, spec/metal.md "Engine"), defined once:
// loader/metal/precompile.ts turns them into the pinned wasmtime CLI's flags, abi/gen_rust.ts
// writes them into abi/gen/persia_abi.rs, and the metal host's Config sets the same values
// from there (hosts/metal/src/node/engine.rs). A .cwasm whose settings differ from the
// runtime's is refused when the host deserializes it, naming the setting.
// TypeScript only (like gen.ts): nothing compiled by AssemblyScript imports it.

/** What the metal platform needs of compiled code, and why each is set. */
export const METAL_ENGINE = {
  target: "x86_64-unknown-none",
  /** wasmtime's tunables (-O): memory is plain heap, identity-mapped, with no MMU tricks. */
  tunables: {
    /** no virtual memory to reserve: a memory is allocated at its size and moves when it grows */
    "memory-reservation": 0,
    /** no guard pages: every access is bounds-checked in code instead */
    "memory-guard-size": 0,
    /** nothing kept spare past a memory's end (it would be real RAM) */
    "memory-reservation-for-growth": 0,
    /** no signal handlers on metal: traps are explicit checks that return an error */
    "signals-based-traps": false,
    /** no copy-on-write mappings: data segments are copied in at instantiation */
    "memory-init-cow": false,
  } as Record<string, number | boolean>,
  /** x86 features the code may use. SSE4.1 gives f32/f64 ceil, floor, trunc and nearest as
   *  instructions instead of libcalls: the x86_64-unknown-none host is soft-float, so a
   *  float passed to a libcall would take the wrong registers. The host checks each with
   *  CPUID before it loads any code. */
  cpuFeatures: [
    { cranelift: "has_sse3", rust: "sse3" },
    { cranelift: "has_ssse3", rust: "ssse3" },
    { cranelift: "has_sse41", rust: "sse4.1" },
    { cranelift: "has_sse42", rust: "sse4.2" },
    { cranelift: "has_popcnt", rust: "popcnt" },
  ],
  /** WebAssembly proposals (-W) the no_std runtime (crate features `runtime` and
   *  `custom-virtual-memory` only) has no support for: off, so that the .cwasm's recorded
   *  features are a subset of the runtime's. */
  wasm: {
    "gc-support": false,
    "gc": false,
    "exceptions": false,
    "function-references": false,
    "threads": false,
    "component-model": false,
    "component-model-async": false,
    "stack-switching": false,
    "concurrency-support": false,
  } as Record<string, boolean>,
};

// TEMPORARY: numbers of abi/metal.ts that the platform needs, written here by hand only
// until abi/gen.ts writes abi/gen/persia_abi.rs (the engine helper's generator, issue #12).
// Then this file becomes a `pub use` of the generated constants; nothing else changes, since
// every user imports them from here under their abi/metal.ts names.
#![allow(dead_code)]

/// abi/metal.ts MTL_MAGIC: "PMTL" read as u32 LE, the payload's first word.
pub const MTL_MAGIC: u32 = 0x4c54_4d50;
/// abi/metal.ts MTL_TOTAL: offset of the payload's total length (u32, header included).
pub const MTL_TOTAL: usize = 8;
/// abi/metal.ts MTL_HEADER: bytes of the payload header.
pub const MTL_HEADER: usize = 64;
/// abi/metal.ts MTL_EXIT_PORT: QEMU's isa-debug-exit port.
pub const MTL_EXIT_PORT: u16 = 0xf4;
/// abi/metal.ts MtlExit.STOPPED and MtlExit.FAILED.
pub const MTL_EXIT_STOPPED: u32 = 0;
pub const MTL_EXIT_FAILED: u32 = 1;

// The limit on a service's memory growth. wasmtime 48 with no reservation, no guard and no
// CoW (abi/metal_engine.ts METAL_ENGINE) backs a memory with a Vec (its
// vm/memory/malloc.rs) and grows it with Vec::try_reserve, which at least doubles the
// capacity: measured under QEMU, a service grown a page at a time to 64 MiB held 128 MiB of
// heap. Nothing in Config avoids it (memory_reservation_for_growth only adds to the first
// allocation), and Config::with_host_memory does not reach the services' memories: wasmtime
// 48 makes a host Memory::new with the default creator (trampoline/memory.rs), whatever the
// config says (measured: the same heap use with and without a custom creator). So the
// account is kept instead: a growth from `current` bytes may allocate up to twice that (or
// `desired`, if more) while the old allocation is still held, and the Limiter, on each
// service Store, refuses it — memory.grow answers -1, the service's own business — unless
// the heap keeps MTL_HEAP_RESERVE free even then. A service cannot run the host out of
// memory; `persia image` sizes QEMU's -m by the same account (loader/metal/ram.ts).
use crate::abi::MTL_HEAP_RESERVE;
use crate::platform::heap;
use wasmtime::{ResourceLimiter, Result};

/// A service Store's limiter (Store::limiter).
#[derive(Default)]
pub struct Limiter;

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> Result<bool> {
        let may_allocate = current.saturating_mul(2).max(desired);
        Ok(heap::free_bytes() >= may_allocate.saturating_add(MTL_HEAP_RESERVE))
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}

// The platform functions the `wasmtime` crate calls when built with `custom-virtual-memory`
// and without signals (wasmtime 48's src/runtime/vm/sys/custom/capi.rs, the C header of
// examples/min-platform). This PC has no MMU tricks: boot.rs identity-maps the first 4 GiB
// read-write-execute, so a "mapping" is heap memory, protection changes are no-ops, and
// "decommitting" is zeroing. No memory images: the modules are precompiled with
// memory-init-cow off, so wasmtime copies data segments in instead.
// One core and no threads: wasmtime's two TLS slots are two statics.
// Called by wasmtime only.
use alloc::alloc::{alloc_zeroed, dealloc, Layout};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

/// The page wasmtime rounds its mappings to; the heap aligns them to it.
const PAGE: usize = 4096;

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.max(1), PAGE).ok()
}

/// wasmtime_mmap_new: `size` bytes of zeroed heap memory, page aligned. 0 or an error code.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_mmap_new(size: usize, _prot_flags: u32, ret: &mut *mut u8) -> i32 {
    let Some(l) = layout(size) else { return 1 };
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { alloc_zeroed(l) };
    if p.is_null() {
        return 2; // out of heap: wasmtime turns it into an error (a failed grow or instantiation)
    }
    *ret = p;
    0
}

/// wasmtime_mmap_remap: a fresh blank mapping over [addr, +size): the bytes become zeros.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_mmap_remap(addr: *mut u8, size: usize, _prot_flags: u32) -> i32 {
    // SAFETY: wasmtime passes a range inside a mapping it got from wasmtime_mmap_new.
    unsafe { ptr::write_bytes(addr, 0, size) };
    0
}

/// wasmtime_munmap: gives a whole mapping back (wasmtime unmaps what it mapped, whole).
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_munmap(ptr: *mut u8, size: usize) -> i32 {
    let Some(l) = layout(size) else { return 1 };
    // SAFETY: ptr came from wasmtime_mmap_new with this size, hence this layout.
    unsafe { dealloc(ptr, l) };
    0
}

/// wasmtime_mprotect: nothing to change, every page is read-write-execute.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_mprotect(_ptr: *mut u8, _size: usize, _prot_flags: u32) -> i32 {
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_page_size() -> usize {
    PAGE
}

/// wasmtime_memory_image_new: no images; NULL is "none, and no failure".
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memory_image_new(_ptr: *const u8, _len: usize, ret: &mut *mut u8) -> i32 {
    *ret = ptr::null_mut();
    0
}

/// wasmtime_memory_image_map_at: never called, since no image is ever made.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memory_image_map_at(_image: *mut u8, _addr: *mut u8, _len: usize) -> i32 {
    3
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memory_image_free(_image: *mut u8) {}

/// wasmtime's thread-local words: slot 0 (the runtime's) and 1 (component-model-async).
/// One core and no threads: atomics only because a static must be Sync.
static TLS: [AtomicPtr<u8>; 2] = [AtomicPtr::new(ptr::null_mut()), AtomicPtr::new(ptr::null_mut())];

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_tls_get(slot: usize) -> *mut u8 {
    TLS.get(slot).map_or(ptr::null_mut(), |t| t.load(Ordering::Relaxed))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_tls_set(slot: usize, value: *mut u8) {
    if let Some(t) = TLS.get(slot) {
        t.store(value, Ordering::Relaxed);
    }
}

// Starting and calling a service on metal (svc_start, svc_call), with the semantics of
// hosts/node/services.ts. Each running service has a Store of its own in the services'
// engine (engine.rs), so stopping it frees its instance and memory (one Store would keep
// every dead instance), and its memory is imported as env.memory with its RAM max as the
// maximum. Re-entry: the kernel calls svc_call from inside its own Store, and the service's
// syscalls must run k_sys in that same Store. While a service runs, its Store is taken out
// of its slot and holds a raw pointer to the kernel's Caller (one core, one call at a
// time); a syscall goes through it, after noting where the service's memory is in the
// kernel's data (Active) so that svc_read/svc_write reach it while the call borrows the
// Store. The table of slots is services.rs.
use super::faults::{self, describe, FuelExhausted, KernelTrap, MemoryState, ServiceAbort};
use super::host::{Active, Host, KSys};
use super::services::{fail, index, refuse};
use crate::abi::bridge::ServiceImports;
use crate::abi::*;
use alloc::format;
use alloc::string::String;
use core::ptr;
use wasmtime::{Caller, Error, Global, Memory, MemoryType, Mutability, Result, Store, TypedFunc, Val, ValType};

/// The data of a service's Store.
pub struct SvcData {
    svc: i32,
    /// The kernel's Caller while the kernel is inside svc_start or svc_call for this
    /// service; null otherwise.
    kernel: *mut Caller<'static, Host>,
    memory: Option<Memory>,
    /// The kernel's k_sys, which every syscall calls.
    k_sys: Option<KSys>,
    /// Refuses growth that would leave the host's heap below its reserve.
    limiter: super::memory::Limiter,
}

/// A started service: its Store, memory, fuel global and entry points.
pub(super) struct Running {
    pub(super) store: Store<SvcData>,
    pub(super) memory: Memory,
    pub(super) fuel: Global,
    pub(super) init: Option<TypedFunc<(), ()>>,
    pub(super) event: TypedFunc<(), ()>,
}

/// What svc_start answers when the kernel stopped or unloaded the service from inside its own
/// start function's syscalls (a GRANT's restart, an UNLOAD, maybe a LOAD into the id again):
/// the new instance is dropped, and nothing failed that anyone owns.
const UNLOADED: i32 = Fault::NONE as i32;

/// The kernel's Caller as the raw pointer a service's Store keeps during a call.
fn kernel_ptr(cx: &mut Caller<'_, Host>) -> *mut Caller<'static, Host> {
    ptr::from_mut(cx).cast()
}

/// svc_start: (re)instantiates service svc with a fresh memory; a Fault number.
pub fn start(cx: &mut Caller<'_, Host>, svc: i32) -> Result<i32> {
    let kernel = kernel_ptr(cx);
    let services = &mut cx.data_mut().services;
    let Some(i) = index(svc) else { return Ok(Fault::BAD_MODULE as i32) };
    if services.slots[i].is_none() {
        return Ok(refuse(services, i, format!("no module was given for service {svc}")));
    }
    let module_index = services.places[i].as_ref().map(|p| p.module);
    let (mem_min, module) = match (services.places[i].as_ref(), module_index.map(|m| services.module(m))) {
        (Some(p), Some(Ok(m))) => (p.mem_min, m),
        (_, Some(Err(why))) => {
            let slot = services.slots[i].as_mut().expect("checked above");
            slot.running = None;
            slot.generation = 0;
            return Ok(fail(slot, Fault::BAD_MODULE, why));
        }
        _ => return Ok(refuse(services, i, format!("no module was given for service {svc}"))),
    };
    let k_sys = cx.data().k_sys.clone();
    let services = &mut cx.data_mut().services;
    let engine = services.engine.clone();
    let mut linker = services.linker.clone();
    // This start's generation, taken now: a stop, an unload or a LOAD from inside the start
    // function's syscalls leaves the slot without it (as the Node host counts drops).
    services.starts += 1;
    let generation = services.starts;
    let slot = services.slots[i].as_mut().expect("checked above");
    slot.running = None;
    slot.generation = generation;
    let max = slot.ram_max;
    let mut store = Store::new(&engine, SvcData { svc, kernel: ptr::null_mut(), memory: None, k_sys, limiter: Default::default() });
    store.limiter(|d| &mut d.limiter);
    let memory = match Memory::new(&mut store, MemoryType::new(mem_min, Some(max))) {
        Ok(m) => m,
        Err(e) => return Ok(fail(slot, Fault::INSTANTIATE, format!("cannot allocate {mem_min} pages: {e}"))),
    };
    store.data_mut().memory = Some(memory);
    let (m, n) = SERVICE_ENV_MEMORY;
    linker.allow_shadowing(true);
    linker.define(&store, m, n, memory)?;
    // The start function runs now and may make syscalls: they reach the kernel through this.
    store.data_mut().kernel = kernel;
    let made = linker.instantiate(&mut store, &module);
    store.data_mut().kernel = ptr::null_mut();
    let instance = match made {
        Ok(inst) => inst,
        Err(e) if e.downcast_ref::<KernelTrap>().is_some() => return Err(e),
        Err(e) => {
            let state = MemoryState { pages: memory.size(&store), initial_pages: mem_min as u64, max_pages: max as u64 };
            let Some(slot) = cx.data_mut().services.slots[i].as_mut().filter(|s| s.generation == generation) else { return Ok(UNLOADED) };
            let ran = e.downcast_ref::<wasmtime::Trap>().is_some() || e.downcast_ref::<FuelExhausted>().is_some()
                || e.downcast_ref::<ServiceAbort>().is_some();
            if !ran {
                return Ok(fail(slot, Fault::INSTANTIATE, format!("{e}")));
            }
            let fault = faults::classify(&e, &state);
            let why = if fault == Fault::FUEL { format!("used its budget of {FUEL_START} fuel units") } else { describe(&e) };
            return Ok(fail(slot, fault, format!("in its start function: {why}")));
        }
    };
    let event = instance.get_typed_func::<(), ()>(&mut store, "persia_event");
    let fuel = instance.get_global(&mut store, FUEL_EXPORT);
    let init = instance.get_typed_func::<(), ()>(&mut store, "persia_init").ok();
    let Some(slot) = cx.data_mut().services.slots[i].as_mut().filter(|s| s.generation == generation) else { return Ok(UNLOADED) };
    let Ok(event) = event else {
        return Ok(fail(slot, Fault::BAD_MODULE, String::from("module does not export persia_event")));
    };
    let Some(fuel) = fuel else {
        return Ok(fail(slot, Fault::BAD_MODULE, format!("module is not metered (no {FUEL_EXPORT})")));
    };
    let ty = fuel.ty(&store);
    if !matches!(ty.content(), ValType::I64) || ty.mutability() != Mutability::Var {
        return Ok(fail(slot, Fault::BAD_MODULE, format!("module's {FUEL_EXPORT} is not a mutable i64 (it was not metered by the loader)")));
    }
    slot.running = Some(Running { store, memory, fuel, init, event });
    Ok(Fault::NONE as i32)
}

/// svc_call: runs one entry point with `fuel` units; every error the service raises is a
/// Fault; a KernelTrap is handed on (the node stops).
pub fn call(cx: &mut Caller<'_, Host>, svc: i32, entry: i32, fuel: i64) -> Result<i32> {
    let kernel = kernel_ptr(cx);
    let services = &mut cx.data_mut().services;
    let Some(i) = index(svc) else { return Ok(Fault::BAD_MODULE as i32) };
    let running = services.slots[i].as_mut().and_then(|s| {
        s.fuel_used = 0;
        s.running.take().map(|r| (r, s.generation))
    });
    let Some((mut run, generation)) = running else {
        let what = Entry::from_raw(entry).map_or(format!("{entry}"), |e| String::from(e.name()));
        return Ok(refuse(services, i, format!("entry {what} called while the service is not running")));
    };
    let f = match Entry::from_raw(entry) {
        Some(Entry::EVENT) => Some(&run.event),
        Some(Entry::INIT) => run.init.as_ref(),
        None => None,
    };
    let Some(f) = f else {
        let slot = services.slots[i].as_mut().expect("it was running");
        slot.running = Some(run);
        return Ok(if entry == Entry::INIT as i32 { Fault::NONE as i32 } else { fail(slot, Fault::TRAP, format!("no entry point {entry}")) });
    };
    run.fuel.set(&mut run.store, Val::I64(fuel))?;
    run.store.data_mut().kernel = kernel;
    let r = f.call(&mut run.store, ());
    run.store.data_mut().kernel = ptr::null_mut();
    let left = run.fuel.get(&mut run.store).i64().unwrap_or(0);
    let state = MemoryState { pages: run.memory.size(&run.store), initial_pages: 0, max_pages: 0 };
    let services = &mut cx.data_mut().services;
    let mem_min = services.places[i].as_ref().map_or(0, |p| p.mem_min as u64);
    let Some(slot) = services.slots[i].as_mut().filter(|s| s.generation == generation) else {
        // The kernel stopped, restarted or unloaded the service from inside the call: this
        // instance is gone; what it did last no longer matters to anyone.
        return Ok(Fault::NONE as i32);
    };
    slot.fuel_used = fuel.wrapping_sub(left);
    let max_pages = slot.ram_max as u64;
    slot.running = Some(run);
    match r {
        Ok(()) => Ok(Fault::NONE as i32),
        Err(e) if e.downcast_ref::<KernelTrap>().is_some() => Err(e),
        Err(e) => {
            let fault = faults::classify(&e, &MemoryState { initial_pages: mem_min, max_pages, ..state });
            let why = if fault == Fault::FUEL { format!("used its budget of {fuel} fuel units in one call") } else { describe(&e) };
            Ok(fail(slot, fault, why))
        }
    }
}

impl ServiceImports for SvcData {
    /// A syscall: k_sys in the kernel's Store, through the Caller svc_call left here.
    fn syscall(cx: &mut Caller<'_, Self>, nr: i32, a: [i32; 5]) -> Result<i32> {
        let (svc, kernel, memory) = (cx.data().svc, cx.data().kernel, cx.data().memory);
        let Some(k_sys) = cx.data().k_sys.as_ref() else {
            return Err(Error::msg(KernelTrap(String::from("k_sys is not linked"))));
        };
        if kernel.is_null() {
            return Err(Error::msg(KernelTrap(format!("service {svc} made syscall {nr} outside a call from the kernel"))));
        }
        let active = memory.map(|m| Active { svc: svc as usize, base: m.data_ptr(&*cx), size: m.data_size(&*cx) });
        // SAFETY: `kernel` is the Caller of the kernel's svc_call or svc_start frame, which is
        // below this one on the stack and does not touch it until this call returns (one core).
        let k = unsafe { &mut *kernel };
        let before = core::mem::replace(&mut k.data_mut().active, active);
        let r = k_sys.call(&mut *k, (svc, nr, a[0], a[1], a[2], a[3], a[4]));
        k.data_mut().active = before;
        r.map_err(|e| Error::msg(KernelTrap(format!("{e:#}"))))
    }

    fn fuel_exhausted(_cx: &mut Caller<'_, Self>) -> Result<()> {
        Err(Error::msg(FuelExhausted))
    }

    fn service_abort(cx: &mut Caller<'_, Self>, msg: i32, file: i32, line: i32, col: i32) -> Result<()> {
        let text = match cx.data().memory {
            Some(m) => faults::abort_text(m.data(&*cx), msg, file, line, col),
            None => String::from("abort"),
        };
        Err(Error::msg(ServiceAbort(text)))
    }
}

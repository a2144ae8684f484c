// The service side of the host ABI on metal, with the semantics of hosts/node/services.ts:
// svc_start, svc_stop, svc_call (under a fuel budget), svc_fuel_used, svc_load, svc_unload,
// svc_ram, svc_read, svc_write and module_read. Each running service has a Store of its own
// in the services' engine (engine.rs), so stopping it frees its instance and memory (one
// Store would keep every dead instance), and its memory is imported as env.memory with its
// RAM max as the maximum.
// Re-entry: the kernel calls svc_call from inside its own Store; the service's syscalls must
// run k_sys in that same Store. While a service runs, its Store is taken out of the slot
// and holds a raw pointer to the kernel's Caller (one core, one call at a time); a syscall
// goes through it, after noting the service's memory in the kernel's data (Active) so that
// svc_read/svc_write reach it while its Store is borrowed by the running call.
// Service ids are slots as in the payload (abi/metal.ts SLOT): the manifest's services
// (loaded at boot) and the store's (free until a run-time LOAD names their module).
// Does not decide budgets, restarts or backoff (the kernel does).
use super::faults::{self, describe, FuelExhausted, KernelTrap, MemoryState, ServiceAbort};
use super::host::{Active, Host, KSys};
use super::payload::Payload;
use crate::abi::bridge::{link_service_imports, ServiceImports};
use crate::abi::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ptr;
use wasmtime::{Caller, Engine, Error, Global, Linker, Memory, MemoryType, Module, Result, Store, TypedFunc, Val};

/// The data of a service's Store.
pub struct SvcData {
    svc: i32,
    /// The kernel's Caller while the kernel is inside svc_start or svc_call for this
    /// service; null otherwise.
    kernel: *mut Caller<'static, Host>,
    memory: Option<Memory>,
    /// The kernel's k_sys, which every syscall calls.
    k_sys: Option<KSys>,
}

/// A started service: its Store, memory, fuel global and entry points.
struct Running {
    store: Store<SvcData>,
    memory: Memory,
    fuel: Global,
    init: Option<TypedFunc<(), ()>>,
    event: TypedFunc<(), ()>,
}

/// What a service id may hold (services.ts SlotPlace): its module, the signed file, the
/// most RAM a service there may get, and whether a service holds it now.
struct Place {
    module: u32,
    sha256: [u8; 32],
    file: Option<&'static [u8]>,
    ceiling: u32,
    mem_min: u32,
    declared_max: Option<u32>,
    loaded: bool,
}

/// A service id that holds a service (services.ts Slot).
struct Slot {
    name: Option<String>,
    ram_max: u32,
    running: Option<Running>,
    last_fault: String,
    fuel_used: i64,
    /// Which start this is: a call puts its Store back only into the instance it took it
    /// from, and not if the kernel stopped, restarted or unloaded the service meanwhile
    /// (from inside one of its syscalls).
    generation: u64,
}

pub struct Services {
    /// Counts starts, for Slot::generation.
    starts: u64,
    engine: Engine,
    linker: Linker<SvcData>,
    /// Deserialized once per module index; Err: why wasmtime refused it.
    modules: Vec<(u32, Result<Module, String>)>,
    places: [Option<Place>; SVC_MAX],
    slots: [Option<Slot>; SVC_MAX],
}

/// The pages a service there may grow to: the RAM grant, or the module's own lower maximum.
fn ram_max(pages: u32, declared: Option<u32>) -> u32 {
    declared.map_or(pages, |d| d.min(pages))
}

fn index(svc: i32) -> Option<usize> {
    (svc >= 0 && (svc as usize) < SVC_MAX).then_some(svc as usize)
}

impl Services {
    /// Every slot of the payload; each module deserialized once.
    pub fn new(engine: Engine, payload: &Payload) -> Result<Services, String> {
        let mut linker = Linker::new(&engine);
        link_service_imports(&mut linker).map_err(|e| format!("cannot define the services' imports: {e}"))?;
        let mut s = Services { starts: 0, engine, linker, modules: Vec::new(), places: Default::default(), slots: Default::default() };
        for p in payload.slots() {
            if !s.modules.iter().any(|(m, _)| *m == p.module) {
                let code = payload.module_code(p.module).unwrap_or(&[]);
                let what = format!("module {}", p.module);
                s.modules.push((p.module, super::engine::load(&s.engine, code, &what)));
            }
            s.places[p.svc] = Some(Place {
                module: p.module,
                sha256: p.sha256,
                file: payload.module_file(p.module),
                ceiling: p.ram_max,
                mem_min: p.mem_min,
                declared_max: p.declared_max,
                loaded: p.flags & MtlSlotFlag::BOOT as u32 != 0,
            });
            if p.flags & MtlSlotFlag::BOOT as u32 != 0 {
                s.slots[p.svc] = Some(Slot::new(None, ram_max(p.ram_max, p.declared_max)));
            }
        }
        Ok(s)
    }

    /// Why a module could not be loaded at boot, for each one refused.
    pub fn refused(&self) -> impl Iterator<Item = (u32, &str)> {
        self.modules.iter().filter_map(|(m, r)| r.as_ref().err().map(|e| (*m, e.as_str())))
    }

    fn module(&self, index: u32) -> Result<Module, String> {
        match self.modules.iter().find(|(m, _)| *m == index) {
            Some((_, Ok(m))) => Ok(m.clone()),
            Some((_, Err(e))) => Err(format!("module refused: {e}")),
            None => Err(format!("no module {index} in the image")),
        }
    }

    /// The service's name for the log: its LOAD name, or its id.
    pub fn name(&self, svc: i32) -> String {
        match index(svc).and_then(|i| self.slots[i].as_ref()).and_then(|s| s.name.clone()) {
            Some(n) => n,
            None => format!("service {svc}"),
        }
    }

    /// The message of the service's last fault ("" if none).
    pub fn fault_message(&self, svc: i32) -> &str {
        index(svc).and_then(|i| self.slots[i].as_ref()).map_or("", |s| s.last_fault.as_str())
    }

    /// Pages of service svc's memory now (0 while it is stopped), for the status line.
    pub fn pages(&self, svc: usize, active: Option<Active>) -> u64 {
        if let Some(a) = active.filter(|a| a.svc == svc) {
            return (a.size / 65536) as u64;
        }
        match self.slots.get(svc).and_then(|s| s.as_ref()).and_then(|s| s.running.as_ref()) {
            Some(r) => r.memory.size(&r.store),
            None => 0,
        }
    }

    /// svc_stop: drops the instance and its memory (a running call's, when it returns).
    pub fn stop(&mut self, svc: i32) {
        if let Some(s) = index(svc).and_then(|i| self.slots[i].as_mut()) {
            s.running = None;
            s.generation = 0;
        }
    }

    /// svc_unload: the slot may be LOADed again.
    pub fn unload(&mut self, svc: i32) {
        if let Some(i) = index(svc) {
            self.slots[i] = None;
            if let Some(p) = self.places[i].as_mut() {
                p.loaded = false;
            }
        }
    }

    /// svc_ram: from its next start, the service may grow to `pages`.
    pub fn set_ram(&mut self, svc: i32, pages: i32) -> i32 {
        let Some(i) = index(svc) else { return -(Errno::ENOSPC as i32) };
        let (Some(place), Some(slot)) = (self.places[i].as_ref(), self.slots[i].as_mut()) else {
            return -(Errno::ENOSPC as i32);
        };
        if pages < 0 || pages as u32 > place.ceiling {
            return -(Errno::ENOSPC as i32);
        }
        if (pages as u32) < place.mem_min {
            return -(Errno::EINVAL as i32);
        }
        slot.ram_max = ram_max(pages as u32, place.declared_max);
        0
    }

    /// svc_load: the request (abi/control.ts SL_*) names a module by SHA-256; the lowest free
    /// id among its slots (in the kernel's mask) gets it. The id, or -ENOENT, -ENOSPC, -EINVAL.
    pub fn load(&mut self, req: &[u8]) -> i32 {
        if req.len() < SL_NAME || req.len() != SL_NAME + req[SL_NAME_LEN] as usize {
            return -(Errno::EINVAL as i32);
        }
        let word = |at: usize| u32::from_le_bytes([req[at], req[at + 1], req[at + 2], req[at + 3]]);
        let (free, ram) = (word(SL_FREE), word(SL_RAM_MAX));
        let hash = &req[SL_HASH..SL_HASH + 32];
        if !self.places.iter().flatten().any(|p| p.sha256 == hash) {
            return -(Errno::ENOENT as i32);
        }
        let id = self.places.iter().enumerate().position(|(i, p)| {
            p.as_ref().is_some_and(|p| !p.loaded && (free >> i) & 1 == 1 && ram <= p.ceiling && p.sha256 == hash)
        });
        let Some(id) = id else { return -(Errno::ENOSPC as i32) };
        let place = self.places[id].as_mut().expect("position found a place");
        if ram < place.mem_min {
            return -(Errno::EINVAL as i32);
        }
        place.loaded = true;
        let name = String::from_utf8_lossy(&req[SL_NAME..]).into_owned();
        self.slots[id] = Some(Slot::new(Some(name), ram_max(ram, place.declared_max)));
        id as i32
    }

    /// module_read: bytes [off, off+len) of slot svc's module file, as many as exist, into
    /// `dst`; the file's size, or -ENOENT for a slot without a file.
    pub fn module_file(&self, svc: i32) -> Option<&'static [u8]> {
        index(svc).and_then(|i| self.places[i].as_ref()).and_then(|p| p.file).filter(|f| !f.is_empty())
    }

    /// Base and size of service svc's memory, if it has one now.
    pub fn memory_of(&mut self, svc: i32) -> Option<(*mut u8, usize)> {
        let r = index(svc).and_then(|i| self.slots[i].as_mut()).and_then(|s| s.running.as_mut())?;
        Some((r.memory.data_ptr(&r.store), r.memory.data_size(&r.store)))
    }
}

impl Slot {
    fn new(name: Option<String>, ram_max: u32) -> Slot {
        Slot { name, ram_max, running: None, last_fault: String::new(), fuel_used: 0, generation: 0 }
    }
}

/// Records why the service stopped and returns the fault.
fn fail(slot: &mut Slot, fault: Fault, message: String) -> i32 {
    slot.last_fault = message;
    fault as i32
}

/// A call or start for a slot that holds no service (services.ts refuse).
fn refuse(services: &mut Services, i: usize, message: String) -> i32 {
    let slot = services.slots[i].get_or_insert_with(|| Slot::new(None, 0));
    slot.last_fault = message;
    if services.places[i].as_ref().is_some_and(|p| services.modules.iter().any(|(m, r)| *m == p.module && r.is_ok())) {
        Fault::TRAP as i32
    } else {
        Fault::BAD_MODULE as i32
    }
}

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
    let slot = services.slots[i].as_mut().expect("checked above");
    slot.running = None;
    slot.generation = 0;
    let max = slot.ram_max;
    let mut store = Store::new(&engine, SvcData { svc, kernel: ptr::null_mut(), memory: None, k_sys });
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
            let slot = cx.data_mut().services.slots[i].as_mut().expect("a start keeps its slot");
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
    let slot = cx.data_mut().services.slots[i].as_mut().expect("a start keeps its slot");
    let Ok(event) = event else {
        return Ok(fail(slot, Fault::BAD_MODULE, String::from("module does not export persia_event")));
    };
    let Some(fuel) = fuel else {
        return Ok(fail(slot, Fault::BAD_MODULE, format!("module is not metered (no {FUEL_EXPORT})")));
    };
    slot.running = Some(Running { store, memory, fuel, init, event });
    let services = &mut cx.data_mut().services;
    services.starts += 1;
    let generation = services.starts;
    services.slots[i].as_mut().expect("a start keeps its slot").generation = generation;
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

/// svc_fuel_used: what the service's last call consumed (0 if it did not run).
pub fn fuel_used(services: &Services, svc: i32) -> i64 {
    index(svc).and_then(|i| services.slots[i].as_ref()).map_or(0, |s| s.fuel_used)
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

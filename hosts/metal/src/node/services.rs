// The service side of the host ABI on metal, with the semantics of hosts/node/services.ts:
// the table of service ids — what each may hold (Place: module, signed file, RAM ceiling)
// and what holds it (Slot) — and svc_stop, svc_load, svc_unload, svc_ram, svc_fuel_used,
// module_read's file, and the memory svc_read/svc_write reach. Starting and calling a
// service, each in a Store of its own, is instance.rs. Service ids are slots as in the
// payload (abi/metal.ts SLOT): the manifest's services (loaded at boot) and the store's
// (free until a run-time LOAD names their module).
// Does not decide budgets, restarts or backoff (the kernel does).
use super::host::Active;
use super::instance::{Running, SvcData};
use super::payload::Payload;
use crate::abi::bridge::link_service_imports;
use crate::abi::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use wasmtime::{Engine, Linker, Module};

/// What a service id may hold (services.ts SlotPlace): its module, the signed file, the
/// most RAM a service there may get, and whether a service holds it now.
pub(super) struct Place {
    pub(super) module: u32,
    sha256: [u8; 32],
    pub(super) file: Option<&'static [u8]>,
    pub(super) ceiling: u32,
    pub(super) mem_min: u32,
    pub(super) declared_max: Option<u32>,
    pub(super) loaded: bool,
}

/// A service id that holds a service (services.ts Slot).
pub(super) struct Slot {
    pub(super) name: Option<String>,
    pub(super) ram_max: u32,
    pub(super) running: Option<Running>,
    pub(super) last_fault: String,
    pub(super) fuel_used: i64,
    /// Which start this is, set when the start begins: a start keeps its new instance, and a
    /// call puts its Store back, only if the slot still has the generation it began with —
    /// not if the kernel stopped, restarted or unloaded the service meanwhile (from inside
    /// one of its syscalls; a stop sets 0, an unload or a LOAD makes a new Slot).
    pub(super) generation: u64,
}

pub struct Services {
    /// Counts starts, for Slot::generation.
    pub(super) starts: u64,
    pub(super) engine: Engine,
    pub(super) linker: Linker<SvcData>,
    /// Deserialized once per module index; Err: why wasmtime refused it.
    pub(super) modules: Vec<(u32, Result<Module, String>)>,
    /// Indexed by service id, SVC_MAX long (on the heap: a node may have a thousand).
    pub(super) places: Vec<Option<Place>>,
    pub(super) slots: Vec<Option<Slot>>,
}

/// The pages a service there may grow to: the RAM grant, or the module's own lower maximum.
fn ram_max(pages: u32, declared: Option<u32>) -> u32 {
    declared.map_or(pages, |d| d.min(pages))
}

pub(super) fn index(svc: i32) -> Option<usize> {
    (svc >= 0 && (svc as usize) < SVC_MAX).then_some(svc as usize)
}

impl Services {
    /// Every slot of the payload; each module deserialized once.
    pub fn new(engine: Engine, payload: &Payload) -> Result<Services, String> {
        let mut linker = Linker::new(&engine);
        link_service_imports(&mut linker).map_err(|e| format!("cannot define the services' imports: {e}"))?;
        let mut s = Services {
            starts: 0, engine, linker, modules: Vec::new(),
            places: (0..SVC_MAX).map(|_| None).collect(), slots: (0..SVC_MAX).map(|_| None).collect(),
        };
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
                let name = payload.slot_name(p.svc).map(String::from);
                s.slots[p.svc] = Some(Slot::new(name, ram_max(p.ram_max, p.declared_max)));
            }
        }
        Ok(s)
    }

    /// Why a module could not be loaded at boot, for each one refused.
    pub fn refused(&self) -> impl Iterator<Item = (u32, &str)> {
        self.modules.iter().filter_map(|(m, r)| r.as_ref().err().map(|e| (*m, e.as_str())))
    }

    pub(super) fn module(&self, index: u32) -> Result<Module, String> {
        match self.modules.iter().find(|(m, _)| *m == index) {
            Some((_, Ok(m))) => Ok(m.clone()),
            Some((_, Err(e))) => Err(format!("module refused: {e}")),
            None => Err(format!("no module {index} in the image")),
        }
    }

    /// The service as the log names it (node.ts): "service 1 (x.a.sabz.city)" — a manifest
    /// service by its SLOT_NAME section, a store slot by the name its LOAD gave — else
    /// "service 1".
    pub fn label(&self, svc: i32) -> String {
        match index(svc).and_then(|i| self.slots[i].as_ref()).and_then(|s| s.name.as_deref()) {
            Some(n) => format!("service {svc} ({n})"),
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
    /// id among its slots (in the kernel's bitmap of SVC_MAX bits, id i at byte i/8, bit i%8)
    /// gets it. The id, or -ENOENT, -ENOSPC, -EINVAL.
    pub fn load(&mut self, req: &[u8]) -> i32 {
        if req.len() < SL_NAME || req.len() != SL_NAME + req[SL_NAME_LEN] as usize {
            return -(Errno::EINVAL as i32);
        }
        let word = |at: usize| u32::from_le_bytes([req[at], req[at + 1], req[at + 2], req[at + 3]]);
        let ram = word(SL_RAM_MAX);
        let free_bits = &req[SL_FREE..SL_RAM_MAX];
        let free = |i: usize| free_bits.get(i / 8).is_some_and(|b| (b >> (i % 8)) & 1 == 1);
        let hash = &req[SL_HASH..SL_HASH + 32];
        if !self.places.iter().flatten().any(|p| p.sha256 == hash) {
            return -(Errno::ENOENT as i32);
        }
        let id = self.places.iter().enumerate().position(|(i, p)| {
            p.as_ref().is_some_and(|p| !p.loaded && free(i) && ram <= p.ceiling && p.sha256 == hash)
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
    pub(super) fn new(name: Option<String>, ram_max: u32) -> Slot {
        Slot { name, ram_max, running: None, last_fault: String::new(), fuel_used: 0, generation: 0 }
    }
}

/// Records why the service stopped and returns the fault.
pub(super) fn fail(slot: &mut Slot, fault: Fault, message: String) -> i32 {
    slot.last_fault = message;
    fault as i32
}

/// A call or start for a slot that holds no service (services.ts refuse).
pub(super) fn refuse(services: &mut Services, i: usize, message: String) -> i32 {
    let slot = services.slots[i].get_or_insert_with(|| Slot::new(None, 0));
    slot.last_fault = message;
    if services.places[i].as_ref().is_some_and(|p| services.modules.iter().any(|(m, r)| *m == p.module && r.is_ok())) {
        Fault::TRAP as i32
    } else {
        Fault::BAD_MODULE as i32
    }
}

/// svc_fuel_used: what the service's last call consumed (0 if it did not run).
pub fn fuel_used(services: &Services, svc: i32) -> i64 {
    index(svc).and_then(|i| services.slots[i].as_ref()).map_or(0, |s| s.fuel_used)
}

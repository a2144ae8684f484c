// The kernel's host imports on metal (abi/contract.ts HOST_IMPORTS, through the generated
// HostImports trait): log to the serial console, random from the platform, nic_send to the
// virtio-net driver, disk_* to the virtio-blk driver, svc_* to instance.rs and services.rs,
// module_read from the payload's MODULE_FILE sections, capture as the wasmtime image prints
// it, and mod_*
// answered -ENOTSUP exactly as the wasmtime image's glue answers them (this host takes no
// module at run time). A range outside kernel memory where the Node host throws (random,
// svc_load, module_read, capture) is a kernel bug here too: the import traps and the node
// stops with the reason. Host is also the data of the kernel's Store.
// Does not run the loop (mod.rs) or start anything.
use super::faults::{abort_text, KernelTrap};
use super::out::{level_name, put_base64};
use super::instance;
use super::services::{self, Services};
use crate::abi::bridge::HostImports;
use crate::abi::*;
use crate::dev::blk::Blk;
use crate::dev::net::Net;
use crate::dev::DevError;
use crate::platform::{clock, rng, serial};
use crate::{print, println};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use wasmtime::{Caller, Error, Memory, Result, TypedFunc};

/// The service whose syscall the kernel is serving, and where its memory is, since its
/// Store is borrowed by the running call (services.rs).
#[derive(Clone, Copy)]
pub struct Active {
    pub svc: usize,
    pub base: *mut u8,
    pub size: usize,
}

/// A disk of the manifest: its device and the size the manifest gave.
pub struct Disk {
    pub dev: Blk,
    pub size: u64,
}

pub type KSys = TypedFunc<(i32, i32, i32, i32, i32, i32, i32), i32>;

pub struct Host {
    pub quiet: bool,
    /// Capture lines are printed; the wall clock (µs) at `capture_mono_ns`.
    pub capture: Option<(u64, u64)>,
    /// By NIC id; None while the loop delivers its frames (mod.rs) or when absent.
    pub nics: Vec<Option<Net>>,
    pub disks: Vec<Option<Disk>>,
    /// The xHCI controllers and the manifest's USB devices bound to what is plugged in.
    pub usb: super::usb::Usb,
    pub services: Services,
    /// MODULE_FILE sections are reached through services.rs; none other is needed here.
    pub memory: Option<Memory>,
    pub k_sys: Option<KSys>,
    pub active: Option<Active>,
    /// Counted per NIC: frames nic_send could not hand to the device.
    pub send_errors: Vec<u64>,
    /// Counted per NIC: received frames longer than Buf.RX (FRAME_MAX), not delivered.
    pub rx_too_long: Vec<u64>,
    /// Bench mode (bench.rs): frames nic_send counted instead of sending.
    pub bench_sent: Option<u64>,
}

fn neg(e: Errno) -> i32 {
    -(e as i32)
}

fn dev_errno(e: DevError) -> i32 {
    neg(match e {
        DevError::NoSpace => Errno::ENOSPC,
        DevError::Io => Errno::EIO,
        DevError::Range => Errno::ERANGE,
        DevError::TooBig => Errno::EMSGSIZE,
        DevError::Invalid => Errno::EINVAL,
        DevError::Unsupported => Errno::ENOTSUP,
    })
}

/// [ptr, +len) inside `len_of` bytes, pointer and length read unsigned (memview.ts inRange).
fn range(ptr: i32, len: i32, size: usize) -> Option<core::ops::Range<usize>> {
    let (p, l) = (ptr as u32 as usize, len as u32 as usize);
    (p.checked_add(l)? <= size).then_some(p..p + l)
}

/// A kernel bug found by a host import: the kernel traps with this, and the node stops.
fn kernel_bug(what: String) -> Error {
    Error::msg(KernelTrap(what))
}

fn kernel_mem<'a>(cx: &'a mut Caller<'_, Host>) -> Result<(&'a mut [u8], &'a mut Host)> {
    let m = cx.data().memory.ok_or_else(|| kernel_bug(String::from("a host import ran before the kernel's memory was known")))?;
    Ok(m.data_and_store_mut(cx))
}

/// The log line of a service fault, as the Node host writes it (node.ts serviceFault).
fn note_fault(h: &Host, svc: i32, fault: i32, during: &str) {
    if fault != Fault::NONE as i32 {
        let text = Fault::from_raw(fault).map_or("faulted", |f| f.text());
        println!("warn host: {} {text} {during}: {}", h.services.label(svc), h.services.fault_message(svc));
    }
}

impl HostImports for Host {
    fn log(cx: &mut Caller<'_, Self>, level: i32, ptr: i32, len: i32) -> Result<()> {
        let (bytes, h) = kernel_mem(cx)?;
        let shown = if h.quiet { LogLevel::WARN } else { LogLevel::INFO };
        if level > shown as i32 {
            return Ok(());
        }
        print!("{} kernel: ", level_name(level));
        match range(ptr, len, bytes.len()) {
            Some(r) => serial::write_bytes(&bytes[r]),
            None => print!("(a log line outside kernel memory: {}+{})", ptr as u32, len as u32),
        }
        println!();
        Ok(())
    }

    fn random(cx: &mut Caller<'_, Self>, ptr: i32, len: i32) -> Result<()> {
        let (bytes, _) = kernel_mem(cx)?;
        let r = range(ptr, len, bytes.len())
            .ok_or_else(|| kernel_bug(format!("random({}, {}) lies outside kernel memory", ptr as u32, len as u32)))?;
        if !rng::fill(&mut bytes[r]) {
            return Err(kernel_bug(String::from("no random source gave bytes (RDSEED, RDRAND and virtio-rng all failed)")));
        }
        Ok(())
    }

    fn nic_send(cx: &mut Caller<'_, Self>, nic: i32, ptr: i32, len: i32) -> Result<i32> {
        let (bytes, h) = kernel_mem(cx)?;
        if let Some(n) = h.bench_sent.as_mut() {
            *n += 1;
            return Ok(0);
        }
        let Some(Some(dev)) = h.nics.get_mut(nic as u32 as usize) else { return Ok(neg(Errno::ENODEV)) };
        let Some(r) = range(ptr, len, bytes.len()) else { return Ok(neg(Errno::EFAULT)) };
        Ok(match dev.send(&bytes[r]) {
            Ok(()) => 0,
            Err(e) => {
                h.send_errors[nic as usize] += 1;
                dev_errno(e)
            }
        })
    }

    /// Metal drives virtio-net NICs, and the kernel sends super-frames only to a TAP NIC
    /// (spec/abi.md "Super-frames"): never called by a kernel that keeps the contract.
    fn nic_send_gso(_cx: &mut Caller<'_, Self>, _nic: i32, _ptr: i32, _len: i32, _gso_size: i32) -> Result<i32> {
        Ok(neg(Errno::ENOTSUP))
    }

    fn svc_start(cx: &mut Caller<'_, Self>, svc: i32) -> Result<i32> {
        let fault = instance::start(cx, svc)?;
        note_fault(cx.data(), svc, fault, "at start");
        Ok(fault)
    }

    fn svc_stop(cx: &mut Caller<'_, Self>, svc: i32) -> Result<()> {
        cx.data_mut().services.stop(svc);
        Ok(())
    }

    fn svc_load(cx: &mut Caller<'_, Self>, ptr: i32, len: i32) -> Result<i32> {
        let (bytes, h) = kernel_mem(cx)?;
        let r = range(ptr, len, bytes.len())
            .ok_or_else(|| kernel_bug(format!("svc_load({}, {}) lies outside kernel memory", ptr as u32, len as u32)))?;
        let id = h.services.load(&bytes[r]);
        if id >= 0 {
            println!("info host: {} takes a slot of its module from the store", h.services.label(id));
        }
        Ok(id)
    }

    fn svc_unload(cx: &mut Caller<'_, Self>, svc: i32) -> Result<()> {
        cx.data_mut().services.unload(svc);
        Ok(())
    }

    fn svc_ram(cx: &mut Caller<'_, Self>, svc: i32, pages: i32) -> Result<i32> {
        Ok(cx.data_mut().services.set_ram(svc, pages))
    }

    fn svc_call(cx: &mut Caller<'_, Self>, svc: i32, entry: i32, fuel: i64) -> Result<i32> {
        let fault = instance::call(cx, svc, entry, fuel)?;
        note_fault(cx.data(), svc, fault, "in a call");
        Ok(fault)
    }

    fn svc_fuel_used(cx: &mut Caller<'_, Self>, svc: i32) -> Result<i64> {
        Ok(services::fuel_used(&cx.data().services, svc))
    }

    fn svc_read(cx: &mut Caller<'_, Self>, svc: i32, src: i32, dst: i32, len: i32) -> Result<i32> {
        copy_service(cx, svc, src, dst, len, false)
    }

    fn svc_write(cx: &mut Caller<'_, Self>, svc: i32, dst: i32, src: i32, len: i32) -> Result<i32> {
        copy_service(cx, svc, dst, src, len, true)
    }

    fn disk_read(cx: &mut Caller<'_, Self>, disk: i32, off: i64, ptr: i32, len: i32) -> Result<i32> {
        let (bytes, h) = kernel_mem(cx)?;
        let Some(Some(d)) = h.disks.get_mut(disk as u32 as usize) else { return Ok(neg(Errno::ENODEV)) };
        let at = match disk_range(d, off, len) { Ok(at) => at, Err(e) => return Ok(e) };
        let Some(r) = range(ptr, len, bytes.len()) else { return Ok(neg(Errno::EFAULT)) };
        Ok(match d.dev.read(at, &mut bytes[r]) {
            Ok(n) => n as i32,
            Err(e) => disk_failed(disk, "read", e),
        })
    }

    fn disk_write(cx: &mut Caller<'_, Self>, disk: i32, off: i64, ptr: i32, len: i32) -> Result<i32> {
        let (bytes, h) = kernel_mem(cx)?;
        let Some(Some(d)) = h.disks.get_mut(disk as u32 as usize) else { return Ok(neg(Errno::ENODEV)) };
        let at = match disk_range(d, off, len) { Ok(at) => at, Err(e) => return Ok(e) };
        let Some(r) = range(ptr, len, bytes.len()) else { return Ok(neg(Errno::EFAULT)) };
        Ok(match d.dev.write(at, &bytes[r]) {
            Ok(n) => n as i32,
            Err(e) => disk_failed(disk, "write", e),
        })
    }

    fn disk_flush(cx: &mut Caller<'_, Self>, disk: i32) -> Result<i32> {
        let Some(Some(d)) = cx.data_mut().disks.get_mut(disk as u32 as usize) else { return Ok(neg(Errno::ENODEV)) };
        Ok(match d.dev.flush() {
            Ok(()) => 0,
            Err(e) => disk_failed(disk, "flush", e),
        })
    }

    /// To the xHCI driver (usb.rs): OUT data is copied from kernel memory into the
    /// transfer's own buffer before this returns. The kernel checked the transfer; the
    /// driver checks again what it depends on (slot, length, endpoint, request).
    fn usb_submit(cx: &mut Caller<'_, Self>, dev: i32, xfer: i32, ep: i32, kind: i32, setup: i64, ptr: i32, len: i32, timeout: i32) -> Result<i32> {
        let (bytes, h) = kernel_mem(cx)?;
        let n = len as u32 as usize;
        if n > USB_XFER_MAX {
            return Ok(neg(Errno::EINVAL));
        }
        let dir_in = if ep & 0x0f == 0 { setup as u8 & USB_DIR_IN != 0 } else { ep as u8 & USB_DIR_IN != 0 };
        let out: &[u8] = if dir_in {
            &[]
        } else {
            match range(ptr, len, bytes.len()) {
                Some(r) => &bytes[r],
                None => return Err(kernel_bug(format!("usb_submit({dev}, {xfer}): OUT data [{}, +{n}) lies outside kernel memory", ptr as u32))),
            }
        };
        Ok(h.usb.submit(dev, xfer, ep, kind, setup, out, n, timeout, clock::now_ms()))
    }

    fn usb_cancel(cx: &mut Caller<'_, Self>, dev: i32, xfer: i32) -> Result<()> {
        cx.data_mut().usb.cancel(dev, xfer);
        Ok(())
    }

    fn module_read(cx: &mut Caller<'_, Self>, svc: i32, off: i32, dst: i32, len: i32) -> Result<i32> {
        let (bytes, h) = kernel_mem(cx)?;
        let Some(file) = h.services.module_file(svc) else { return Ok(neg(Errno::ENOENT)) };
        let from = (off as u32 as usize).min(file.len());
        let n = (len as u32 as usize).min(file.len() - from);
        if n > 0 {
            let r = range(dst, n as i32, bytes.len()).ok_or_else(|| {
                kernel_bug(format!("module_read({svc}, {}, {}, {}) lies outside kernel memory", off as u32, dst as u32, len as u32))
            })?;
            bytes[r].copy_from_slice(&file[from..from + n]);
        }
        Ok(file.len() as i32)
    }

    fn mod_stage(_cx: &mut Caller<'_, Self>, _slot: i32, _hash: i32, _size: i32) -> Result<i32> {
        Ok(neg(Errno::ENOTSUP))
    }

    fn mod_write(_cx: &mut Caller<'_, Self>, _slot: i32, _off: i32, _ptr: i32, _len: i32) -> Result<i32> {
        Ok(neg(Errno::ENOTSUP))
    }

    fn mod_read(_cx: &mut Caller<'_, Self>, _slot: i32, _off: i32, _ptr: i32, _len: i32) -> Result<i32> {
        Ok(neg(Errno::ENOTSUP))
    }

    fn mod_commit(_cx: &mut Caller<'_, Self>, _slot: i32) -> Result<i32> {
        Ok(neg(Errno::ENOTSUP))
    }

    fn mod_abort(_cx: &mut Caller<'_, Self>, _slot: i32) -> Result<()> {
        Ok(())
    }

    fn capture(cx: &mut Caller<'_, Self>, point: i32, nic: i32, svc: i32, reason: i32, ptr: i32, len: i32) -> Result<()> {
        let (bytes, h) = kernel_mem(cx)?;
        let Some((wall_us, mono_ns)) = h.capture else { return Ok(()) };
        let r = range(ptr, len, bytes.len())
            .ok_or_else(|| kernel_bug(format!("capture({}, {}) lies outside kernel memory", ptr as u32, len as u32)))?;
        let us = wall_us + clock::now_ns().saturating_sub(mono_ns) / 1000;
        print!("{IMG_CAPTURE_PREFIX}{us} {point} {nic} {svc} {reason} ");
        put_base64(&bytes[r]);
        println!();
        Ok(())
    }

    fn kernel_abort(cx: &mut Caller<'_, Self>, msg: i32, file: i32, line: i32, col: i32) -> Result<()> {
        let (bytes, _) = kernel_mem(cx)?;
        Err(kernel_bug(format!("the kernel aborted: {}", abort_text(bytes, msg, file, line, col))))
    }
}

/// The disk offset checked against the manifest's size: the offset, or -ERANGE (disk.ts check).
fn disk_range(d: &Disk, off: i64, len: i32) -> core::result::Result<u64, i32> {
    let end = (off as u64).checked_add(len as u32 as u64);
    if off < 0 || end.is_none_or(|e| e > d.size) {
        return Err(neg(Errno::ERANGE));
    }
    Ok(off as u64)
}

/// A device error: one line (as disk.ts `failed` reports it), then -Errno.
fn disk_failed(disk: i32, op: &str, e: DevError) -> i32 {
    println!("error host: disk {disk}: {op} failed: {e}");
    dev_errno(e)
}

/// svc_read (to_service false: service [a, +len) → kernel [b)) and svc_write (true: kernel
/// [b, +len) → service [a)); 0 or -EFAULT.
fn copy_service(cx: &mut Caller<'_, Host>, svc: i32, a: i32, b: i32, len: i32, to_service: bool) -> Result<i32> {
    let (kbytes, h) = kernel_mem(cx)?;
    let mem = match h.active.filter(|x| x.svc as i32 == svc) {
        Some(x) => Some((x.base, x.size)),
        None => h.services.memory_of(svc),
    };
    let Some((base, size)) = mem else { return Ok(neg(Errno::EFAULT)) };
    let (Some(s), Some(k)) = (range(a, len, size), range(b, len, kbytes.len())) else { return Ok(neg(Errno::EFAULT)) };
    // SAFETY: [base, +size) is the service's memory as its Store reports it now; the service
    // is not running wasm while the kernel serves it (one core), and it is a different
    // allocation from the kernel's memory, so the two ranges cannot overlap.
    let svc_bytes = unsafe { core::slice::from_raw_parts_mut(base, size) };
    if to_service {
        svc_bytes[s].copy_from_slice(&kbytes[k]);
    } else {
        kbytes[k].copy_from_slice(&svc_bytes[s]);
    }
    Ok(0)
}

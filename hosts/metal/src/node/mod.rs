// The node on metal (spec/metal.md "Engine"): reads the payload, prints the kernel's
// SHA-256, finds the manifest's devices, loads the kernel and the services with wasmtime,
// boots the kernel and runs its loop — the same loop as the wasmtime image's (hosts/wasi/
// loop.ts): k_poll at the kernel's deadlines, every NIC's received frames to k_rx_batch (a
// turn's frames in one call, at the time they are handed over), status lines when due, and
// after `for=` a graceful stop (k_stop until the kernel says it is done, or STOP_MAX_MS)
// and exit STOPPED. Idle is the
// platform's `idle_until` (HLT until an interrupt or the next deadline): no spinning.
// Anything that keeps the node from booting, and a kernel trap, is one line and exit FAILED.
mod args;
mod bench;
mod devices;
pub mod engine;
mod faults;
mod host;
mod instance;
mod memory;
mod out;
mod payload;
mod services;
mod status;
mod usb;
mod wasmtime_platform;

use crate::abi::bridge::{link_host_imports, KernelExports};
use crate::abi::*;
use crate::platform::exit::{exit, MtlExit};
use crate::platform::{clock, heap, mbinfo, pic, Boot};
use crate::println;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use host::Host;
use wasmtime::{Linker, Store};

/// The kernel's memory export (hosts/node/kernel.ts MEMORY_EXPORT): every kernel has it
/// besides KERNEL_EXPORTS.
const MEMORY_EXPORT: &str = "memory";
/// The longest the loop sleeps with nothing to do: it turns even so.
const MAX_WAIT_MS: u64 = 60_000;
/// How often a NIC without an interrupt line is polled, at most this long apart.
const POLL_NO_IRQ_MS: u64 = 10;

fn fail(why: &str) -> ! {
    println!("persia-metal: {why}");
    exit(MtlExit::Failed)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The node's clock: ms since it started (kernel time), never negative (clock::now_ms never
/// goes back, and the subtraction saturates all the same).
struct Clock {
    t0: u64,
}

impl Clock {
    fn now(&self) -> i64 {
        clock::now_ms().saturating_sub(self.t0).min(i64::MAX as u64) as i64
    }
}

/// The earlier of two times in ms, where a negative one means never.
fn earliest(a: i64, b: i64) -> i64 {
    if a < 0 { b } else if b < 0 { a } else { a.min(b) }
}

pub fn run(boot: Boot) -> ! {
    println!("persia-metal");
    let p = payload::Payload::read(heap::payload_addr() as usize).unwrap_or_else(|why| fail(&why));
    println!("{MTL_KERNEL_LINE}{}", hex(&p.kernel_sha256));
    let args = args::parse(mbinfo::cmdline()).unwrap_or_else(|why| fail(&why));
    let devices = devices::open(&p, args.bench.is_some()).unwrap_or_else(|why| fail(&why));
    let (mut store, k) = instantiate(&p, &args, devices);
    let clk = Clock { t0: clock::now_ms() };
    boot_kernel(&mut store, &k, &p, &clk, &boot);
    if args.capture {
        let wall_us = boot.wall_ms.map_or(0, |w| (w + clock::now_ms()).saturating_sub(boot.boot_ms) * 1000);
        store.data_mut().capture = Some((wall_us, clock::now_ns()));
        match k.k_capture.call(&mut store, (CAPTURE_ALL, CAPTURE_NONE, CAPTURE_NONE)) {
            Ok(0) => {}
            Ok(r) => fail(&format!("the kernel refused to capture every point ({r})")),
            Err(e) => stopped(&e),
        }
    }
    let t_started = start_services(&mut store, &k, &clk);
    if let Some(b) = args.bench.as_ref() {
        if let Err(e) = bench::run(&mut store, &k, b, t_started) {
            stopped(&e);
        }
        exit(MtlExit::Stopped);
    }
    run_loop(&mut store, &k, &args, &clk)
}

/// Loads the kernel and every module, instantiates the kernel with the host imports and
/// checks that it speaks this host's ABI.
fn instantiate(p: &payload::Payload, args: &args::Args, devices: devices::Devices) -> (Store<Host>, KernelExports) {
    let t_load = clock::now_ms();
    let engines = engine::Engines::new().unwrap_or_else(|why| fail(&why));
    let kernel = engine::load(&engines.kernel, p.kernel(), "kernel.wasm").unwrap_or_else(|why| fail(&why));
    let services = services::Services::new(engines.services.clone(), p).unwrap_or_else(|why| fail(&why));
    for (m, why) in services.refused() {
        println!("warn host: module {m}: {why}");
    }
    println!("persia-metal: loaded the kernel and {} module(s) in {} ms", p.slots().count(), clock::now_ms().saturating_sub(t_load));
    let host = Host {
        quiet: args.quiet,
        capture: None,
        nics: devices.nics,
        disks: devices.disks,
        usb: devices.usb,
        services,
        memory: None,
        k_sys: None,
        active: None,
        send_errors: vec![0; NIC_MAX],
        rx_too_long: vec![0; NIC_MAX],
        bench_sent: args.bench.as_ref().map(|_| 0),
    };
    let mut store = Store::new(&engines.kernel, host);
    let mut linker = Linker::new(&engines.kernel);
    if let Err(e) = link_host_imports(&mut linker) {
        fail(&format!("cannot define the kernel's host imports: {e}"));
    }
    let instance = linker.instantiate(&mut store, &kernel)
        .unwrap_or_else(|e| fail(&format!("kernel.wasm cannot be instantiated: {e:#}")));
    let k = KernelExports::new(&mut store, &instance)
        .unwrap_or_else(|e| fail(&format!("kernel.wasm lacks an export of abi/contract.ts KERNEL_EXPORTS: {e:#}")));
    let Some(memory) = instance.get_memory(&mut store, MEMORY_EXPORT) else {
        fail("kernel.wasm exports no memory");
    };
    store.data_mut().memory = Some(memory);
    store.data_mut().k_sys = Some(k.k_sys.clone());
    match k.k_abi.call(&mut store, ()) {
        Ok(v) if v == ABI_VERSION => {}
        Ok(v) => fail(&format!("the kernel in this image speaks ABI {v}, this host ABI {ABI_VERSION}: build the image again with one persia")),
        Err(e) => stopped(&e),
    }
    (store, k)
}

/// Writes the boot manifest into Buf.BOOT, gives the kernel the wall clock and boots it.
fn boot_kernel(store: &mut Store<Host>, k: &KernelExports, p: &payload::Payload, clk: &Clock, boot: &Boot) {
    let man = p.boot();
    let call = |r: wasmtime::Result<i32>| r.unwrap_or_else(|e| stopped(&e));
    let room = call(k.k_buf_size.call(&mut *store, Buf::BOOT as i32)) as u32 as usize;
    if man.len() > room {
        fail(&format!("the boot manifest has {} bytes; the kernel's boot buffer holds {room}", man.len()));
    }
    let at = call(k.k_buf.call(&mut *store, Buf::BOOT as i32)) as u32 as usize;
    let memory = store.data().memory.expect("set after instantiation");
    if memory.write(&mut *store, at, man).is_err() {
        fail("the kernel's boot buffer lies outside its memory");
    }
    // The wall clock at kernel time 0 (WireGuard's timestamps); without an RTC, the epoch.
    let epoch = boot.wall_ms.map_or(0, |w| (w + clk.t0).saturating_sub(boot.boot_ms)) as i64;
    if boot.wall_ms.is_none() {
        println!("warn host: no wall clock: the kernel's wall time starts at the Unix epoch");
    }
    if let Err(e) = k.k_epoch.call(&mut *store, epoch) {
        stopped(&e);
    }
    let r = call(k.k_boot.call(&mut *store, (man.len() as i32, clk.now())));
    if r < 0 {
        let name = Errno::from_raw(-r).map_or(String::from("E?"), |e| format!("{} ({})", e.name(), e.text()));
        fail(&format!("the kernel refused to boot from the image's manifest: {name} (its log above says why)"));
    }
    let h = store.data();
    let (nics, disks) = (h.nics.iter().flatten().count(), h.disks.iter().flatten().count());
    println!(
        "persia-metal: node {} is running on metal: {nics} NIC(s), {disks} disk(s); k_boot returned {} ms after the clock started",
        p.name(),
        clock::now_ms()
    );
}

/// The kernel's first poll, which starts the boot services (the run loop and bench mode
/// poll again at once), and the MTL_STARTED_LINE: how many run, how long booting took and
/// what it holds of the heap.
/// The kernel time of that poll.
fn start_services(store: &mut Store<Host>, k: &KernelExports, clk: &Clock) -> i64 {
    let t = clk.now();
    if let Err(e) = k.k_poll.call(&mut *store, t) {
        stopped(&e);
    }
    let ms = clock::now_ms();
    let h = store.data();
    let running = h.services.slots.iter().flatten().filter(|s| s.running.is_some()).count();
    let services = h.services.slots.iter().flatten().count();
    let pages = h.memory.map_or(0, |m| m.data_size(&*store) / 65536);
    println!(
        "{MTL_STARTED_LINE}{running} of {services} services; boot {ms} ms, heap {} bytes in use, kernel memory {pages} pages",
        heap::allocated_bytes()
    );
    t
}

/// The kernel trapped or a host import found a kernel bug: say why and stop.
fn stopped(e: &wasmtime::Error) -> ! {
    fail(&format!("the kernel failed; the node has stopped: {e:#}"))
}

fn run_loop(store: &mut Store<Host>, k: &KernelExports, args: &args::Args, clk: &Clock) -> ! {
    let every = args.status_every as i64;
    let for_ms = args.for_ms.map_or(-1, |v| v as i64);
    let mut next_status: i64 = if every > 0 { every } else { -1 };
    let mut stop_end: i64 = -1;
    let lines = irq_lines(store);
    for l in lines.iter().copied() {
        pic::irq_unmask(l);
    }
    let mut batch = rx_batch(store, k);
    let polled = store.data().nics.iter().flatten().any(|n| n.irq().is_none()) || store.data().usb.needs_polling();
    // USB devices enumerated at boot are attached now that the kernel knows its USB records
    // (one device is enumerated per poll; a port that fails backs off and is not due again
    // for a second, so this ends; the time bound is for a controller gone mad)
    let usb_end = clock::now_ms() + 10_000;
    usb_service(store, k, clk);
    while store.data().usb.enumeration_due() && clock::now_ms() < usb_end {
        usb_service(store, k, clk);
    }
    for m in store.data().usb.unbound() {
        println!("warn host: USB {}: no device matches it ({}); it is attached when one is plugged in", m.name, usb::describe(m));
    }
    loop {
        let r = if stop_end < 0 { k.k_poll.call(&mut *store, clk.now()) } else { k.k_stop.call(&mut *store, clk.now()) };
        let mut deadline = r.unwrap_or_else(|e| stopped(&e));
        let now = clk.now();
        if next_status >= 0 && now >= next_status {
            print_status(store, k);
            next_status += every;
            if next_status <= now {
                next_status = now + every; // fell behind: skip, do not burst
            }
        }
        if stop_end < 0 && for_ms >= 0 && now >= for_ms {
            stop_end = now + STOP_MAX_MS;
            deadline = k.k_stop.call(&mut *store, now).unwrap_or_else(|e| stopped(&e));
        }
        if stop_end >= 0 && (deadline < 0 || now >= stop_end) {
            print_status(store, k);
            if !args.quiet {
                status::print_counters(store);
            }
            exit(MtlExit::Stopped);
        }
        let mut wake = earliest(earliest(deadline, next_status), if stop_end >= 0 { stop_end } else { for_ms });
        if polled {
            wake = earliest(wake, now + POLL_NO_IRQ_MS as i64);
        }
        if let Some(t) = store.data().usb.next_deadline() {
            // a transfer's timeout (platform ms to node ms)
            wake = earliest(wake, t.saturating_sub(clk.t0).min(i64::MAX as u64) as i64);
        }
        if !rx_waiting(store) && !store.data().usb.has_work() {
            let until = if wake < 0 { now as u64 + MAX_WAIT_MS } else { (wake as u64).min(now as u64 + MAX_WAIT_MS) };
            clock::idle_until(clk.t0 + until);
        }
        let fired = pic::irq_take_pending();
        receive_all(store, k, clk, &mut batch);
        usb_service(store, k, clk);
        ack_others(store, fired);
        for l in lines.iter().copied().filter(|l| fired & (1 << l) != 0) {
            pic::irq_unmask(l);
        }
    }
}

fn print_status(store: &mut Store<Host>, k: &KernelExports) {
    status::print_host_line(store);
    if let Err(e) = status::print_status(store, k) {
        stopped(&e);
    }
}

/// The PIC lines the NICs and xHCI controllers interrupt on, each once.
fn irq_lines(store: &Store<Host>) -> alloc::vec::Vec<u8> {
    let mut lines: alloc::vec::Vec<u8> = store.data().nics.iter().flatten().filter_map(|n| n.irq()).collect();
    lines.extend(store.data().usb.irq_lines());
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Reads the ISR of every other virtio device on a line that fired (disks, the virtio-rng):
/// a NIC line may be shared, and a device whose ISR nobody reads (a disk's configuration
/// change, e.g. a resize) keeps the level-triggered line up, so it would fire again the
/// moment it is unmasked and the idle loop would never halt. NICs read theirs in poll_rx.
fn ack_others(store: &Store<Host>, fired: u16) {
    if fired == 0 {
        return;
    }
    for d in store.data().disks.iter().flatten() {
        if d.dev.irq().is_some_and(|l| fired & (1 << l) != 0) {
            d.dev.ack();
        }
    }
    crate::dev::rng::ack_fallback(fired);
}

/// Polls the xHCI controllers (which acknowledges their interrupt) and tells the kernel each
/// attach, detach and finished transfer, one at a time: the bytes go into Buf.USB first, and
/// no borrow of the driver is held while the kernel runs (it may submit again from k_usb_done).
fn usb_service(store: &mut Store<Host>, k: &KernelExports, clk: &Clock) {
    if store.data().usb.hcs.is_empty() {
        return;
    }
    store.data_mut().usb.poll(clock::now_ms());
    let call = |r: wasmtime::Result<i32>| r.unwrap_or_else(|e| stopped(&e));
    let at = call(k.k_buf.call(&mut *store, Buf::USB as i32)) as u32 as usize;
    let size = call(k.k_buf_size.call(&mut *store, Buf::USB as i32)) as u32 as usize;
    let memory = store.data().memory.expect("set after instantiation");
    loop {
        let (bytes, h) = memory.data_and_store_mut(&mut *store);
        let Some(buf) = bytes.get_mut(at..at.saturating_add(size)) else {
            fail("the kernel's USB buffer lies outside its memory");
        };
        let Some(report) = h.usb.next_report(buf) else { return };
        let now = clk.now();
        match report {
            usb::Report::Attach { dev, len } => {
                let r = call(k.k_usb_attach.call(&mut *store, (dev as i32, len as i32, now)));
                if r < 0 {
                    let name = Errno::from_raw(-r).map_or(String::from("E?"), |e| format!("{} ({})", e.name(), e.text()));
                    println!("warn host: USB {}: the kernel refused the device: {name}; it stays unusable until plugged in again", store.data().usb.name(dev));
                }
            }
            usb::Report::Detach { dev } => {
                if let Err(e) = k.k_usb_detach.call(&mut *store, (dev as i32, now)) {
                    stopped(&e);
                }
            }
            usb::Report::Done { dev, xfer, status, len } => {
                if let Err(e) = k.k_usb_done.call(&mut *store, (dev as i32, xfer as i32, status, len as i32, now)) {
                    stopped(&e);
                }
            }
        }
    }
}

fn rx_waiting(store: &Store<Host>) -> bool {
    store.data().nics.iter().flatten().any(|n| n.rx_pending())
}

/// Buf.RX_BATCH as receive_all fills it: where it is, its size, and the records queued.
struct RxBatch {
    at: usize,
    size: usize,
    used: usize,
    count: i32,
    /// The kernel took fewer records than it was given at least once (said once).
    said_short: bool,
}

/// The header of a record (abi/kernel.ts REC_*) of `len` bytes from NIC `nic`.
fn rec_header(nic: usize, len: usize) -> [u8; REC_HDR] {
    let mut hdr = [0u8; REC_HDR];
    hdr[REC_NIC..REC_NIC + 2].copy_from_slice(&(nic as u16).to_le_bytes());
    hdr[REC_LEN..REC_LEN + 2].copy_from_slice(&(len as u16).to_le_bytes());
    hdr
}

/// Finds Buf.RX_BATCH, once, after boot; a kernel whose buffer cannot hold one frame of
/// FRAME_MAX is refused, so a record is never written past it.
fn rx_batch(store: &mut Store<Host>, k: &KernelExports) -> RxBatch {
    let call = |r: wasmtime::Result<i32>| r.unwrap_or_else(|e| stopped(&e));
    let at = call(k.k_buf.call(&mut *store, Buf::RX_BATCH as i32)) as u32 as usize;
    let size = call(k.k_buf_size.call(&mut *store, Buf::RX_BATCH as i32)) as u32 as usize;
    if at == 0 || size < rec_size(FRAME_MAX) {
        fail(&format!("the kernel's receive batch (Buf.RX_BATCH, {size} bytes at {at}) cannot hold a frame of {FRAME_MAX} bytes"));
    }
    RxBatch { at, size, used: 0, count: 0, said_short: false }
}

/// Hands every NIC's received frames to the kernel together, as the Node host and the
/// wasmtime image do (spec/hosts.md): each frame is laid out in Buf.RX_BATCH as a record
/// (abi/kernel.ts REC_*), and one k_rx_batch takes all of them, in order, at one time — when
/// they are handed over. A record that would not fit hands over what is queued first. The
/// NIC is taken out of the kernel's data while its frames are read; that is harmless for a
/// batch handed over meanwhile, since k_rx_batch only queues what it sends (nic_send comes
/// from k_poll).
fn receive_all(store: &mut Store<Host>, k: &KernelExports, clk: &Clock, b: &mut RxBatch) {
    let memory = store.data().memory.expect("set after instantiation");
    for id in 0..NIC_MAX {
        let Some(mut nic) = store.data_mut().nics[id].take() else { continue };
        let mut failed: Option<wasmtime::Error> = None;
        nic.poll_rx(&mut |frame: &[u8]| {
            if failed.is_some() {
                return;
            }
            if frame.len() > FRAME_MAX {
                // longer than the kernel takes (the driver's buffers are smaller, so this cannot
                // happen today): counted here and never cut to a shorter frame, as the image does
                store.data_mut().rx_too_long[id] += 1;
                return;
            }
            let need = rec_size(frame.len());   // at most b.size: rx_batch checked
            if b.used + need > b.size {
                if let Err(e) = rx_flush(&mut *store, k, clk, b) {
                    failed = Some(e);
                    return;
                }
            }
            let hdr = rec_header(id, frame.len());
            let rec = b.at + b.used;
            if memory.write(&mut *store, rec, &hdr).is_err() || memory.write(&mut *store, rec + REC_HDR, frame).is_err() {
                failed = Some(wasmtime::Error::msg("the kernel's receive batch lies outside its memory"));
                return;
            }
            b.used += need;
            b.count += 1;
        });
        store.data_mut().nics[id] = Some(nic);
        if let Some(e) = failed {
            stopped(&e);
        }
    }
    if let Err(e) = rx_flush(store, k, clk, b) {
        stopped(&e);
    }
}

/// Gives the queued records to the kernel in one k_rx_batch, received now. The kernel
/// counts a record it could not take (FRAME_SHORT); receive_all lays them out so it takes
/// all, and says so once if it ever does not.
fn rx_flush(store: &mut Store<Host>, k: &KernelExports, clk: &Clock, b: &mut RxBatch) -> wasmtime::Result<()> {
    if b.count == 0 {
        return Ok(());
    }
    let count = b.count;
    b.used = 0;
    b.count = 0;
    let took = k.k_rx_batch.call(&mut *store, (count, clk.now()))?;
    if took != count && !b.said_short {
        b.said_short = true;
        println!("warn host: the kernel took {took} of {count} received frames in one batch (a record laid out wrong: a host bug; the kernel counts them as FRAME_SHORT)");
    }
    Ok(())
}

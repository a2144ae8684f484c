//! `devtest` on the command line: instead of the node, prove the drivers in QEMU and
//! print figures (spec/metal.md "Drivers"). Lists PCI functions; for each NIC sends an
//! ARP request for 10.0.2.2 (QEMU's user network answers it), receives for
//! `devtest-wait=<ms>` (default 3000) the node's way — halted until the NIC's line fires —
//! and requires at least one frame, then sends `devtest-frames=<n>` (default 20000)
//! 1514-byte frames in a tight loop; for each disk writes a marker at an unaligned byte
//! offset (DISK_MARK_AT + 4096·index), flushes, reads it back, checks its neighbours kept
//! their bytes, moves a multi-chunk unaligned range, checks a read past the end is refused,
//! and times `devtest-mib=<n>` (default 8) MiB written and read; registers the first
//! virtio-rng as the platform RNG's fallback and reads it directly and through the platform.
//! Returns whether every check passed; main exits STOPPED or FAILED accordingly.

use alloc::vec;
use alloc::vec::Vec;

use super::blk::{self, Blk};
use super::net::{self, Irq, Net, NIC_FRAME_MAX as FRAME_MAX};
use super::{DevError, pci, rng};
use crate::platform::{clock, pic};

/// Where disk i's marker goes: not on a sector boundary, and crossing one.
pub const DISK_MARK_AT: u64 = 1010;
/// Where the unaligned multi-chunk check and the bench write.
const DISK_SCRATCH_AT: u64 = 1 << 20;

/// A `name=<number>` option of the command line, else `default`.
pub(super) fn option(cmdline: &str, name: &str, default: u64) -> u64 {
    cmdline
        .split_ascii_whitespace()
        .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
        .unwrap_or(default)
}

pub fn run(cmdline: &str) -> bool {
    let devices = pci::scan();
    crate::println!("devtest: {} PCI functions", devices.len());
    pci::print_all(&devices);
    let mut nets = net::probe_all(&devices);
    let mut disks = blk::probe_all(&devices);
    let mut ok = true;
    for n in nets.iter_mut() {
        ok &= test_net(n, option(cmdline, "devtest-wait", 3000), option(cmdline, "devtest-frames", 20000));
    }
    for d in disks.iter_mut() {
        ok &= test_disk(d, option(cmdline, "devtest-mib", 8));
    }
    if rng::register_fallback(&devices) {
        ok &= test_rng();
    }
    if devices.iter().any(super::xhci::is_xhci) {
        ok &= super::usbtest::run(&devices, cmdline);
    }
    crate::println!("devtest: {} NICs, {} disks: {}", nets.len(), disks.len(), if ok { "PASS" } else { "FAIL" });
    ok
}

fn arp_request(mac: [u8; 6]) -> [u8; 42] {
    let mut f = [0u8; 42];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4, op 1 (request).
    f[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&[10, 0, 2, 15]);
    f[38..42].copy_from_slice(&[10, 0, 2, 2]);
    f
}

fn test_net(n: &mut Net, wait_ms: u64, frames: u64) -> bool {
    let i = n.index;
    if let Err(e) = n.send(&arp_request(n.mac)) {
        crate::println!("devtest: FAIL nic {i}: sending an ARP request failed: {e}");
        return false;
    }
    let (got, irqs, idle_ms) = receive(n, wait_ms);
    crate::println!(
        "devtest: nic {i} received {got} frames in {wait_ms} ms ({irqs} interrupts on {}, {idle_ms} ms halted)",
        Irq(n.irq())
    );
    let mut frame = vec![0u8; FRAME_MAX];
    frame[0..6].copy_from_slice(&[0xff; 6]);
    frame[6..12].copy_from_slice(&n.mac);
    // EtherType 0x88b5: IEEE 802 local experimental, which no peer acts on.
    frame[12..14].copy_from_slice(&[0x88, 0xb5]);
    let busy0 = n.stats.tx_busy;
    let t0 = clock::now_ns();
    let mut sent = 0;
    while sent < frames {
        match n.send(&frame) {
            Ok(()) => sent += 1,
            Err(DevError::NoSpace) => core::hint::spin_loop(),
            Err(e) => {
                crate::println!("devtest: FAIL nic {i}: send failed: {e}");
                return false;
            }
        }
    }
    let ns = (clock::now_ns() - t0).max(1);
    crate::println!(
        "devtest: nic {i} sent {sent} frames of {FRAME_MAX} bytes in {} ms: {} frames/s, {} Mbit/s ({} sends found the ring full)",
        ns / 1_000_000,
        sent * 1_000_000_000 / ns,
        sent * FRAME_MAX as u64 * 8 * 1000 / ns,
        n.stats.tx_busy - busy0
    );
    crate::println!("devtest: nic {i} stats {:?}", n.stats);
    if got == 0 {
        crate::println!("devtest: FAIL nic {i}: no frame arrived");
    }
    got > 0
}

/// Receives for `wait_ms` the way the node does: the NIC's line unmasked, the core halted
/// until the line fires (the handler masks it and marks it pending), then the NIC polled
/// and its line unmasked again. Without a line it polls. Returns (frames, wake-ups on the
/// line, ms halted).
fn receive(n: &mut Net, wait_ms: u64) -> (u64, u64, u64) {
    let i = n.index;
    let mut got = 0u64;
    let mut print = |f: &[u8]| {
        got += 1;
        if got <= 8 {
            crate::println!(
                "devtest: nic {i} received {} bytes from {} type {:02x}{:02x}",
                f.len(),
                Hex(&f[6..12]),
                f[12],
                f[13]
            );
        }
    };
    let deadline = clock::now_ms() + wait_ms;
    let idle0 = clock::idle_ns();
    let mut irqs = 0;
    let line = n.irq();
    if let Some(l) = line {
        pic::irq_unmask(l);
    }
    while clock::now_ms() < deadline {
        let Some(l) = line else {
            n.poll_rx(&mut print);
            continue;
        };
        clock::idle_until(deadline);
        if pic::irq_take_pending() & 1 << l != 0 {
            irqs += 1;
            while n.poll_rx(&mut print) > 0 {}
            pic::irq_unmask(l);
        }
    }
    if let Some(l) = line {
        pic::irq_mask(l);
    }
    (got, irqs, (clock::idle_ns() - idle0) / 1_000_000)
}

fn test_disk(d: &mut Blk, mib: u64) -> bool {
    let i = d.index;
    let at = DISK_MARK_AT + 4096 * i as u64;
    let mut mark = *b"persia devtest disk 0";
    mark[mark.len() - 1] = b'0' + (i % 10) as u8;
    let check = |what: &str, r: Result<usize, DevError>| match r {
        Ok(_) => true,
        Err(e) => {
            crate::println!("devtest: FAIL disk {i}: {what} failed: {e}");
            false
        }
    };
    // The 16 bytes either side must survive the read-modify-write of the edge sectors.
    let mut before = [0u8; 64];
    let around = at - 16;
    if !check("read", d.read(around, &mut before[..mark.len() + 32])) {
        return false;
    }
    if !check("write", d.write(at, &mark)) || !check("flush", d.flush().map(|_| 0)) {
        return false;
    }
    let mut after = [0u8; 64];
    if !check("read", d.read(around, &mut after[..mark.len() + 32])) {
        return false;
    }
    let mut expect = before;
    expect[16..16 + mark.len()].copy_from_slice(&mark);
    if after != expect {
        crate::println!("devtest: FAIL disk {i}: read back {} expected {}", Hex(&after), Hex(&expect));
        return false;
    }
    crate::println!(
        "devtest: disk {i} wrote \"{}\" at byte {at}, flushed, read it back",
        core::str::from_utf8(&mark).unwrap_or("?")
    );
    if d.read(d.capacity() - 1, &mut [0u8; 2]) != Err(DevError::Range) {
        crate::println!("devtest: FAIL disk {i}: a read past the end was not refused with ERANGE");
        return false;
    }
    let mib = mib.min(d.capacity().saturating_sub(DISK_SCRATCH_AT + 4096) >> 20);
    if mib == 0 {
        crate::println!("devtest: disk {i} is too small for the multi-chunk check and the bench");
        return true;
    }
    unaligned_range(d) && bench(d, mib)
}

/// A 200 KiB range starting and ending inside sectors, across several bounce chunks.
fn unaligned_range(d: &mut Blk) -> bool {
    let i = d.index;
    let at = DISK_SCRATCH_AT + 777;
    let data: Vec<u8> = (0..200 * 1024u32).map(|k| (k * 7 + k / 251) as u8).collect();
    let mut back = vec![0u8; data.len()];
    let ok = d.write(at, &data).is_ok() && d.read(at, &mut back).is_ok() && back == data;
    if !ok {
        crate::println!("devtest: FAIL disk {i}: a {} byte unaligned range did not read back", data.len());
    }
    ok
}

fn bench(d: &mut Blk, mib: u64) -> bool {
    let i = d.index;
    let piece = 64 * 1024;
    let mut buf = vec![0x5au8; piece];
    let count = mib * (1 << 20) / piece as u64;
    let t0 = clock::now_ns();
    for k in 0..count {
        if d.write(DISK_SCRATCH_AT + k * piece as u64, &buf).is_err() {
            crate::println!("devtest: FAIL disk {i}: bench write failed");
            return false;
        }
    }
    let flushed = d.flush().is_ok();
    let t1 = clock::now_ns();
    for k in 0..count {
        if d.read(DISK_SCRATCH_AT + k * piece as u64, &mut buf).is_err() {
            crate::println!("devtest: FAIL disk {i}: bench read failed");
            return false;
        }
    }
    let t2 = clock::now_ns();
    let rate = |ns: u64| mib * 1_000_000_000_000 / ns.max(1) / 1000;
    crate::println!(
        "devtest: disk {i} wrote {mib} MiB in 64 KiB requests in {} ms ({} MiB/s, flush included), read it in {} ms ({} MiB/s); stats {:?}",
        (t1 - t0) / 1_000_000,
        rate(t1 - t0),
        (t2 - t1) / 1_000_000,
        rate(t2 - t1),
        d.stats
    );
    flushed
}

/// 32 bytes from the virtio-rng directly, and 32 through the platform RNG (which takes
/// them from the virtio-rng only when the CPU has no RDSEED or RDRAND: `-cpu max,-rdrand,-rdseed`).
fn test_rng() -> bool {
    let mut direct = [0u8; 32];
    let mut platform = [0u8; 32];
    let ok = rng::fill_fallback(&mut direct) && crate::platform::rng::fill(&mut platform);
    let ok = ok && direct.iter().any(|&b| b != 0) && platform.iter().any(|&b| b != 0);
    crate::println!(
        "devtest: {}rng {} (virtio-rng), {} ({})",
        if ok { "" } else { "FAIL " },
        Hex(&direct),
        Hex(&platform),
        crate::platform::rng::source().unwrap_or("no source")
    );
    ok
}

/// Bytes as hex pairs (also the USB devtest's).
pub(super) struct Hex<'a>(pub(super) &'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

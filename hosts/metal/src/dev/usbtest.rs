//! The xHCI driver's part of `devtest` (spec/metal.md "USB (xHCI)"), run against QEMU's own
//! controller and devices: every device on the root ports is enumerated and its descriptors
//! printed and read again through the asynchronous path; a transfer to an endpoint the
//! device lacks is refused; on a mass-storage device (bulk-only transport) an INQUIRY (CBW
//! out, 36 bytes in, CSW in), a CBW with a bad signature that QEMU's usb-storage stalls, the
//! CLEAR_FEATURE(ENDPOINT_HALT) that makes it work again, READ CAPACITY and `devtest-usb-mib`
//! MiB read in 64 KiB READ(10)s; on a keyboard an interrupt IN that is cancelled, one that
//! times out and, with `devtest-usb-key=<ms>`, one that waits for a key (the test harness
//! sends `sendkey a` on QEMU's monitor when it sees the "press a key" line); with
//! `devtest-usb-unplug=<ms>`, an interrupt IN in flight while the harness unplugs the
//! keyboard (`device_del`), then a device plugged in again (`device_add`) enumerated.
//! Every line starts `devtest: usb`.

use alloc::vec::Vec;

use super::devtest::{option, Hex};
use super::xhci::{self, Change, UsbError, Xhci};
use crate::abi::{UsbType, USB_DIR_IN};
use crate::platform::clock;



/// Interface class, subclass, protocol and the bulk/interrupt endpoint addresses of
/// alternate setting 0 of the first interface, from a device's descriptors.
struct Shape {
    class: u8,
    subclass: u8,
    protocol: u8,
    eps: Vec<(u8, u8, u16)>, // address, type, max packet
}

fn shape(desc: &[u8]) -> Shape {
    let mut s = Shape { class: 0, subclass: 0, protocol: 0, eps: Vec::new() };
    let mut at = 18;
    let mut seen_if = false;
    while at + 2 <= desc.len() {
        let len = desc[at] as usize;
        if len < 2 || at + len > desc.len() {
            break;
        }
        match desc[at + 1] {
            4 if len >= 9 && !seen_if => {
                seen_if = true;
                (s.class, s.subclass, s.protocol) = (desc[at + 5], desc[at + 6], desc[at + 7]);
            }
            4 => break,
            5 if len >= 7 => s.eps.push((desc[at + 2], desc[at + 3] & 3, u16::from_le_bytes([desc[at + 4], desc[at + 5]]))),
            _ => {}
        }
        at += len;
    }
    s
}

/// Waits (polling every ms, as the node's loop does with transfers in flight) for the
/// transfer in slot `xfer` of device `slot`; hot-plug changes seen meanwhile go to `changes`.
fn wait(x: &mut Xhci, slot: u8, xfer: usize, limit_ms: u64, changes: &mut Vec<Change>) -> Option<Result<usize, UsbError>> {
    let end = clock::now_ms() + limit_ms;
    loop {
        let now = clock::now_ms();
        x.poll(now);
        while let Some(c) = x.take_change() {
            changes.push(c);
        }
        while let Some(d) = x.take_done() {
            if d.slot == slot && d.xfer == xfer {
                return Some(d.result);
            }
            crate::println!("devtest: usb FAIL a completion nobody waited for: {d:?}");
        }
        if changes.contains(&Change::Detached(slot)) || now > end {
            return None;
        }
        clock::idle_until(now + 1);
    }
}

fn control(x: &mut Xhci, slot: u8, setup: [u8; 8], len: usize) -> Result<Vec<u8>, UsbError> {
    let mut ch = Vec::new();
    x.submit(slot, 0, 0, UsbType::CONTROL as i32, setup, &[], len, 1000, clock::now_ms())?;
    let n = wait(x, slot, 0, 2000, &mut ch).unwrap_or(Err(UsbError::Timeout))?;
    Ok(x.data(slot, 0, n).to_vec())
}

/// A bulk transfer in slot 1, or (`data`) slot 2, so that a CSW does not overwrite the data.
fn bulk_in_slot(x: &mut Xhci, slot: u8, xfer: usize, ep: u8, out: &[u8], len: usize) -> Result<usize, UsbError> {
    let mut ch = Vec::new();
    x.submit(slot, xfer, ep, UsbType::BULK as i32, [0; 8], out, len, 2000, clock::now_ms())?;
    wait(x, slot, xfer, 3000, &mut ch).unwrap_or(Err(UsbError::Timeout))
}

fn bulk(x: &mut Xhci, slot: u8, ep: u8, out: &[u8], len: usize) -> Result<usize, UsbError> {
    bulk_in_slot(x, slot, 1, ep, out, len)
}

fn text(b: &[u8]) -> alloc::string::String {
    b.iter().map(|&c| if c.is_ascii_graphic() || c == b' ' { c as char } else { '.' }).collect()
}

fn check(ok: &mut bool, what: &str, good: bool, detail: core::fmt::Arguments) {
    crate::println!("devtest: usb {}{what}: {detail}", if good { "" } else { "FAIL " });
    *ok &= good;
}

/// Configuration descriptors a hostile device could send, and the endpoints the driver
/// configures from each (none of them may panic it).
fn hostile_descriptors() -> bool {
    use xhci::Endpoint;
    let iface = |alt: u8| [9u8, 4, 0, alt, 1, 8, 6, 0x50, 0];
    let ep = |addr: u8, attrs: u8| [7u8, 5, addr, attrs, 64, 0, 1];
    let cat = |parts: &[&[u8]]| parts.concat();
    let bulk_in = Endpoint { addr: 0x81, attrs: 2, wmax: 64, interval: 1 };
    let cases: [(&str, Vec<u8>, Vec<Endpoint>); 9] = [
        ("empty", Vec::new(), Vec::new()),
        ("a descriptor of length 0", cat(&[&iface(0), &[0, 5, 0x81, 2, 64, 0, 1], &ep(0x81, 2)]), Vec::new()),
        ("a descriptor past the end", cat(&[&iface(0), &[200, 5, 0x81, 2, 64, 0, 1]]), Vec::new()),
        ("an endpoint descriptor of 3 bytes", cat(&[&iface(0), &[3, 5, 0x81], &ep(0x81, 2)]), alloc::vec![bulk_in]),
        ("an endpoint outside an interface", cat(&[&ep(0x81, 2)]), Vec::new()),
        ("an interface of 4 bytes", cat(&[&[4, 4, 0, 0], &ep(0x81, 2)]), Vec::new()),
        ("alternate setting 1", cat(&[&iface(0), &ep(0x81, 2), &iface(1), &ep(0x02, 2)]), alloc::vec![bulk_in]),
        ("endpoint 0, isochronous, twice the same", cat(&[&iface(0), &ep(0x80, 2), &ep(0x83, 1), &ep(0x81, 2), &ep(0x81, 3)]), alloc::vec![bulk_in]),
        ("reserved address bits", cat(&[&iface(0), &ep(0x91, 2), &ep(0x81, 2)]), alloc::vec![bulk_in]),
    ];
    let mut ok = true;
    for (what, bytes, want) in cases.iter() {
        let got = xhci::endpoints(bytes);
        check(&mut ok, "hostile configuration descriptor", &got == want, format_args!("{what}: {got:?}"));
    }
    // hubs are refused (bDeviceClass 9, or an interface of class 9 in any alternate setting)
    let dev = |class: u8| [18u8, 1, 0, 2, class, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let head = [9u8, 2, 0, 0, 1, 1, 0, 0x80, 50];
    let iface_class = |alt: u8, class: u8| [9u8, 4, 0, alt, 1, class, 0, 0, 0];
    let hubs: [(&str, Vec<u8>, Option<&str>); 6] = [
        ("bDeviceClass 9", cat(&[&dev(9), &head, &iface_class(0, 9)]), Some("device descriptor")),
        ("interface class 9", cat(&[&dev(0), &head, &iface_class(0, 9)]), Some("interface descriptor")),
        ("class 9 in alternate setting 1", cat(&[&dev(0), &head, &iface_class(0, 8), &iface_class(1, 9)]), Some("interface descriptor")),
        ("a mass storage device", cat(&[&dev(0), &head, &iface_class(0, 8)]), None),
        ("class 9 behind a descriptor of length 0", cat(&[&dev(0), &head, &[0, 4], &iface_class(0, 9)]), None),
        ("a device descriptor of 3 bytes", alloc::vec![18u8, 1, 0], None),
    ];
    for (what, bytes, want) in hubs.iter() {
        let got = xhci::hub_class(bytes);
        check(&mut ok, "hub descriptor", &got == want, format_args!("{what}: {got:?}"));
    }
    ok
}

pub fn run(devices: &[super::pci::PciDevice], cmdline: &str) -> bool {
    let mut hcs = xhci::probe_all(devices);
    let mut ok = hostile_descriptors();
    for x in hcs.iter_mut() {
        ok &= test_controller(x, cmdline);
    }
    crate::println!("devtest: usb {} controller(s): {}", hcs.len(), if ok { "PASS" } else { "FAIL" });
    ok
}

fn test_controller(x: &mut Xhci, cmdline: &str) -> bool {
    let t0 = clock::now_ms();
    let mut changes = Vec::new();
    // one device is enumerated per poll
    loop {
        let now = clock::now_ms();
        x.poll(now);
        while let Some(c) = x.take_change() {
            changes.push(c);
        }
        if !x.enumeration_due(clock::now_ms()) || now - t0 > 5000 {
            break;
        }
    }
    crate::println!("devtest: usb enumerated {} device(s) in {} ms", x.devices().count(), clock::now_ms() - t0);
    let mut ok = true;
    let slots: Vec<u8> = x.devices().map(|d| d.slot).collect();
    let mut kbd = None;
    let mut disk = None;
    for &slot in &slots {
        let d = x.device(slot).expect("listed");
        let s = shape(&d.desc);
        crate::println!(
            "devtest: usb device {:04x}:{:04x} slot {slot} port {} path {} {} speed class {:02x}.{:02x}.{:02x} endpoints {:?} serial \"{}\" desc {}",
            d.vendor, d.product, d.port, d.path(), d.speed_name(), s.class, s.subclass, s.protocol, s.eps, d.serial, Hex(&d.desc)
        );
        let (desc, mps0) = (d.desc.clone(), d.desc[7]);
        // the device descriptor and the whole configuration again, through submit
        let dev = control(x, slot, [0x80, 6, 0, 1, 0, 0, 18, 0], 18);
        check(&mut ok, "control GET_DESCRIPTOR(device)", dev.as_deref() == Ok(&desc[..18]), format_args!("{:?}", dev.as_ref().map(|v| v.len())));
        let total = desc.len() - 18;
        let cfg = control(x, slot, [0x80, 6, 0, 2, 0, 0, total as u8, (total >> 8) as u8], total);
        check(&mut ok, "control GET_DESCRIPTOR(configuration)", cfg.as_deref() == Ok(&desc[18..]), format_args!("{total} bytes, EP0 max packet {mps0}"));
        // a short answer: 255 bytes asked of a 18-byte descriptor is a success of 18
        let short = control(x, slot, [0x80, 6, 0, 1, 0, 0, 255, 0], 255).map(|v| v.len());
        check(&mut ok, "short control transfer", short == Ok(18), format_args!("{short:?}"));
        let missing = x.submit(slot, 2, 0x8f, UsbType::BULK as i32, [0; 8], &[], 8, 100, clock::now_ms());
        check(&mut ok, "an endpoint the device lacks", missing == Err(UsbError::NoEndpoint), format_args!("{missing:?}"));
        let set_addr = x.submit(slot, 2, 0, UsbType::CONTROL as i32, [0, 5, 9, 0, 0, 0, 0, 0], &[], 0, 100, clock::now_ms());
        check(&mut ok, "SET_ADDRESS from a caller", set_addr == Err(UsbError::Invalid), format_args!("{set_addr:?}"));
        if s.class == 8 && s.protocol == 0x50 {
            disk = Some((slot, s));
        } else if s.class == 3 && s.protocol == 1 {
            kbd = Some((slot, s));
        }
    }
    if let Some((slot, s)) = disk {
        ok &= test_storage(x, slot, &s, option(cmdline, "devtest-usb-mib", 4));
    }
    if let Some((slot, s)) = kbd {
        ok &= test_keyboard(x, slot, &s, option(cmdline, "devtest-usb-key", 0));
        let unplug = option(cmdline, "devtest-usb-unplug", 0);
        if unplug > 0 {
            ok &= test_unplug(x, slot, &s, unplug);
        }
    }
    crate::println!("devtest: usb events {} stray {}", x.events_seen, x.stray_events);
    ok
}

fn cbw(tag: u32, len: u32, dir_in: bool, cdb: &[u8]) -> [u8; 31] {
    let mut c = [0u8; 31];
    c[0..4].copy_from_slice(b"USBC");
    c[4..8].copy_from_slice(&tag.to_le_bytes());
    c[8..12].copy_from_slice(&len.to_le_bytes());
    c[12] = if dir_in { 0x80 } else { 0 };
    c[14] = cdb.len() as u8;
    c[15..15 + cdb.len()].copy_from_slice(cdb);
    c
}

/// One BOT command with data in: CBW, `len` bytes, CSW. The data's length, or why not.
fn scsi_in(x: &mut Xhci, slot: u8, out: u8, inp: u8, tag: u32, cdb: &[u8], len: usize) -> Result<usize, &'static str> {
    bulk(x, slot, out, &cbw(tag, len as u32, true, cdb), 31).map_err(|_| "the CBW failed")?;
    let n = bulk_in_slot(x, slot, 2, inp, &[], len).map_err(|_| "the data stage failed")?;
    let c = bulk(x, slot, inp, &[], 13).map_err(|_| "the CSW failed")?;
    let csw = x.data(slot, 1, c);
    if c != 13 || &csw[0..4] != b"USBS" || csw[4..8] != tag.to_le_bytes() || csw[12] != 0 {
        return Err("the CSW is not a good one for this tag");
    }
    Ok(n)
}

fn test_storage(x: &mut Xhci, slot: u8, s: &Shape, mib: u64) -> bool {
    let mut ok = true;
    let Some(&(inp, _, _)) = s.eps.iter().find(|e| e.0 & USB_DIR_IN != 0 && e.1 == 2) else { return false };
    let Some(&(out, _, _)) = s.eps.iter().find(|e| e.0 & USB_DIR_IN == 0 && e.1 == 2) else { return false };
    let r = scsi_in(x, slot, out, inp, 1, &[0x12, 0, 0, 0, 36, 0], 36);
    let vendor = text(x.data(slot, 2, 36).get(8..32).unwrap_or(&[]));
    check(&mut ok, "bulk INQUIRY (CBW out, 36 bytes in, CSW in)", r == Ok(36), format_args!("{r:?} \"{vendor}\""));
    // QEMU's usb-storage stalls a CBW whose signature is wrong
    let mut bad = cbw(2, 36, true, &[0x12, 0, 0, 0, 36, 0]);
    bad[0] = b'X';
    let st = bulk(x, slot, out, &bad, 31);
    check(&mut ok, "a CBW with a bad signature stalls", st == Err(UsbError::Stall), format_args!("{st:?}"));
    let again = bulk(x, slot, out, &cbw(3, 36, true, &[0x12, 0, 0, 0, 36, 0]), 31);
    check(&mut ok, "the halted endpoint stays halted", again.is_err(), format_args!("{again:?}"));
    let clear = control(x, slot, [0x02, 1, 0, 0, out, 0, 0, 0], 0).map(|v| v.len());
    check(&mut ok, "CLEAR_FEATURE(ENDPOINT_HALT) on the OUT endpoint", clear == Ok(0), format_args!("{clear:?}"));
    // QEMU's device may still wait for the rest of the earlier CBW; Bulk-Only Mass Storage
    // Reset (class request 0xff) puts it back to expecting a CBW, as a real host would do.
    let reset = control(x, slot, [0x21, 0xff, 0, 0, 0, 0, 0, 0], 0).map(|v| v.len());
    check(&mut ok, "Bulk-Only Mass Storage Reset", reset == Ok(0), format_args!("{reset:?}"));
    let r = scsi_in(x, slot, out, inp, 4, &[0x12, 0, 0, 0, 36, 0], 36);
    let vendor = text(x.data(slot, 2, 36).get(8..32).unwrap_or(&[]));
    check(&mut ok, "INQUIRY after the halt was cleared", r == Ok(36), format_args!("{r:?} \"{vendor}\""));
    let cap = scsi_in(x, slot, out, inp, 6, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);
    let d = x.data(slot, 2, 8);
    let (last, block) = (u32::from_be_bytes([d[0], d[1], d[2], d[3]]), u32::from_be_bytes([d[4], d[5], d[6], d[7]]));
    check(&mut ok, "READ CAPACITY(10)", cap == Ok(8) && block == 512, format_args!("{} blocks of {block} bytes", last as u64 + 1));
    // throughput: 64 KiB READ(10)s
    let blocks = (mib << 20) / 512;
    let per = 128u32;
    let t0 = clock::now_ns();
    let mut lba = 0u32;
    while (lba as u64) + per as u64 <= blocks.min(last as u64 + 1) {
        let mut cdb = [0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        cdb[2..6].copy_from_slice(&lba.to_be_bytes());
        cdb[7..9].copy_from_slice(&(per as u16).to_be_bytes());
        if let Err(e) = scsi_in(x, slot, out, inp, 100 + lba, &cdb, per as usize * 512) {
            check(&mut ok, "READ(10)", false, format_args!("at block {lba}: {e}"));
            return false;
        }
        lba += per;
    }
    let ns = (clock::now_ns() - t0).max(1);
    let bytes = lba as u64 * 512;
    crate::println!("devtest: usb read {} KiB in 64 KiB READ(10)s in {} ms: {} KiB/s", bytes >> 10, ns / 1_000_000, (bytes * 1_000_000_000 / ns) >> 10);
    ok
}

fn test_keyboard(x: &mut Xhci, slot: u8, s: &Shape, key_ms: u64) -> bool {
    let mut ok = true;
    let Some(&(ep, _, mps)) = s.eps.iter().find(|e| e.0 & USB_DIR_IN != 0 && e.1 == 3) else { return false };
    let len = mps as usize;
    let mut ch = Vec::new();
    let t = clock::now_ms();
    let r = x.submit(slot, 3, ep, UsbType::INTERRUPT as i32, [0; 8], &[], len, 10_000, t);
    x.poll(clock::now_ms());
    x.cancel(slot, 3);
    let c = wait(x, slot, 3, 1000, &mut ch);
    check(&mut ok, "an interrupt IN cancelled", r.is_ok() && c == Some(Err(UsbError::Cancelled)), format_args!("{c:?} after {} ms", clock::now_ms() - t));
    let t = clock::now_ms();
    let r = x.submit(slot, 3, ep, UsbType::INTERRUPT as i32, [0; 8], &[], len, 300, t);
    let c = wait(x, slot, 3, 2000, &mut ch);
    let took = clock::now_ms() - t;
    check(&mut ok, "an interrupt IN with no key times out", r.is_ok() && c == Some(Err(UsbError::Timeout)) && (300..1000).contains(&took), format_args!("{c:?} after {took} ms (timeout 300)"));
    if key_ms > 0 {
        let r = x.submit(slot, 3, ep, UsbType::INTERRUPT as i32, [0; 8], &[], len, key_ms as u32, clock::now_ms());
        crate::println!("devtest: usb press a key");
        let c = wait(x, slot, 3, key_ms + 1000, &mut ch);
        let report = match c {
            Some(Ok(n)) => x.data(slot, 3, n).to_vec(),
            _ => Vec::new(),
        };
        // usage 0x04 is 'a' (HID usage tables, keyboard page)
        check(&mut ok, "an interrupt IN keyboard report", r.is_ok() && report.len() == 8 && report[2] == 0x04, format_args!("{c:?} report {}", Hex(&report)));
    }
    ok
}

fn test_unplug(x: &mut Xhci, slot: u8, s: &Shape, limit_ms: u64) -> bool {
    let mut ok = true;
    let Some(&(ep, _, mps)) = s.eps.iter().find(|e| e.0 & USB_DIR_IN != 0 && e.1 == 3) else { return false };
    let mut ch = Vec::new();
    // reports still queued (a key's release) are taken first, until one times out
    for _ in 0..16 {
        if x.submit(slot, 4, ep, UsbType::INTERRUPT as i32, [0; 8], &[], mps as usize, 200, clock::now_ms()).is_err() {
            break;
        }
        if wait(x, slot, 4, 1000, &mut ch) != Some(Ok(mps as usize)) {
            break;
        }
    }
    let r = x.submit(slot, 4, ep, UsbType::INTERRUPT as i32, [0; 8], &[], mps as usize, 60_000, clock::now_ms());
    crate::println!("devtest: usb unplug the keyboard now");
    let t = clock::now_ms();
    let c = wait(x, slot, 4, limit_ms, &mut ch);
    check(&mut ok, "unplugged mid-transfer", r.is_ok() && c.is_none() && ch.contains(&Change::Detached(slot)), format_args!("{ch:?}, no completion reported ({c:?}), {} ms", clock::now_ms() - t));
    let gone = x.submit(slot, 4, ep, UsbType::INTERRUPT as i32, [0; 8], &[], 8, 100, clock::now_ms());
    check(&mut ok, "a transfer to the unplugged device", gone == Err(UsbError::NoDevice), format_args!("{gone:?}"));
    crate::println!("devtest: usb plug a device in now");
    let end = clock::now_ms() + limit_ms;
    let mut attached = None;
    while attached.is_none() && clock::now_ms() < end {
        x.poll(clock::now_ms());
        while let Some(c) = x.take_change() {
            if let Change::Attached(s) = c {
                attached = Some(s);
            }
        }
        clock::idle_until(clock::now_ms() + 5);
    }
    match attached.and_then(|s| x.device(s)) {
        Some(d) => {
            let s = d.slot;
            check(&mut ok, "plugged in again", true, format_args!("{:04x}:{:04x} slot {s} port {}", d.vendor, d.product, d.port));
            let dev = control(x, s, [0x80, 6, 0, 1, 0, 0, 18, 0], 18);
            check(&mut ok, "control on the new device", dev.as_ref().map(|v| v.len()) == Ok(18), format_args!("{:?}", dev.as_ref().map(|v| v.len())));
        }
        None => check(&mut ok, "plugged in again", false, format_args!("no device within {limit_ms} ms")),
    }
    ok
}

// USB on the metal node (issue #16, spec/metal.md "USB (xHCI)"): the xHCI controllers, the
// manifest's USB devices (the payload's USB sections: vendor:product, serial, path) and which
// device on which controller each is bound to while it is plugged in. The kernel's usb_submit
// and usb_cancel (host.rs) come here; the loop (mod.rs) calls `service`, which polls each
// controller and tells the kernel what happened: k_usb_attach when a device that matches a
// manifest entry is enumerated (its descriptors in Buf.USB), k_usb_detach when it goes,
// k_usb_done for each finished transfer (IN data in Buf.USB). A device that matches no entry
// is one line and left alone. A manifest without USB devices never touches a controller.
// Does not drive the hardware (dev/xhci.rs does).
use super::payload::{Payload, UsbSection};
use crate::abi::*;
use crate::dev::pci::PciDevice;
use crate::dev::xhci::{self, Change, UsbDevice, UsbError, Xhci};
use crate::platform::clock;
use crate::println;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

pub struct Usb {
    pub hcs: Vec<Xhci>,
    pub matchers: Vec<UsbSection>,
    /// By manifest USB id: (controller, slot) of its device while it is present.
    bound: [Option<(usize, u8)>; USB_MAX],
}

/// What the loop must tell the kernel, one at a time (no borrow of the driver is held while
/// the kernel runs, since the kernel may submit from inside k_usb_done).
pub enum Report {
    Attach { dev: usize, len: usize },
    Detach { dev: usize },
    Done { dev: usize, xfer: usize, status: i32, len: usize },
}

pub fn errno(e: UsbError) -> i32 {
    -(match e {
        UsbError::Stall => Errno::EPIPE,
        UsbError::Babble => Errno::EOVERFLOW,
        UsbError::Io => Errno::EIO,
        UsbError::Timeout => Errno::ETIMEDOUT,
        UsbError::Cancelled => Errno::ECANCELED,
        UsbError::NoDevice => Errno::ENODEV,
        UsbError::NoEndpoint => Errno::ENOENT,
        UsbError::Invalid => Errno::EINVAL,
    } as i32)
}

fn matches(m: &UsbSection, d: &UsbDevice) -> bool {
    m.device.is_none_or(|(v, p)| v == d.vendor && p == d.product)
        && m.serial.is_none_or(|s| s == d.serial)
        && m.path.is_none_or(|p| p == d.path())
}

/// How the manifest entry is recognised, for log lines.
pub fn describe(m: &UsbSection) -> String {
    let mut parts = Vec::new();
    if let Some((v, p)) = m.device {
        parts.push(format!("device {v:04x}:{p:04x}"));
    }
    if let Some(s) = m.serial {
        parts.push(format!("serial \"{}\"", s.escape_debug()));
    }
    if let Some(p) = m.path {
        parts.push(format!("path {p}"));
    }
    parts.join(", ")
}

impl Usb {
    /// No USB (bench mode).
    pub fn none() -> Usb {
        Usb { hcs: Vec::new(), matchers: Vec::new(), bound: [None; USB_MAX] }
    }

    /// Starts every xHCI when the manifest names a USB device (else none is touched).
    pub fn open(p: &Payload, found: &[PciDevice]) -> Usb {
        let matchers: Vec<UsbSection> = p.usbs().collect();
        let hcs = if matchers.is_empty() { Vec::new() } else { xhci::probe_all(found) };
        if !matchers.is_empty() && hcs.is_empty() {
            println!("warn host: the manifest names {} USB device(s) and there is no working xHCI controller; give QEMU -device qemu-xhci,id=xhci", matchers.len());
        }
        Usb { hcs, matchers, bound: [None; USB_MAX] }
    }

    pub fn irq_lines(&self) -> impl Iterator<Item = u8> + '_ {
        self.hcs.iter().filter_map(|h| h.irq())
    }

    /// A controller has no interrupt line: the loop polls.
    pub fn needs_polling(&self) -> bool {
        self.hcs.iter().any(|h| h.irq().is_none())
    }

    /// A device waits to be enumerated now (at boot: poll again before saying which
    /// manifest entries no device matched).
    pub fn enumeration_due(&self) -> bool {
        self.hcs.iter().any(|h| h.enumeration_due(clock::now_ms()))
    }

    /// A report or a poll is due without an interrupt to say so (xhci.rs `has_work`).
    pub fn has_work(&self) -> bool {
        self.hcs.iter().any(|h| h.has_work())
    }

    /// The earliest transfer deadline (platform ms), to wake for its timeout.
    pub fn next_deadline(&self) -> Option<u64> {
        self.hcs.iter().filter_map(|h| h.next_deadline()).min()
    }

    fn place(&self, dev: i32) -> Option<(usize, u8)> {
        *self.bound.get(dev as u32 as usize)?
    }

    /// usb_submit: 0 or -Errno. `out` is the OUT data (empty for IN).
    pub fn submit(&mut self, dev: i32, xfer: i32, ep: i32, kind: i32, setup: i64, out: &[u8], len: usize, timeout: i32, now_ms: u64) -> i32 {
        let Some((h, slot)) = self.place(dev) else { return errno(UsbError::NoDevice) };
        if !(0..USB_INFLIGHT as i32).contains(&xfer) || !(0..=0xff).contains(&ep) || timeout <= 0 {
            return errno(UsbError::Invalid);
        }
        match self.hcs[h].submit(slot, xfer as usize, ep as u8, kind, (setup as u64).to_le_bytes(), out, len, timeout as u32, now_ms) {
            Ok(()) => 0,
            Err(e) => errno(e),
        }
    }

    pub fn cancel(&mut self, dev: i32, xfer: i32) {
        if let Some((h, slot)) = self.place(dev)
            && (0..USB_INFLIGHT as i32).contains(&xfer)
        {
            self.hcs[h].cancel(slot, xfer as usize);
        }
    }

    /// Polls every controller (events, hot-plug, timeouts).
    pub fn poll(&mut self, now_ms: u64) {
        for h in self.hcs.iter_mut() {
            h.poll(now_ms);
        }
    }

    /// The next thing to tell the kernel; its bytes (descriptors, IN data) are copied into
    /// `buf` (Buf.USB) first.
    pub fn next_report(&mut self, buf: &mut [u8]) -> Option<Report> {
        for h in 0..self.hcs.len() {
            while let Some(c) = self.hcs[h].take_change() {
                match c {
                    Change::Attached(slot) => {
                        let Some(d) = self.hcs[h].device(slot) else { continue };
                        let free = |id: u32| self.bound[id as usize].is_none();
                        let Some(m) = self.matchers.iter().find(|m| free(m.id) && matches(m, d)) else {
                            println!(
                                "info host: USB device {:04x}:{:04x} serial \"{}\" path {} matches no usb: entry of the manifest that is free; it is left alone",
                                d.vendor, d.product, d.serial.escape_debug(), d.path()
                            );
                            continue;
                        };
                        let (id, name) = (m.id as usize, m.name);
                        if d.desc.len() > buf.len() {
                            println!("warn host: USB {name}: its {} bytes of descriptors do not fit the kernel's USB buffer ({} bytes); not attached", d.desc.len(), buf.len());
                            continue;
                        }
                        buf[..d.desc.len()].copy_from_slice(&d.desc);
                        println!("info host: USB {name} (usb id {id}) is device {:04x}:{:04x} serial \"{}\" path {}", d.vendor, d.product, d.serial.escape_debug(), d.path());
                        self.bound[id] = Some((h, slot));
                        return Some(Report::Attach { dev: id, len: d.desc.len() });
                    }
                    Change::Detached(slot) => {
                        if let Some(id) = self.bound.iter().position(|b| *b == Some((h, slot))) {
                            self.bound[id] = None;
                            println!("info host: USB {} (usb id {id}) was unplugged", self.name(id));
                            return Some(Report::Detach { dev: id });
                        }
                    }
                }
            }
            while let Some(done) = self.hcs[h].take_done() {
                let Some(id) = self.bound.iter().position(|b| *b == Some((h, done.slot))) else { continue };
                let (status, len) = match done.result {
                    Ok(n) => (0, n),
                    Err(e) => (errno(e), 0),
                };
                let len = if done.is_in { len.min(buf.len()) } else { len };
                if done.is_in && len > 0 {
                    buf[..len].copy_from_slice(self.hcs[h].data(done.slot, done.xfer, len));
                }
                return Some(Report::Done { dev: id, xfer: done.xfer, status, len });
            }
        }
        None
    }

    pub fn name(&self, id: usize) -> &'static str {
        self.matchers.iter().find(|m| m.id as usize == id).map_or("?", |m| m.name)
    }

    /// The manifest's USB devices no device matched (after boot's enumeration), for a line each.
    pub fn unbound(&self) -> impl Iterator<Item = &UsbSection> + '_ {
        self.matchers.iter().filter(|m| self.bound[m.id as usize].is_none())
    }
}

//! PCI configuration space through the legacy I/O ports (mechanism #1: address to 0xCF8,
//! data at 0xCFC), enumeration of every bus, device and function, BAR decoding and sizing,
//! and the capability list. The firmware (SeaBIOS under QEMU) has already assigned BARs
//! and interrupt lines; this file reads them and never moves a BAR.
//! Does not do PCI Express extended configuration (ECAM), MSI or MSI-X: the drivers use
//! the INTx line the firmware routed. Callers: the virtio drivers (probe) and `print_all`.

use alloc::vec::Vec;
use core::fmt;

use crate::platform::cpu::{inl, outl};

const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;

// Configuration header offsets (PCI Local Bus 3.0, §6.1), common to header types 0 and 1.
const VENDOR_ID: u8 = 0x00;
const DEVICE_ID: u8 = 0x02;
const COMMAND: u8 = 0x04;
const STATUS: u8 = 0x06;
const REVISION: u8 = 0x08;
const HEADER_TYPE: u8 = 0x0e;
const BAR0: u8 = 0x10;
const SUBSYSTEM_ID: u8 = 0x2e;
const CAP_PTR: u8 = 0x34;
const INTERRUPT_LINE: u8 = 0x3c;
const INTERRUPT_PIN: u8 = 0x3d;

const CMD_IO: u16 = 1 << 0;
const CMD_MEMORY: u16 = 1 << 1;
const CMD_BUS_MASTER: u16 = 1 << 2;
const CMD_INTX_DISABLE: u16 = 1 << 10;
const STATUS_CAP_LIST: u16 = 1 << 4;
const HEADER_MULTI_FUNCTION: u8 = 0x80;
/// A capability list longer than this is malformed (each entry takes at least 4 of the
/// 192 bytes after the header).
const CAP_MAX: usize = 48;

/// Where a function sits: bus, device (0..31), function (0..7).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct PciAddr {
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}

impl fmt::Display for PciAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.dev, self.func)
    }
}

impl PciAddr {
    fn select(self, off: u8) {
        let a = 0x8000_0000u32
            | (self.bus as u32) << 16
            | (self.dev as u32) << 11
            | (self.func as u32) << 8
            | (off as u32 & 0xfc);
        outl(CONFIG_ADDRESS, a);
    }

    pub fn read32(self, off: u8) -> u32 {
        self.select(off);
        inl(CONFIG_DATA)
    }

    pub fn read16(self, off: u8) -> u16 {
        (self.read32(off) >> ((off & 2) * 8)) as u16
    }

    pub fn read8(self, off: u8) -> u8 {
        (self.read32(off) >> ((off & 3) * 8)) as u8
    }

    pub fn write32(self, off: u8, v: u32) {
        self.select(off);
        outl(CONFIG_DATA, v);
    }

    /// Writes 16 bits by rewriting the dword. Only used for COMMAND (whose neighbour
    /// STATUS is write-one-to-clear, so its half is written back as zeros).
    fn write_command(self, v: u16) {
        self.write32(COMMAND, v as u32);
    }
}

/// What a base address register decodes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bar {
    None,
    Io { port: u16, size: u32 },
    Mem { addr: u64, size: u64, wide: bool, prefetch: bool },
}

/// One PCI function as the firmware left it.
#[derive(Clone, Copy, Debug)]
pub struct PciDevice {
    pub addr: PciAddr,
    pub vendor: u16,
    pub device: u16,
    pub class: u8,
    pub subclass: u8,
    pub prog_if: u8,
    pub revision: u8,
    pub header_type: u8,
    /// Header type 0 only (0 otherwise): virtio's transitional devices name their device
    /// type here.
    pub subsystem_id: u16,
    /// The 8259 input the firmware routed INTA#..INTD# to (0xff: none).
    pub irq_line: u8,
    /// 1..4 = INTA#..INTD#, 0 = the function raises no INTx.
    pub irq_pin: u8,
    pub bars: [Bar; 6],
}

/// Every function on buses 0..255, in (bus, device, function) order.
pub fn scan() -> Vec<PciDevice> {
    let mut out = Vec::new();
    for bus in 0..=255u8 {
        for dev in 0..32u8 {
            let first = PciAddr { bus, dev, func: 0 };
            if first.read16(VENDOR_ID) == 0xffff {
                continue;
            }
            let functions = if first.read8(HEADER_TYPE) & HEADER_MULTI_FUNCTION != 0 { 8 } else { 1 };
            for func in 0..functions {
                let addr = PciAddr { bus, dev, func };
                if addr.read16(VENDOR_ID) != 0xffff {
                    out.push(read_device(addr));
                }
            }
        }
    }
    out
}

fn read_device(addr: PciAddr) -> PciDevice {
    let class = addr.read32(REVISION);
    let header_type = addr.read8(HEADER_TYPE) & 0x7f;
    let bar_count = match header_type {
        0 => 6,
        1 => 2,
        _ => 0,
    };
    PciDevice {
        addr,
        vendor: addr.read16(VENDOR_ID),
        device: addr.read16(DEVICE_ID),
        class: (class >> 24) as u8,
        subclass: (class >> 16) as u8,
        prog_if: (class >> 8) as u8,
        revision: class as u8,
        header_type,
        subsystem_id: if header_type == 0 { addr.read16(SUBSYSTEM_ID) } else { 0 },
        irq_line: addr.read8(INTERRUPT_LINE),
        irq_pin: addr.read8(INTERRUPT_PIN),
        bars: read_bars(addr, bar_count),
    }
}

/// Decodes and sizes the BARs (write all ones, read the mask back, restore) with I/O and
/// memory decoding off meanwhile, so the device never answers at the probe address.
fn read_bars(addr: PciAddr, count: usize) -> [Bar; 6] {
    let mut bars = [Bar::None; 6];
    let command = addr.read16(COMMAND);
    addr.write_command(command & !(CMD_IO | CMD_MEMORY));
    let mut i = 0;
    while i < count {
        let off = BAR0 + 4 * i as u8;
        let low = addr.read32(off);
        let mask = probe(addr, off, low);
        if low & 1 == 1 {
            let size = (!(mask & !3) as u16).wrapping_add(1) as u32;
            if mask != 0 {
                bars[i] = Bar::Io { port: (low & !3) as u16, size };
            }
            i += 1;
            continue;
        }
        let wide = (low >> 1) & 3 == 2 && i + 1 < count;
        let (base, size_mask) = if wide {
            let high = addr.read32(off + 4);
            let high_mask = probe(addr, off + 4, high);
            (((high as u64) << 32) | (low & !0xf) as u64, ((high_mask as u64) << 32) | (mask & !0xf) as u64)
        } else {
            ((low & !0xf) as u64, (mask & !0xf) as u64 | 0xffff_ffff_0000_0000)
        };
        if mask != 0 {
            bars[i] = Bar::Mem { addr: base, size: (!size_mask).wrapping_add(1), wide, prefetch: low & 8 != 0 };
        }
        i += if wide { 2 } else { 1 };
    }
    addr.write_command(command);
    bars
}

fn probe(addr: PciAddr, off: u8, original: u32) -> u32 {
    addr.write32(off, 0xffff_ffff);
    let mask = addr.read32(off);
    addr.write32(off, original);
    mask
}

impl PciDevice {
    /// Turns on I/O and memory decoding and bus mastering (the device reads and writes
    /// its rings in RAM), and leaves INTx enabled: the drivers take the legacy interrupt.
    pub fn enable(&self) {
        let c = self.addr.read16(COMMAND);
        self.addr.write_command((c | CMD_IO | CMD_MEMORY | CMD_BUS_MASTER) & !CMD_INTX_DISABLE);
    }

    /// The capability list as (id, config offset) pairs; empty when the function has none.
    /// A list that loops or points into the header ends where it goes wrong.
    pub fn capabilities(&self) -> Vec<(u8, u8)> {
        let mut caps = Vec::new();
        if self.addr.read16(STATUS) & STATUS_CAP_LIST == 0 {
            return caps;
        }
        let mut at = self.addr.read8(CAP_PTR) & 0xfc;
        while at >= 0x40 && caps.len() < CAP_MAX {
            caps.push((self.addr.read8(at), at));
            at = self.addr.read8(at + 1) & 0xfc;
        }
        caps
    }

    /// The IRQ line, if the function raises INTx and the firmware routed it to an 8259 input.
    pub fn irq(&self) -> Option<u8> {
        (self.irq_pin != 0 && self.irq_line < 16).then_some(self.irq_line)
    }
}

impl fmt::Display for PciDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pci {} {:04x}:{:04x} class {:02x}.{:02x}.{:02x}",
            self.addr, self.vendor, self.device, self.class, self.subclass, self.prog_if
        )?;
        match self.irq() {
            Some(line) => write!(f, " irq {} (INT{})", line, (b'A' + self.irq_pin - 1) as char)?,
            None => f.write_str(" no irq")?,
        }
        for (i, bar) in self.bars.iter().enumerate() {
            match *bar {
                Bar::None => {}
                Bar::Io { port, size } => write!(f, " bar{i} io {port:#x}/{size}")?,
                Bar::Mem { addr, size, wide, prefetch } => write!(
                    f,
                    " bar{i} mem{} {addr:#x}/{}{}",
                    if wide { 64 } else { 32 },
                    Size(size),
                    if prefetch { " pref" } else { "" }
                )?,
            }
        }
        Ok(())
    }
}

/// A BAR size the way people write it (4K, 16M).
struct Size(u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            s if s >= 1 << 30 && s % (1 << 30) == 0 => write!(f, "{}G", s >> 30),
            s if s >= 1 << 20 && s % (1 << 20) == 0 => write!(f, "{}M", s >> 20),
            s if s >= 1 << 10 && s % (1 << 10) == 0 => write!(f, "{}K", s >> 10),
            s => write!(f, "{s}"),
        }
    }
}

/// Prints one line per function (the `devtest` mode and the boot log's device list).
pub fn print_all(devices: &[PciDevice]) {
    for d in devices {
        crate::println!("{d}");
    }
}

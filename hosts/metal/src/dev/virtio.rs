//! The virtio PCI transport and the split virtqueue (virtio 1.x, OASIS, §2.7 and §4.1),
//! shared by the net, blk and rng drivers.
//!
//! Two transports, chosen per device at probe:
//! - modern (virtio 1.0, §4.1.4): the vendor capabilities (common, notify, ISR, device
//!   configuration) point into memory BARs; features are 64 bits and VERSION_1 is required.
//!   Used whenever the device has them and they lie in the identity-mapped first 4 GiB.
//! - legacy (§4.1.4.8): one I/O BAR with fixed registers, 32 feature bits, the queue given
//!   as a page number, queue size fixed by the device. Used for transitional devices
//!   (device ids 0x1000..0x103f) whose modern registers are missing or unreachable.
//! The queue uses the legacy layout (descriptor table, available ring, used ring at the
//! next 4 KiB) on both transports: it satisfies the modern alignment rules too.
//! Not here: MSI-X (the INTx line is used), packed rings, indirect descriptors, event
//! index. Nothing here is on the hot path except `Virtqueue::{push, kick, pop}` and `isr`,
//! which allocate nothing.

use alloc::alloc::{Layout, alloc_zeroed, dealloc};
use alloc::format;
use alloc::string::String;
use core::ptr::{NonNull, read_volatile, write_volatile};
use core::sync::atomic::{Ordering, fence};

use super::pci::{Bar, PciDevice};
use crate::platform::cpu::{inb, inl, inw, outb, outl, outw};

pub const VENDOR: u16 = 0x1af4;

/// Device types (§5): the modern PCI device id is 0x1040 + type; a transitional device
/// (ids 0x1000..0x103f) names its type in the PCI subsystem id.
pub const TYPE_NET: u16 = 1;
pub const TYPE_BLK: u16 = 2;
pub const TYPE_RNG: u16 = 4;

// Device status bits (§2.1).
const S_ACKNOWLEDGE: u8 = 1;
const S_DRIVER: u8 = 2;
const S_DRIVER_OK: u8 = 4;
const S_FEATURES_OK: u8 = 8;
const S_FAILED: u8 = 128;

// Transport feature bits (§6).
pub const F_ANY_LAYOUT: u64 = 1 << 27;
pub const F_VERSION_1: u64 = 1 << 32;

// Descriptor flags (§2.7.5) and ring flags (§2.7.6, §2.7.8).
pub const DESC_NEXT: u16 = 1;
pub const DESC_WRITE: u16 = 2;
const AVAIL_NO_INTERRUPT: u16 = 1;
const USED_NO_NOTIFY: u16 = 1;

// Legacy I/O registers (§4.1.4.8), offsets in BAR0; the device configuration follows at
// 20 because MSI-X is never enabled.
const L_DEVICE_FEATURES: u16 = 0;
const L_DRIVER_FEATURES: u16 = 4;
const L_QUEUE_PFN: u16 = 8;
const L_QUEUE_SIZE: u16 = 12;
const L_QUEUE_SELECT: u16 = 14;
const L_QUEUE_NOTIFY: u16 = 16;
const L_STATUS: u16 = 18;
const L_ISR: u16 = 19;
const L_CONFIG: u16 = 20;

// Modern common configuration (struct virtio_pci_common_cfg, §4.1.4.3).
const C_DEVICE_FEATURE_SELECT: usize = 0x00;
const C_DEVICE_FEATURE: usize = 0x04;
const C_DRIVER_FEATURE_SELECT: usize = 0x08;
const C_DRIVER_FEATURE: usize = 0x0c;
const C_STATUS: usize = 0x14;
const C_CONFIG_GENERATION: usize = 0x15;
const C_QUEUE_SELECT: usize = 0x16;
const C_QUEUE_SIZE: usize = 0x18;
const C_QUEUE_ENABLE: usize = 0x1c;
const C_QUEUE_NOTIFY_OFF: usize = 0x1e;
const C_QUEUE_DESC: usize = 0x20;
const C_QUEUE_DRIVER: usize = 0x28;
const C_QUEUE_DEVICE: usize = 0x30;

// Vendor capability (struct virtio_pci_cap, §4.1.4): PCI capability id 0x09, then
// cap_vndr, cap_next, cap_len, cfg_type, bar, id, padding[2], offset, length, and for the
// notify capability notify_off_multiplier.
const PCI_CAP_VENDOR: u8 = 0x09;
const CAP_CFG_TYPE: u8 = 3;
const CAP_BAR: u8 = 4;
const CAP_OFFSET: u8 = 8;
const CAP_LENGTH: u8 = 12;
const CAP_NOTIFY_MULTIPLIER: u8 = 16;
const CFG_COMMON: u8 = 1;
const CFG_NOTIFY: u8 = 2;
const CFG_ISR: u8 = 3;
const CFG_DEVICE: u8 = 4;

/// Reads of the configuration before taking a value that changed meanwhile (a device
/// that changes it endlessly must not hang the host).
const CONFIG_TRIES: usize = 16;

/// How long a synchronous request (disk, entropy) or a device reset may take before the
/// device counts as stopped.
pub const REQUEST_TIMEOUT_NS: u64 = 5_000_000_000;

/// The device type of a virtio function, or None for any other PCI function.
pub fn device_type(d: &PciDevice) -> Option<u16> {
    match (d.vendor, d.device) {
        (VENDOR, 0x1000..=0x103f) => Some(d.subsystem_id),
        (VENDOR, 0x1040..=0x107f) => Some(d.device - 0x1040),
        _ => None,
    }
}

/// Memory the device reads or writes: page-aligned, zeroed, freed on drop. Its address is
/// its physical address (memory is identity-mapped).
pub struct DmaBuf {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl DmaBuf {
    pub fn new(len: usize, what: &str) -> Result<DmaBuf, String> {
        let layout = Layout::from_size_align(len.max(1), 4096)
            .map_err(|_| format!("{what}: {len} bytes is not a size that can be allocated"))?;
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(p)
            .ok_or_else(|| format!("{what}: out of memory allocating {len} bytes; give the machine more RAM"))?;
        if ptr.as_ptr() as u64 + len as u64 > 1 << 32 {
            return Err(format!("{what}: the heap gave memory above 4 GiB, which is not identity-mapped"));
        }
        Ok(DmaBuf { ptr, layout })
    }

    pub fn len(&self) -> usize {
        self.layout.size()
    }

    pub fn phys(&self, off: usize) -> u64 {
        assert!(off <= self.len());
        self.ptr.as_ptr() as u64 + off as u64
    }

    fn at<T>(&self, off: usize) -> *mut T {
        assert!(off + size_of::<T>() <= self.len() && off % align_of::<T>() == 0);
        // SAFETY: in bounds (checked above) of one allocation.
        unsafe { self.ptr.as_ptr().add(off) as *mut T }
    }

    /// Volatile: the device reads and writes this memory behind the compiler's back.
    pub fn read<T: Copy>(&self, off: usize) -> T {
        // SAFETY: `at` checked bounds and alignment; T is a plain integer.
        unsafe { read_volatile(self.at::<T>(off)) }
    }

    pub fn write<T: Copy>(&self, off: usize, v: T) {
        // SAFETY: as in `read`.
        unsafe { write_volatile(self.at::<T>(off), v) }
    }

    /// A view of bytes the device has finished writing (it owns them no longer).
    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        assert!(off + len <= self.len());
        // SAFETY: in bounds; the caller only asks for bytes the device has handed back.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr().add(off), len) }
    }

    pub fn bytes_mut(&mut self, off: usize, len: usize) -> &mut [u8] {
        assert!(off + len <= self.len());
        // SAFETY: as in `bytes`, for bytes the device does not own now.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr().add(off), len) }
    }
}

// SAFETY: a DmaBuf owns its allocation alone, like a Box<[u8]>; moving it to another
// context (the platform RNG's static) moves that ownership.
unsafe impl Send for DmaBuf {}

impl Drop for DmaBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

enum Notify {
    Port(u16),
    Mmio(usize),
}

/// A split virtqueue (§2.7) in the legacy layout:
///   0               descriptor table: size × {addr u64, len u32, flags u16, next u16}
///   16·size         available ring: flags u16, idx u16, ring[size] u16, used_event u16
///   next 4 KiB      used ring: flags u16, idx u16, ring[size] {id u32, len u32}, avail_event u16
/// The driver decides which descriptors make up a buffer (`set_desc`), offers a chain by
/// its head (`push`, then `kick`) and takes back the device's answers (`pop`).
pub struct Virtqueue {
    ring: DmaBuf,
    size: u16,
    used_off: usize,
    next_avail: u16,
    last_used: u16,
    notify: Notify,
    index: u16,
}

const AVAIL_OFF_IDX: usize = 2;
const AVAIL_OFF_RING: usize = 4;
const USED_OFF_IDX: usize = 2;
const USED_OFF_RING: usize = 4;
const USED_ELEM: usize = 8;

impl Virtqueue {
    fn new(index: u16, size: u16, what: &str) -> Result<Virtqueue, String> {
        let n = size as usize;
        let avail_end = 16 * n + 6 + 2 * n;
        let used_off = avail_end.next_multiple_of(4096);
        let ring = DmaBuf::new(used_off + 6 + USED_ELEM * n, what)?;
        Ok(Virtqueue { ring, size, used_off, next_avail: 0, last_used: 0, notify: Notify::Port(0), index })
    }

    pub fn size(&self) -> u16 {
        self.size
    }

    /// Writes descriptor `i` (the driver owns it: not in any chain the device holds).
    pub fn set_desc(&mut self, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        assert!(i < self.size && (flags & DESC_NEXT == 0 || next < self.size));
        let d = 16 * i as usize;
        self.ring.write::<u64>(d, addr);
        self.ring.write::<u32>(d + 8, len);
        self.ring.write::<u16>(d + 12, flags);
        self.ring.write::<u16>(d + 14, next);
    }

    pub fn set_desc_len(&mut self, i: u16, len: u32) {
        assert!(i < self.size);
        self.ring.write::<u32>(16 * i as usize + 8, len);
    }

    /// Asks the device not to interrupt when it uses buffers of this queue (polled queues).
    pub fn no_interrupts(&mut self) {
        self.ring.write::<u16>(16 * self.size as usize, AVAIL_NO_INTERRUPT);
    }

    /// Offers the chain starting at descriptor `head`; the device sees it after `kick`.
    pub fn push(&mut self, head: u16) {
        let avail = 16 * self.size as usize;
        let slot = (self.next_avail % self.size) as usize;
        self.ring.write::<u16>(avail + AVAIL_OFF_RING + 2 * slot, head);
        self.next_avail = self.next_avail.wrapping_add(1);
        // The ring entry must be visible before the index that publishes it (§2.7.13).
        fence(Ordering::Release);
        self.ring.write::<u16>(avail + AVAIL_OFF_IDX, self.next_avail);
    }

    /// Tells the device about pushed chains, unless it said it is polling the queue anyway.
    pub fn kick(&mut self) {
        // The index write must be visible before reading the device's flag (§2.7.13.4).
        fence(Ordering::SeqCst);
        if self.ring.read::<u16>(self.used_off) & USED_NO_NOTIFY != 0 {
            return;
        }
        match self.notify {
            Notify::Port(port) => outw(port, self.index),
            // SAFETY: the notify address lies in the device's memory BAR (checked at probe).
            Notify::Mmio(addr) => unsafe { write_volatile(addr as *mut u16, self.index) },
        }
    }

    /// The next chain the device has finished: (head id, bytes it wrote). The id is the
    /// device's word: callers check it names a chain they offered.
    pub fn pop(&mut self) -> Option<(u32, u32)> {
        let idx = self.ring.read::<u16>(self.used_off + USED_OFF_IDX);
        if idx == self.last_used {
            return None;
        }
        // Read the entry only after the index that published it (§2.7.14).
        fence(Ordering::Acquire);
        let e = self.used_off + USED_OFF_RING + USED_ELEM * (self.last_used % self.size) as usize;
        self.last_used = self.last_used.wrapping_add(1);
        Some((self.ring.read::<u32>(e), self.ring.read::<u32>(e + 4)))
    }

    /// True when the device has finished chains that `pop` has not taken yet.
    pub fn has_used(&self) -> bool {
        self.ring.read::<u16>(self.used_off + USED_OFF_IDX) != self.last_used
    }
}

/// A point in time after which a synchronous wait gives up.
pub struct Deadline(u64);

impl Deadline {
    pub fn after_ns(ns: u64) -> Deadline {
        Deadline(crate::platform::clock::now_ns().saturating_add(ns))
    }

    pub fn passed(&self) -> bool {
        crate::platform::clock::now_ns() >= self.0
    }
}

/// Spins until the device finishes a chain of `q`, or the deadline passes.
pub fn wait_used(q: &mut Virtqueue, timeout_ns: u64) -> Option<(u32, u32)> {
    let deadline = Deadline::after_ns(timeout_ns);
    loop {
        if let Some(done) = q.pop() {
            return Some(done);
        }
        if deadline.passed() {
            return None;
        }
        core::hint::spin_loop();
    }
}

#[derive(Clone, Copy)]
struct Region {
    addr: usize,
    len: u32,
}

enum Regs {
    Legacy { io: u16 },
    Modern { common: usize, notify: usize, notify_mult: u32, isr: usize, device: Region },
}

/// A virtio device's registers, whichever transport. Dropping it resets the device, so
/// the device stops using memory before the queues and buffers of its driver are freed
/// (drivers declare the transport first so it is dropped first).
pub struct Transport {
    regs: Regs,
    pub pci: PciDevice,
}

impl Transport {
    /// Finds the registers of a virtio function and turns on its decoding and bus mastering.
    pub fn open(pci: &PciDevice) -> Result<Transport, String> {
        let modern = modern_regs(pci);
        let regs = match (modern, pci.bars[0]) {
            (Ok(regs), _) => regs,
            (Err(_), Bar::Io { port, size }) if pci.device < 0x1040 && size >= L_CONFIG as u32 => {
                Regs::Legacy { io: port }
            }
            (Err(why), _) => return Err(format!("virtio device at {}: {why}", pci.addr)),
        };
        pci.enable();
        Ok(Transport { regs, pci: *pci })
    }

    pub fn kind(&self) -> &'static str {
        match self.regs {
            Regs::Legacy { .. } => "legacy",
            Regs::Modern { .. } => "virtio 1.0",
        }
    }

    fn status(&self) -> u8 {
        match self.regs {
            Regs::Legacy { io } => inb(io + L_STATUS),
            Regs::Modern { common, .. } => mmio_read::<u8>(common + C_STATUS),
        }
    }

    fn set_status(&mut self, s: u8) {
        match self.regs {
            Regs::Legacy { io } => outb(io + L_STATUS, s),
            Regs::Modern { common, .. } => mmio_write::<u8>(common + C_STATUS, s),
        }
    }

    /// Resets the device; a modern device is reset once its status reads back 0 (§4.1.4.3.2).
    fn reset(&mut self) -> Result<(), String> {
        self.set_status(0);
        let deadline = Deadline::after_ns(REQUEST_TIMEOUT_NS);
        while self.status() != 0 {
            if deadline.passed() {
                return Err(format!("virtio device at {} did not finish its reset", self.pci.addr));
            }
            core::hint::spin_loop();
        }
        Ok(())
    }

    /// Resets the device so it lets go of every queue and buffer (a driver whose device
    /// stopped answering calls this before it gives up on it).
    pub fn stop(&mut self) {
        if let Err(why) = self.reset() {
            crate::println!("{why}");
        }
    }

    fn device_features(&self) -> u64 {
        match self.regs {
            Regs::Legacy { io } => inl(io + L_DEVICE_FEATURES) as u64,
            Regs::Modern { common, .. } => {
                mmio_write::<u32>(common + C_DEVICE_FEATURE_SELECT, 0);
                let low = mmio_read::<u32>(common + C_DEVICE_FEATURE);
                mmio_write::<u32>(common + C_DEVICE_FEATURE_SELECT, 1);
                low as u64 | (mmio_read::<u32>(common + C_DEVICE_FEATURE) as u64) << 32
            }
        }
    }

    fn set_driver_features(&mut self, f: u64) {
        match self.regs {
            Regs::Legacy { io } => outl(io + L_DRIVER_FEATURES, f as u32),
            Regs::Modern { common, .. } => {
                mmio_write::<u32>(common + C_DRIVER_FEATURE_SELECT, 0);
                mmio_write::<u32>(common + C_DRIVER_FEATURE, f as u32);
                mmio_write::<u32>(common + C_DRIVER_FEATURE_SELECT, 1);
                mmio_write::<u32>(common + C_DRIVER_FEATURE, (f >> 32) as u32);
            }
        }
    }

    /// Steps 1–6 of device initialisation (§3.1.1): reset, acknowledge, take the offered
    /// features among `wanted` (plus VERSION_1 on the modern transport, where it is
    /// required), and check the device accepts them. Returns the features in force.
    pub fn negotiate(&mut self, wanted: u64) -> Result<u64, String> {
        self.reset()?;
        self.set_status(S_ACKNOWLEDGE);
        self.set_status(S_ACKNOWLEDGE | S_DRIVER);
        let offered = self.device_features();
        let modern = matches!(self.regs, Regs::Modern { .. });
        if modern && offered & F_VERSION_1 == 0 {
            return Err(format!(
                "virtio device at {} does not offer VIRTIO_F_VERSION_1 on its modern registers",
                self.pci.addr
            ));
        }
        let accepted = offered & (wanted | if modern { F_VERSION_1 } else { 0 });
        self.set_driver_features(accepted);
        if modern {
            self.set_status(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
            if self.status() & S_FEATURES_OK == 0 {
                self.set_status(S_FAILED);
                return Err(format!(
                    "virtio device at {} refused the features {accepted:#x} (of {offered:#x} offered)",
                    self.pci.addr
                ));
            }
        }
        Ok(accepted)
    }

    /// Sets up queue `index` with at most `limit` entries (the modern transport may choose
    /// fewer than the device's maximum; a legacy device fixes the size).
    pub fn queue(&mut self, index: u16, limit: u16) -> Result<Virtqueue, String> {
        let what = format!("virtio device at {} queue {index}", self.pci.addr);
        let max = match self.regs {
            Regs::Legacy { io } => {
                outw(io + L_QUEUE_SELECT, index);
                inw(io + L_QUEUE_SIZE)
            }
            Regs::Modern { common, .. } => {
                mmio_write::<u16>(common + C_QUEUE_SELECT, index);
                mmio_read::<u16>(common + C_QUEUE_SIZE)
            }
        };
        if max == 0 {
            return Err(format!("{what}: the device has no such queue"));
        }
        let size = match self.regs {
            Regs::Legacy { .. } => max,
            Regs::Modern { .. } => {
                let l = max.min(limit.max(1));
                1 << (15 - l.leading_zeros())
            }
        };
        if !size.is_power_of_two() {
            return Err(format!("{what}: the device's queue size {size} is not a power of two"));
        }
        let mut q = Virtqueue::new(index, size, &what)?;
        match self.regs {
            Regs::Legacy { io } => {
                outl(io + L_QUEUE_PFN, (q.ring.phys(0) >> 12) as u32);
                q.notify = Notify::Port(io + L_QUEUE_NOTIFY);
            }
            Regs::Modern { common, notify, notify_mult, .. } => {
                mmio_write::<u16>(common + C_QUEUE_SIZE, size);
                write64(common + C_QUEUE_DESC, q.ring.phys(0));
                write64(common + C_QUEUE_DRIVER, q.ring.phys(16 * size as usize));
                write64(common + C_QUEUE_DEVICE, q.ring.phys(q.used_off));
                let off = mmio_read::<u16>(common + C_QUEUE_NOTIFY_OFF) as usize;
                q.notify = Notify::Mmio(notify + off * notify_mult as usize);
                mmio_write::<u16>(common + C_QUEUE_ENABLE, 1);
            }
        }
        Ok(q)
    }

    /// Step 8 of initialisation: the driver is ready; the device may use the queues.
    pub fn driver_ok(&mut self) {
        let s = self.status();
        self.set_status(s | S_DRIVER_OK);
    }

    /// Reads and clears the ISR status (bit 0: a queue was used, bit 1: configuration
    /// changed); reading it deasserts the device's INTx line (§4.1.4.5).
    pub fn isr(&self) -> u8 {
        match self.regs {
            Regs::Legacy { io } => inb(io + L_ISR),
            Regs::Modern { isr, .. } => mmio_read::<u8>(isr),
        }
    }

    /// Reads the device-specific configuration at `off`, consistently across fields
    /// (a modern device bumps config_generation while it changes them, §4.1.4.3.1).
    pub fn config<T: Copy + Default>(&self, off: usize) -> T {
        match self.regs {
            Regs::Legacy { io } => {
                let port = io + L_CONFIG + off as u16;
                let mut v = T::default();
                let p = &mut v as *mut T as *mut u8;
                for i in 0..size_of::<T>() {
                    // SAFETY: writes byte i of v, i < size_of::<T>().
                    unsafe { *p.add(i) = inb(port + i as u16) };
                }
                v
            }
            Regs::Modern { common, device, .. } => {
                if off + size_of::<T>() > device.len as usize {
                    return T::default();
                }
                let mut v = T::default();
                for _ in 0..CONFIG_TRIES {
                    let g = mmio_read::<u8>(common + C_CONFIG_GENERATION);
                    v = read_unaligned_mmio::<T>(device.addr + off);
                    if mmio_read::<u8>(common + C_CONFIG_GENERATION) == g {
                        break;
                    }
                }
                v
            }
        }
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The modern registers, if the function has all four capabilities in memory BARs below
/// 4 GiB; else why not (the caller may fall back to the legacy registers).
fn modern_regs(pci: &PciDevice) -> Result<Regs, String> {
    let (mut common, mut notify, mut isr, mut device) = (None, None, None, None);
    let mut notify_mult = 0;
    for (id, at) in pci.capabilities() {
        // The notify capability, the longest, ends 20 bytes in; one that would run past the
        // 256-byte configuration space is malformed.
        if id != PCI_CAP_VENDOR || at as usize + CAP_NOTIFY_MULTIPLIER as usize + 4 > 256 {
            continue;
        }
        let a = pci.addr;
        let kind = a.read8(at + CAP_CFG_TYPE);
        let region = match bar_region(pci, a.read8(at + CAP_BAR), a.read32(at + CAP_OFFSET), a.read32(at + CAP_LENGTH))
        {
            Some(r) => r,
            None => continue,
        };
        // The first capability of each kind that the driver can use is the one (§4.1.4).
        match kind {
            CFG_COMMON if common.is_none() => common = Some(region),
            CFG_NOTIFY if notify.is_none() => {
                notify = Some(region);
                notify_mult = a.read32(at + CAP_NOTIFY_MULTIPLIER);
            }
            CFG_ISR if isr.is_none() => isr = Some(region),
            CFG_DEVICE if device.is_none() => device = Some(region),
            _ => {}
        }
    }
    match (common, notify, isr) {
        (Some(c), Some(n), Some(i)) if c.len >= 0x38 => Ok(Regs::Modern {
            common: c.addr,
            notify: n.addr,
            notify_mult,
            isr: i.addr,
            device: device.unwrap_or(Region { addr: 0, len: 0 }),
        }),
        _ => Err(String::from(
            "it has neither usable virtio 1.0 registers (common, notify and ISR capabilities in a \
             memory BAR below 4 GiB) nor legacy I/O registers in BAR0",
        )),
    }
}

fn bar_region(pci: &PciDevice, bar: u8, offset: u32, len: u32) -> Option<Region> {
    match pci.bars.get(bar as usize)? {
        Bar::Mem { addr, size, .. } if *addr != 0 && offset as u64 + len as u64 <= *size && addr + *size <= 1 << 32 => {
            Some(Region { addr: (*addr + offset as u64) as usize, len })
        }
        _ => None,
    }
}

fn mmio_read<T: Copy>(addr: usize) -> T {
    // SAFETY: addr lies in a device's memory BAR, checked against the BAR in bar_region,
    // and the first 4 GiB are identity-mapped.
    unsafe { read_volatile(addr as *const T) }
}

fn mmio_write<T: Copy>(addr: usize, v: T) {
    // SAFETY: as in mmio_read.
    unsafe { write_volatile(addr as *mut T, v) }
}

/// A 64-bit register written as two 32-bit halves, low first (§4.1.3.1).
fn write64(addr: usize, v: u64) {
    mmio_write::<u32>(addr, v as u32);
    mmio_write::<u32>(addr + 4, (v >> 32) as u32);
}

/// Reads a configuration field in its natural accesses (bytes for odd sizes).
fn read_unaligned_mmio<T: Copy + Default>(addr: usize) -> T {
    let mut v = T::default();
    let p = &mut v as *mut T as *mut u8;
    match size_of::<T>() {
        8 => {
            let lo = mmio_read::<u32>(addr) as u64;
            let hi = mmio_read::<u32>(addr + 4) as u64;
            // SAFETY: T is 8 bytes.
            unsafe { (p as *mut u64).write_unaligned(lo | hi << 32) };
        }
        // SAFETY: T is 4 bytes.
        4 => unsafe { (p as *mut u32).write_unaligned(mmio_read::<u32>(addr)) },
        // SAFETY: T is 2 bytes.
        2 => unsafe { (p as *mut u16).write_unaligned(mmio_read::<u16>(addr)) },
        n => {
            for i in 0..n {
                // SAFETY: byte i of v, i < n.
                unsafe { *p.add(i) = mmio_read::<u8>(addr + i) };
            }
        }
    }
    v
}

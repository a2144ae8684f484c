//! virtio-blk (virtio 1.x §5.2): a disk read and written at byte offsets, one synchronous
//! request at a time. A request is a fixed three-descriptor chain — header (type, sector),
//! data in the driver's bounce buffer, status byte — offered, then the used ring is polled
//! until the device answers or REQUEST_TIMEOUT_NS passes (the queue never interrupts).
//! Byte ranges that do not start or end on a block are handled by reading the edge blocks
//! into the bounce buffer first (read-modify-write). A device error status becomes
//! DevError::Io; a device that stops answering is reset and the disk answers Io from then on.
//! Not here: queued or concurrent requests, discard, write zeroes. Callers: the node
//! (disk_read, disk_write, disk_flush) and `devtest`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::DevError;
use super::net::Irq;
use super::pci::PciDevice;
use super::virtio::{self, DESC_NEXT, DESC_WRITE, DmaBuf, Transport, Virtqueue};

/// virtio-blk counts in 512-byte sectors whatever the device's block size (§5.2.6).
const SECTOR: u64 = 512;
/// Bytes moved per request at most (the bounce buffer's size).
const BOUNCE: usize = 64 * 1024;
/// Queue entries asked of a modern device: one request of three descriptors is in flight.
const QUEUE_LIMIT: u16 = 4;

// Feature bits and configuration (struct virtio_blk_config, §5.2.3, §5.2.4).
const F_SIZE_MAX: u64 = 1 << 1;
const F_RO: u64 = 1 << 5;
const F_BLK_SIZE: u64 = 1 << 6;
const F_FLUSH: u64 = 1 << 9;
const CFG_CAPACITY: usize = 0;
const CFG_SIZE_MAX: usize = 8;
const CFG_BLK_SIZE: usize = 20;

// Request header (struct virtio_blk_req, §5.2.6): type u32, reserved u32, sector u64;
// the status byte the device writes follows in its own descriptor.
const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const REQ_TYPE: usize = 0;
const REQ_RESERVED: usize = 4;
const REQ_SECTOR: usize = 8;
const REQ_HEADER: u32 = 16;
const REQ_STATUS: usize = 16;
const S_OK: u8 = 0;
/// Written before each request: a value no device answers with.
const S_NONE: u8 = 0xff;

/// What a disk has done since probe.
#[derive(Clone, Copy, Default, Debug)]
pub struct BlkStats {
    pub reads: u64,
    pub writes: u64,
    pub flushes: u64,
    /// Requests the device answered with an error status (or not at all).
    pub errors: u64,
}

pub struct Blk {
    /// First field: dropping it resets the device before the queue and buffers are freed.
    dev: Transport,
    /// This disk's place among virtio-blk devices in PCI order (abi/metal.ts MTL_DISK_PCI_INDEX).
    pub index: usize,
    /// Size in bytes (a whole number of blocks).
    capacity: u64,
    /// The device's block size: requests start and end on these.
    block: usize,
    /// Bytes per request (a multiple of `block`, at most BOUNCE).
    chunk: usize,
    read_only: bool,
    has_flush: bool,
    /// Set when the device stopped answering: it was reset and is used no more.
    stopped: bool,
    q: Virtqueue,
    req: DmaBuf,
    bounce: DmaBuf,
    pub stats: BlkStats,
}

/// Probes every virtio-blk function of `devices` in PCI order; one that cannot be used
/// gets a line saying why and keeps its index.
pub fn probe_all(devices: &[PciDevice]) -> Vec<Blk> {
    let mut out = Vec::new();
    let disks = devices.iter().filter(|d| virtio::device_type(d) == Some(virtio::TYPE_BLK));
    for (index, d) in disks.enumerate() {
        match Blk::probe(d, index) {
            Ok(b) => {
                crate::println!("{b}");
                out.push(b);
            }
            Err(why) => crate::println!("virtio-blk {index}: {why}; this disk is left unused"),
        }
    }
    out
}

impl Blk {
    fn probe(pci: &PciDevice, index: usize) -> Result<Blk, String> {
        let mut dev = Transport::open(pci)?;
        let features = dev.negotiate(F_SIZE_MAX | F_RO | F_BLK_SIZE | F_FLUSH)?;
        let block = match dev.config::<u32>(CFG_BLK_SIZE) {
            b if features & F_BLK_SIZE != 0 && b as u64 >= SECTOR && b.is_power_of_two() && b as usize <= BOUNCE => {
                b as usize
            }
            _ => SECTOR as usize,
        };
        let size_max = match dev.config::<u32>(CFG_SIZE_MAX) as usize {
            s if features & F_SIZE_MAX != 0 && s > 0 => s,
            _ => BOUNCE,
        };
        let chunk = size_max.min(BOUNCE) / block * block;
        if chunk == 0 {
            return Err(format!(
                "the device at {} takes segments of at most {size_max} bytes, less than its {block}-byte block",
                pci.addr
            ));
        }
        let sectors = dev.config::<u64>(CFG_CAPACITY);
        let capacity = sectors.saturating_mul(SECTOR) / block as u64 * block as u64;
        let mut q = dev.queue(0, QUEUE_LIMIT)?;
        if q.size() < 3 {
            return Err(format!("its queue has {} entries; a request needs 3", q.size()));
        }
        q.no_interrupts();
        let req = DmaBuf::new(REQ_STATUS + 1, "virtio-blk request header")?;
        let bounce = DmaBuf::new(BOUNCE, "virtio-blk bounce buffer")?;
        dev.driver_ok();
        Ok(Blk {
            dev,
            index,
            capacity,
            block,
            chunk,
            read_only: features & F_RO != 0,
            has_flush: features & F_FLUSH != 0,
            stopped: false,
            q,
            req,
            bounce,
            stats: BlkStats::default(),
        })
    }

    /// The 8259 line this disk's device interrupts on, if any. Its queue never interrupts,
    /// but a configuration change (a resize, §5.2.2) does, on a line it may share with a NIC.
    pub fn irq(&self) -> Option<u8> {
        self.dev.pci.irq()
    }

    /// Acknowledges the device's interrupt: reading the ISR lowers its INTx line, which
    /// would otherwise fire again the moment a shared line is unmasked (the node's loop
    /// calls this for each fired line before it unmasks it).
    pub fn ack(&self) {
        self.dev.isr();
    }

    /// The disk's size in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// False when the device offers no flush (VIRTIO_BLK_F_FLUSH): such a device writes
    /// through, so a completed write is as durable as it gets and `flush` does nothing.
    pub fn has_flush(&self) -> bool {
        self.has_flush
    }

    /// Fills `buf` from the disk at byte offset `off`. Returns the bytes read (all of them).
    pub fn read(&mut self, off: u64, buf: &mut [u8]) -> Result<usize, DevError> {
        self.check(off, buf.len())?;
        let mut done = 0;
        while done < buf.len() {
            let (first, skip, n, span) = self.piece(off + done as u64, buf.len() - done);
            self.request(T_IN, first, 0, span)?;
            buf[done..done + n].copy_from_slice(self.bounce.bytes(skip, n));
            done += n;
        }
        self.stats.reads += 1;
        Ok(done)
    }

    /// Writes `data` to the disk at byte offset `off`. Returns the bytes written (all).
    pub fn write(&mut self, off: u64, data: &[u8]) -> Result<usize, DevError> {
        self.check(off, data.len())?;
        if self.read_only {
            return Err(DevError::Unsupported);
        }
        let block = self.block;
        let mut done = 0;
        while done < data.len() {
            let (first, skip, n, span) = self.piece(off + done as u64, data.len() - done);
            if skip != 0 {
                self.request(T_IN, first, 0, block)?;
            }
            let tail = span - block;
            if (skip + n) % block != 0 && (tail != 0 || skip == 0) {
                self.request(T_IN, first + tail as u64, tail, block)?;
            }
            self.bounce.bytes_mut(skip, n).copy_from_slice(&data[done..done + n]);
            self.request(T_OUT, first, 0, span)?;
            done += n;
        }
        self.stats.writes += 1;
        Ok(done)
    }

    /// Makes the writes the device has completed durable (VIRTIO_BLK_T_FLUSH).
    pub fn flush(&mut self) -> Result<(), DevError> {
        if self.has_flush {
            self.request(T_FLUSH, 0, 0, 0)?;
        }
        self.stats.flushes += 1;
        Ok(())
    }

    fn check(&self, off: u64, len: usize) -> Result<(), DevError> {
        match off.checked_add(len as u64) {
            Some(end) if end <= self.capacity => Ok(()),
            _ => Err(DevError::Range),
        }
    }

    /// The next request of a transfer at byte `pos` with `left` bytes to go: the first
    /// block's byte offset, where `pos` lies in it, the bytes this request moves for the
    /// caller, and the whole blocks it spans (at most `chunk`).
    fn piece(&self, pos: u64, left: usize) -> (u64, usize, usize, usize) {
        let block = self.block as u64;
        let first = pos / block * block;
        let skip = (pos - first) as usize;
        let n = left.min(self.chunk - skip);
        (first, skip, n, (skip + n).next_multiple_of(self.block))
    }

    /// One request: `kind` at disk byte `at` (block-aligned), data in bounce[data, +len).
    fn request(&mut self, kind: u32, at: u64, data: usize, len: usize) -> Result<(), DevError> {
        if self.stopped {
            return Err(DevError::Io);
        }
        self.req.write::<u32>(REQ_TYPE, kind);
        self.req.write::<u32>(REQ_RESERVED, 0);
        self.req.write::<u64>(REQ_SECTOR, at / SECTOR);
        self.req.write::<u8>(REQ_STATUS, S_NONE);
        let header = self.req.phys(0);
        if len == 0 {
            self.q.set_desc(0, header, REQ_HEADER, DESC_NEXT, 2);
        } else {
            let flags = if kind == T_IN { DESC_WRITE } else { 0 };
            self.q.set_desc(0, header, REQ_HEADER, DESC_NEXT, 1);
            self.q.set_desc(1, self.bounce.phys(data), len as u32, flags | DESC_NEXT, 2);
        }
        self.q.set_desc(2, self.req.phys(REQ_STATUS), 1, DESC_WRITE, 0);
        self.q.push(0);
        self.q.kick();
        match virtio::wait_used(&mut self.q, virtio::REQUEST_TIMEOUT_NS) {
            Some((0, _)) => match self.req.read::<u8>(REQ_STATUS) {
                S_OK => Ok(()),
                status => {
                    self.stats.errors += 1;
                    if self.stats.errors == 1 {
                        crate::println!(
                            "virtio-blk {}: the device answered status {status} to a {} at byte {at} (first device error; later ones are only counted)",
                            self.index,
                            kind_name(kind)
                        );
                    }
                    Err(DevError::Io)
                }
            },
            answer => {
                self.stats.errors += 1;
                self.stopped = true;
                self.dev.stop();
                crate::println!(
                    "virtio-blk {}: {} a {} at byte {at}; the device was reset and the disk answers EIO from now on",
                    self.index,
                    if answer.is_some() {
                        "the device answered with a chain it was not given for"
                    } else {
                        "no answer within 5 s to"
                    },
                    kind_name(kind)
                );
                Err(DevError::Io)
            }
        }
    }
}

fn kind_name(kind: u32) -> &'static str {
    match kind {
        T_IN => "read",
        T_OUT => "write",
        _ => "flush",
    }
}

impl fmt::Display for Blk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "virtio-blk {} at {} ({}, {}): {} bytes, {}-byte blocks, {}{}",
            self.index,
            self.dev.pci.addr,
            self.dev.kind(),
            Irq(self.dev.pci.irq()),
            self.capacity,
            self.block,
            if self.has_flush { "flush" } else { "no flush (the device writes through)" },
            if self.read_only { ", read-only" } else { "" }
        )
    }
}

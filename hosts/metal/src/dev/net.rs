//! virtio-net (virtio 1.x §5.1): one receive and one transmit queue, no offloads, no
//! mergeable buffers, no control queue. Every buffer is made at probe: a fixed pool of
//! BUF_SIZE-byte slots per direction, each slot with a fixed descriptor chain, so sending
//! copies the frame into a free TX slot and receiving hands out a view of an RX slot and
//! offers the same slot again — nothing is allocated per packet.
//! Each buffer starts with the virtio_net_hdr (10 bytes on the legacy transport, 12 with
//! VERSION_1), all zeros on transmit (no checksum or segmentation offload) and skipped on
//! receive. A legacy device that does not offer ANY_LAYOUT gets the header in a
//! descriptor of its own (§5.1.6.6 legacy), the frame in a second one.
//! The TX queue never interrupts: sent slots are taken back when a send finds none free
//! and on each poll. Callers: the node (nic_send, its main loop) and `devtest`.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::DevError;
use crate::abi::MTL_NIC_FRAME_MAX;
use super::pci::PciDevice;
use super::virtio::{self, DESC_NEXT, DESC_WRITE, DmaBuf, F_ANY_LAYOUT, F_VERSION_1, Transport, Virtqueue};

/// The largest frame sent or received (abi/metal.ts, which the image builder checks each
/// NIC's MTU against): Ethernet header and an MTL_NIC_MTU_MAX-byte payload, no FCS.
pub const NIC_FRAME_MAX: usize = MTL_NIC_FRAME_MAX;
/// Smallest frame handed to the node: an Ethernet header.
const FRAME_MIN: usize = 14;
/// Bytes per buffer slot: the 12-byte header plus NIC_FRAME_MAX, rounded up to 64 bytes.
const BUF_SIZE: usize = (HDR_V1 + NIC_FRAME_MAX).next_multiple_of(64);
/// Receive slots per NIC (fewer when the queue is smaller): frames the device can take
/// while the node is busy elsewhere.
const RX_SLOTS: u16 = 256;
/// Transmit slots per NIC: frames in flight before `send` answers NoSpace.
const TX_SLOTS: u16 = 128;

const RXQ: u16 = 0;
const TXQ: u16 = 1;

// Feature bits and configuration layout (struct virtio_net_config, §5.1.3, §5.1.4).
const F_MAC: u64 = 1 << 5;
const F_STATUS: u64 = 1 << 16;
const CFG_MAC: usize = 0;
const CFG_STATUS: usize = 6;
const STATUS_LINK_UP: u16 = 1;
const HDR_LEGACY: usize = 10;
const HDR_V1: usize = 12;

/// What a NIC has done since probe.
#[derive(Clone, Copy, Default, Debug)]
pub struct NetStats {
    pub rx: u64,
    pub tx: u64,
    /// Frames the device handed back that were too short or named no slot of ours.
    pub rx_dropped: u64,
    /// Sends refused because every TX slot was still with the device.
    pub tx_busy: u64,
}

/// One slot pool: `count` slots of BUF_SIZE bytes; slot i's chain starts at descriptor
/// i·per (per = 2 when header and frame have descriptors of their own).
struct Pool {
    q: Virtqueue,
    buf: DmaBuf,
    count: u16,
}

pub struct Net {
    /// First field: dropping it resets the device before the pools below are freed.
    dev: Transport,
    /// This NIC's place among virtio-net devices in PCI order (abi/metal.ts MTL_NIC_PCI_INDEX),
    /// counting devices that failed to probe too.
    pub index: usize,
    pub mac: [u8; 6],
    hdr_len: usize,
    per: u16,
    has_status: bool,
    rx: Pool,
    tx: Pool,
    /// Free TX slots (a stack; capacity TX_SLOTS, never grows).
    tx_free: Vec<u16>,
    tx_in_flight: Vec<bool>,
    pub stats: NetStats,
}

/// Probes every virtio-net function of `devices` (in their order, which is PCI order).
/// A NIC that cannot be used gets a line saying why and keeps its index, so the NICs
/// after it keep theirs.
pub fn probe_all(devices: &[PciDevice]) -> Vec<Net> {
    let mut out = Vec::new();
    let nets = devices.iter().filter(|d| virtio::device_type(d) == Some(virtio::TYPE_NET));
    for (index, d) in nets.enumerate() {
        match Net::probe(d, index) {
            Ok(n) => {
                crate::println!("{n}");
                out.push(n);
            }
            Err(why) => crate::println!("virtio-net {index}: {why}; this NIC is left unused"),
        }
    }
    out
}

impl Net {
    fn probe(pci: &PciDevice, index: usize) -> Result<Net, String> {
        let mut dev = Transport::open(pci)?;
        let features = dev.negotiate(F_MAC | F_STATUS | F_ANY_LAYOUT)?;
        if features & F_MAC == 0 {
            return Err(format!(
                "the device at {} has no MAC address (VIRTIO_NET_F_MAC not offered); give it one (QEMU: mac=)",
                pci.addr
            ));
        }
        let modern = features & F_VERSION_1 != 0;
        let hdr_len = if modern { HDR_V1 } else { HDR_LEGACY };
        let per = if modern || features & F_ANY_LAYOUT != 0 { 1 } else { 2 };
        let rx = Pool::new(&mut dev, RXQ, RX_SLOTS, per, "receive")?;
        let tx = Pool::new(&mut dev, TXQ, TX_SLOTS, per, "transmit")?;
        let mut net = Net {
            mac: dev.config::<[u8; 6]>(CFG_MAC),
            dev,
            index,
            hdr_len,
            per,
            has_status: features & F_STATUS != 0,
            tx_free: (0..tx.count).rev().collect(),
            tx_in_flight: vec![false; tx.count as usize],
            rx,
            tx,
            stats: NetStats::default(),
        };
        net.chain_slots();
        net.tx.q.no_interrupts();
        for slot in 0..net.rx.count {
            net.rx.q.push(slot * per);
        }
        net.dev.driver_ok();
        net.rx.q.kick();
        Ok(net)
    }

    /// Writes each slot's descriptor chain once: device-writable for RX, readable for TX.
    fn chain_slots(&mut self) {
        let (hdr, per) = (self.hdr_len, self.per);
        for (pool, flags) in [(&mut self.rx, DESC_WRITE), (&mut self.tx, 0)] {
            for slot in 0..pool.count {
                let at = pool.buf.phys(slot as usize * BUF_SIZE);
                let head = slot * per;
                if per == 1 {
                    pool.q.set_desc(head, at, BUF_SIZE as u32, flags, 0);
                } else {
                    pool.q.set_desc(head, at, hdr as u32, flags | DESC_NEXT, head + 1);
                    pool.q.set_desc(head + 1, at + hdr as u64, (BUF_SIZE - hdr) as u32, flags, 0);
                }
            }
        }
    }

    /// The 8259 line this NIC interrupts on, if any.
    pub fn irq(&self) -> Option<u8> {
        self.dev.pci.irq()
    }

    pub fn link_up(&self) -> bool {
        !self.has_status || self.dev.config::<u16>(CFG_STATUS) & STATUS_LINK_UP != 0
    }

    /// Queues one frame (Ethernet header first, no FCS) for transmission.
    pub fn send(&mut self, frame: &[u8]) -> Result<(), DevError> {
        if frame.len() < FRAME_MIN {
            return Err(DevError::Invalid);
        }
        if frame.len() > NIC_FRAME_MAX {
            return Err(DevError::TooBig);
        }
        if self.tx_free.is_empty() {
            self.reclaim_tx();
        }
        let Some(slot) = self.tx_free.pop() else {
            self.stats.tx_busy += 1;
            return Err(DevError::NoSpace);
        };
        let at = slot as usize * BUF_SIZE;
        self.tx.buf.bytes_mut(at + self.hdr_len, frame.len()).copy_from_slice(frame);
        let head = slot * self.per;
        if self.per == 1 {
            self.tx.q.set_desc_len(head, (self.hdr_len + frame.len()) as u32);
        } else {
            self.tx.q.set_desc_len(head + 1, frame.len() as u32);
        }
        self.tx_in_flight[slot as usize] = true;
        self.tx.q.push(head);
        self.tx.q.kick();
        self.stats.tx += 1;
        Ok(())
    }

    /// Takes back the TX slots the device has sent.
    fn reclaim_tx(&mut self) {
        while let Some((id, _)) = self.tx.q.pop() {
            if let Some(slot) = self.tx.slot_of(id, self.per) {
                if core::mem::replace(&mut self.tx_in_flight[slot as usize], false) {
                    self.tx_free.push(slot);
                }
            }
        }
    }

    /// Acknowledges the interrupt (reads the ISR, which lowers the line), takes back sent
    /// slots, and hands each received frame (without the virtio header) to `deliver`, at
    /// most one pool's worth per call; the slot is offered again after `deliver` returns.
    /// Returns the number of frames handled; `rx_pending` says whether more are waiting.
    pub fn poll_rx(&mut self, deliver: &mut impl FnMut(&[u8])) -> usize {
        self.dev.isr();
        self.reclaim_tx();
        let mut handled = 0;
        while handled < self.rx.count as usize {
            let Some((id, len)) = self.rx.q.pop() else { break };
            handled += 1;
            let Some(slot) = self.rx.slot_of(id, self.per) else {
                self.stats.rx_dropped += 1;
                continue;
            };
            let len = len as usize;
            if len < self.hdr_len + FRAME_MIN || len > BUF_SIZE {
                self.stats.rx_dropped += 1;
            } else {
                self.stats.rx += 1;
                deliver(self.rx.buf.bytes(slot as usize * BUF_SIZE + self.hdr_len, len - self.hdr_len));
            }
            self.rx.q.push(slot * self.per);
        }
        if handled > 0 {
            self.rx.q.kick();
        }
        handled
    }

    /// True when received frames wait for `poll_rx`.
    pub fn rx_pending(&self) -> bool {
        self.rx.q.has_used()
    }

    /// The slots a send would find free now (after taking back the sent ones).
    pub fn tx_room(&mut self) -> usize {
        self.reclaim_tx();
        self.tx_free.len()
    }
}

impl Pool {
    fn new(dev: &mut Transport, index: u16, slots: u16, per: u16, what: &str) -> Result<Pool, String> {
        let q = dev.queue(index, slots * per)?;
        let count = (q.size() / per).min(slots);
        if count == 0 {
            return Err(format!("the {what} queue has {} entries, too few for one buffer", q.size()));
        }
        let buf = DmaBuf::new(count as usize * BUF_SIZE, &format!("virtio-net {what} buffers"))?;
        Ok(Pool { q, buf, count })
    }

    /// The slot whose chain starts at descriptor `id`, if the device named one of ours.
    fn slot_of(&self, id: u32, per: u16) -> Option<u16> {
        let per = per as u32;
        (id % per == 0 && id / per < self.count as u32).then_some((id / per) as u16)
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.mac;
        write!(
            f,
            "virtio-net {} at {} ({}, {}): mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, {} rx / {} tx buffers, link {}",
            self.index,
            self.dev.pci.addr,
            self.dev.kind(),
            Irq(self.irq()),
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5],
            self.rx.count,
            self.tx.count,
            if self.link_up() { "up" } else { "down" }
        )
    }
}

/// "irq N" or "no irq" in a probe line.
pub struct Irq(pub Option<u8>);

impl fmt::Display for Irq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, "irq {line}"),
            None => f.write_str("no irq"),
        }
    }
}

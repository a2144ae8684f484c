//! xHCI (eXtensible Host Controller Interface 1.2) for USB devices on the root hub's ports
//! (spec/metal.md "USB (xHCI)"). Probe: the PCI function of class 0x0C0330, MMIO BAR0 inside
//! the identity-mapped 4 GiB, bus mastering; reset (HCRST, CNR), MaxSlotsEn, DCBAA and the
//! scratchpad buffers HCSPARAMS2 asks for, a command ring and one event ring segment on
//! interrupter 0 (INTx when the firmware routed one), then run. Every port with a device is
//! reset and the device enumerated: Enable Slot, Address Device (EP0's max packet by speed;
//! a full-speed device's first 8 bytes of the device descriptor, then Evaluate Context), the
//! device and first configuration descriptors, the language and serial strings, SET_CONFIGURATION
//! and Configure Endpoint for every bulk and interrupt endpoint of alternate setting 0.
//! Transfers are asynchronous: `submit` queues Setup/Data/Status TRBs on EP0 or a Normal TRB
//! on the endpoint's ring, the completion arrives as a Transfer Event that `poll` turns into
//! a `Done` (`take_done`). A timeout or `cancel` stops the endpoint, turns the transfer's TRBs
//! into No-Ops and moves the dequeue pointer. A stall leaves the endpoint halted until the
//! device's own CLEAR_FEATURE(ENDPOINT_HALT) succeeds; then the xHC side is reset too (Reset
//! Endpoint, Set TR Dequeue Pointer). A stall on EP0 is reset at once (the next SETUP clears
//! the device's). Port Status Change events become `Change::Detached` / `Change::Attached`.
//! Nothing is allocated per transfer: rings, contexts and USB_INFLIGHT data buffers of
//! USB_XFER_MAX bytes are made when a device is enumerated and freed when it goes.
//! Commands (and the control transfers of enumeration) are waited for by polling the event
//! ring, each bounded by a timeout, so a device that never answers costs at most that long;
//! one device is enumerated per `poll`, and a port whose enumeration failed backs off.
//! Not here: hubs (only root ports; a hub is refused), isochronous endpoints, streams, alternate settings,
//! MSI/MSI-X, 64-bit addresses above 4 GiB, USB 3 link power management.

use alloc::alloc::{alloc_zeroed, dealloc, Layout};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ptr::{read_volatile, write_volatile, NonNull};

use super::pci::{Bar, PciDevice};
use crate::abi::{UsbType, USB_DESC_MAX, USB_DEVICE_DESC, USB_DIR_IN, USB_INFLIGHT, USB_XFER_MAX};
// wire/layout/usb.ts, generated: standard requests (USB 2.0 §9.4), descriptor types, the hub class.
use crate::abi::{
    CLASS_HUB, DT_CONFIG, DT_DEVICE, DT_ENDPOINT, DT_INTERFACE, DT_STRING, FEATURE_ENDPOINT_HALT, REQ_CLEAR_FEATURE, REQ_GET_DESCRIPTOR,
    REQ_SET_ADDRESS, REQ_SET_CONFIGURATION, REQ_SET_INTERFACE, RT_TYPE_MASK,
};
use crate::platform::clock;

// PCI class of an xHCI controller (serial bus, USB, prog-if xHCI).
const CLASS_SERIAL_BUS: u8 = 0x0c;
const SUBCLASS_USB: u8 = 0x03;
const PROG_IF_XHCI: u8 = 0x30;

// Capability registers (xHCI 1.2 §5.3).
const CAPLENGTH: usize = 0x00;
const HCSPARAMS1: usize = 0x04;
const HCSPARAMS2: usize = 0x08;
const HCCPARAMS1: usize = 0x10;
const DBOFF: usize = 0x14;
const RTSOFF: usize = 0x18;
// Operational registers (§5.4), from CAPLENGTH.
const USBCMD: usize = 0x00;
const USBSTS: usize = 0x04;
const PAGESIZE: usize = 0x08;
const CRCR: usize = 0x18;
const DCBAAP: usize = 0x30;
const CONFIG: usize = 0x38;
const PORTSC0: usize = 0x400;
const CMD_RUN: u32 = 1 << 0;
const CMD_HCRST: u32 = 1 << 1;
const CMD_INTE: u32 = 1 << 2;
const STS_HCH: u32 = 1 << 0;
const STS_EINT: u32 = 1 << 3;
const STS_CNR: u32 = 1 << 11;
// PORTSC bits (§5.4.8).
const PORT_CCS: u32 = 1 << 0;
const PORT_PED: u32 = 1 << 1;
const PORT_PR: u32 = 1 << 4;
const PORT_PP: u32 = 1 << 9;
const PORT_SPEED_SHIFT: u32 = 10;
const PORT_CSC: u32 = 1 << 17;
const PORT_PRC: u32 = 1 << 21;
/// Every write-one-to-clear change bit (CSC, PEC, WRC, OCC, PRC, PLC, CEC).
const PORT_CHANGES: u32 = 0x7f << 17;
/// The bits written back unchanged when PORTSC is written (power, indicator, wake enables);
/// PED is write-one-to-disable and the change bits write-one-to-clear, so they are written 0.
const PORT_KEEP: u32 = PORT_PP | (3 << 14) | (7 << 25);
// Runtime registers (§5.5): interrupter 0 at 0x20.
const IR0: usize = 0x20;
const IMAN: usize = 0x00;
const ERSTSZ: usize = 0x08;
const ERSTBA: usize = 0x10;
const ERDP: usize = 0x18;
const IMAN_IP: u32 = 1 << 0;
const IMAN_IE: u32 = 1 << 1;
const ERDP_EHB: u64 = 1 << 3;

// TRBs (§6.4): parameter u64, status u32, control u32.
const TRB: usize = 16;
const TRB_CYCLE: u32 = 1 << 0;
const TRB_TC: u32 = 1 << 1; // Link: toggle cycle
const TRB_ISP: u32 = 1 << 2;
const TRB_CH: u32 = 1 << 4;
const TRB_IOC: u32 = 1 << 5;
const TRB_IDT: u32 = 1 << 6;
const TRB_DIR_IN: u32 = 1 << 16;
const T_NORMAL: u32 = 1;
const T_SETUP: u32 = 2;
const T_DATA: u32 = 3;
const T_STATUS: u32 = 4;
const T_LINK: u32 = 6;
const T_NOOP: u32 = 8;
const T_ENABLE_SLOT: u32 = 9;
const T_DISABLE_SLOT: u32 = 10;
const T_ADDRESS_DEVICE: u32 = 11;
const T_CONFIGURE_EP: u32 = 12;
const T_EVALUATE: u32 = 13;
const T_RESET_EP: u32 = 14;
const T_STOP_EP: u32 = 15;
const T_SET_DEQ: u32 = 16;
const E_TRANSFER: u32 = 32;
const E_COMMAND: u32 = 33;
const E_PORT: u32 = 34;

// Completion codes (§6.4.5).
const CC_SUCCESS: u32 = 1;
const CC_DATA_BUFFER: u32 = 2;
const CC_BABBLE: u32 = 3;
const CC_TRANSACTION: u32 = 4;
const CC_STALL: u32 = 6;
const CC_SHORT_PACKET: u32 = 13;
const CC_STOPPED: u32 = 26;
const CC_STOPPED_LENGTH: u32 = 27;

// Endpoint context (§6.2.3) states and types.
const EP_HALTED: u32 = 2;
const EP_STOPPED: u32 = 3;
const EP_RUNNING: u32 = 1;
const EPT_CONTROL: u32 = 4;

/// TRBs per ring page (one 4 KiB page; the last is the Link TRB).
const RING_TRBS: usize = 256;
/// How long a command may take before the controller is given up on (a command involves no
/// device, only the controller; QEMU's completes at once).
const COMMAND_TIMEOUT_MS: u64 = 1000;
/// How long one control request of enumeration may take: a device answers a setup stage in
/// microseconds (USB 2.0 §9.2.6.4 gives a standard request at most 500 ms for its data, which
/// real devices never come near; QEMU's answer within the same poll); a device slower than
/// this is not used, and its port waits before it is tried again.
const ENUM_TIMEOUT_MS: u32 = 150;
/// The controller's own reset and halt (xHCI 1.2 §5.4.2: within 16 ms of halting; CNR has
/// no bound, 1 s is generous).
const RESET_TIMEOUT_MS: u64 = 1000;
/// A root port's reset: the xHC drives reset for TDRSTR (USB 2.0 §7.1.7.5: 10 to 20 ms; a
/// USB 3 warm reset 80 to 120 ms, USB 3.2 §7.5.2) and sets PRC when it ends.
const PORT_RESET_TIMEOUT_MS: u64 = 200;
/// A port whose enumeration failed is not tried again before this long, doubled at each
/// failure up to ENUM_BACKOFF_MAX_MS; a success forgets its failures. A device that fails on
/// purpose, or drops and reasserts its connection, costs the node at most one enumeration per
/// ENUM_BACKOFF_MAX_MS.
const ENUM_BACKOFF_MIN_MS: u32 = 1000;
const ENUM_BACKOFF_MAX_MS: u32 = 60_000;
/// Devices this driver keeps at once (xHCI slot ids 1..=255; the controller may say fewer).
const SLOTS_MAX: usize = 64;
/// Hot-plug changes and completions waiting for the caller.
const CHANGES_MAX: usize = 64;


/// Why a USB operation failed; the node turns each into the abi/errno.ts Errno named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsbError {
    /// The endpoint stalled (EPIPE).
    Stall,
    /// The device sent more than asked (EOVERFLOW).
    Babble,
    /// A transaction error, a buffer error or a controller that stopped answering (EIO).
    Io,
    /// The transfer's timeout passed (ETIMEDOUT).
    Timeout,
    /// Cancelled by the caller (ECANCELED).
    Cancelled,
    /// The device is gone (ENODEV).
    NoDevice,
    /// The device has no such endpoint (ENOENT).
    NoEndpoint,
    /// A request this driver does not pass on, a length over USB_XFER_MAX, a busy slot (EINVAL).
    Invalid,
}

impl fmt::Display for UsbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UsbError::Stall => "the endpoint stalled",
            UsbError::Babble => "the device sent more than was asked for (babble)",
            UsbError::Io => "a transaction error, or the controller stopped answering",
            UsbError::Timeout => "the transfer timed out",
            UsbError::Cancelled => "the transfer was cancelled",
            UsbError::NoDevice => "the device is not present",
            UsbError::NoEndpoint => "the device has no such endpoint",
            UsbError::Invalid => "the request is not one this driver passes on",
        })
    }
}

fn cc_error(cc: u32) -> UsbError {
    match cc {
        CC_STALL => UsbError::Stall,
        CC_BABBLE => UsbError::Babble,
        _ => UsbError::Io,
    }
}

/// Zeroed, aligned memory the controller reads and writes (inside the identity-mapped 4 GiB).
struct Dma {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl Dma {
    fn new(len: usize, align: usize, what: &str) -> Result<Dma, String> {
        let layout = Layout::from_size_align(len.max(64), align)
            .map_err(|_| format!("xhci: {what}: {len} bytes cannot be allocated"))?;
        // SAFETY: the layout has a non-zero size.
        let ptr = NonNull::new(unsafe { alloc_zeroed(layout) })
            .ok_or_else(|| format!("xhci: {what}: out of memory allocating {len} bytes; give the machine more RAM"))?;
        if ptr.as_ptr() as u64 + layout.size() as u64 > 1 << 32 {
            // SAFETY: allocated just above with this layout, never handed out.
            unsafe { dealloc(ptr.as_ptr(), layout) };
            return Err(format!("xhci: {what}: the heap gave memory above 4 GiB, which is not identity-mapped"));
        }
        Ok(Dma { ptr, layout })
    }
    fn phys(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }
    fn len(&self) -> usize {
        self.layout.size()
    }
    fn r32(&self, off: usize) -> u32 {
        assert!(off + 4 <= self.len() && off.is_multiple_of(4));
        // SAFETY: in bounds and aligned (checked); the device writes behind the compiler's back.
        unsafe { read_volatile(self.ptr.as_ptr().add(off) as *const u32) }
    }
    fn w32(&self, off: usize, v: u32) {
        assert!(off + 4 <= self.len() && off.is_multiple_of(4));
        // SAFETY: as in r32.
        unsafe { write_volatile(self.ptr.as_ptr().add(off) as *mut u32, v) }
    }
    fn w64(&self, off: usize, v: u64) {
        self.w32(off, v as u32);
        self.w32(off + 4, (v >> 32) as u32);
    }
    fn r64(&self, off: usize) -> u64 {
        self.r32(off) as u64 | (self.r32(off + 4) as u64) << 32
    }
    fn zero(&self, off: usize, len: usize) {
        for o in (off..off + len).step_by(4) {
            self.w32(o, 0);
        }
    }
    fn bytes(&self, off: usize, len: usize) -> &[u8] {
        assert!(off + len <= self.len());
        // SAFETY: in bounds; the caller reads bytes the device has finished with.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr().add(off), len) }
    }
    fn bytes_mut(&mut self, off: usize, len: usize) -> &mut [u8] {
        assert!(off + len <= self.len());
        // SAFETY: as in bytes, for bytes the device does not own now.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr().add(off), len) }
    }
}

// SAFETY: a Dma owns its allocation alone, like a Box<[u8]>.
unsafe impl Send for Dma {}

impl Drop for Dma {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// A producer ring (command or transfer): RING_TRBS TRBs, the last a Link back to the first
/// that toggles the cycle.
struct Ring {
    mem: Dma,
    enq: usize,
    cycle: u32,
}

impl Ring {
    fn new(what: &str) -> Result<Ring, String> {
        let mem = Dma::new(RING_TRBS * TRB, 4096, what)?;
        let link = (RING_TRBS - 1) * TRB;
        mem.w64(link, mem.phys());
        mem.w32(link + 12, T_LINK << 10 | TRB_TC);
        Ok(Ring { mem, enq: 0, cycle: 1 })
    }
    /// Writes one TRB (the cycle bit last, so the controller never sees half of it) and
    /// returns its address; follows the Link TRB at the end.
    fn push(&mut self, param: u64, status: u32, control: u32) -> u64 {
        let at = self.enq * TRB;
        self.mem.w64(at, param);
        self.mem.w32(at + 8, status);
        self.mem.w32(at + 12, (control & !TRB_CYCLE) | self.cycle);
        let addr = self.mem.phys() + at as u64;
        self.enq += 1;
        if self.enq == RING_TRBS - 1 {
            let link = (RING_TRBS - 1) * TRB;
            // the Link TRB's chain bit follows the TRB before it (a TD may cross the link)
            let chain = control & TRB_CH;
            self.mem.w32(link + 12, T_LINK << 10 | TRB_TC | chain | self.cycle);
            self.enq = 0;
            self.cycle ^= 1;
        }
        addr
    }
    fn enqueue_addr(&self) -> u64 {
        self.mem.phys() + (self.enq * TRB) as u64
    }
    fn contains(&self, addr: u64) -> bool {
        addr >= self.mem.phys() && addr < self.mem.phys() + (RING_TRBS * TRB) as u64
    }
    /// Turns a queued TRB into a No-Op (keeping its cycle and chain bits, no interrupt).
    fn noop(&mut self, addr: u64) {
        if !self.contains(addr) {
            return;
        }
        let at = (addr - self.mem.phys()) as usize;
        let c = self.mem.r32(at + 12);
        self.mem.w32(at + 12, (c & (TRB_CYCLE | TRB_CH)) | T_NOOP << 10);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum XferState {
    Idle,
    InFlight,
    Done(Result<usize, UsbError>),
}

/// One of a device's USB_INFLIGHT transfer slots (the kernel's xfer numbers).
struct Xfer {
    state: XferState,
    dci: usize,
    /// The TRBs queued for it (Setup, Data, Status or one Normal): matched against events.
    trbs: [u64; 3],
    ntrbs: usize,
    len: usize,
    /// Bytes moved so far (a short Data stage's count, before its Status stage completes).
    actual: usize,
    deadline_ms: u64,
    /// A CLEAR_FEATURE(ENDPOINT_HALT) for this endpoint address: when it succeeds, the xHC's
    /// endpoint is reset too.
    clears_halt: Option<u8>,
    /// Data flows from the device (its data is at `data` after the Done).
    is_in: bool,
    /// The data buffer (USB_XFER_MAX bytes, 64 KiB aligned so one TRB never crosses a 64 KiB boundary).
    buf: Dma,
}

/// What `take_change` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A device was enumerated: `device(slot)` has its descriptors.
    Attached(u8),
    /// The device in that slot is gone; its transfers are forgotten (never reported done).
    Detached(u8),
}

/// A finished transfer (`take_done`): the data of an IN transfer is at `data(slot, xfer)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    pub slot: u8,
    pub xfer: usize,
    /// An IN transfer: its bytes are at `data(slot, xfer, n)`.
    pub is_in: bool,
    pub result: Result<usize, UsbError>,
}

/// A device on a root port, enumerated and configured.
pub struct UsbDevice {
    pub slot: u8,
    /// The root hub port (1-based, the xHC's numbering).
    pub port: u8,
    /// PORTSC's speed: 1 full, 2 low, 3 high, 4 super, 5 super-plus.
    pub speed: u8,
    pub vendor: u16,
    pub product: u16,
    /// The bus the port is on as Linux numbers a lone xHC's root hubs (1: USB 2, 2: USB 3)
    /// and the port's number on that root hub (from the Supported Protocol capabilities).
    pub bus: u8,
    pub bus_port: u8,
    /// iSerialNumber's string (empty without one).
    pub serial: String,
    /// The device descriptor (18 bytes) then the first configuration (wTotalLength bytes).
    pub desc: Vec<u8>,
    out_ctx: Dma,
    in_ctx: Dma,
    /// By device context index (1 = EP0 .. 31).
    rings: [Option<Box<Ring>>; 32],
    xfers: Vec<Xfer>,
    /// Endpoints (by DCI bit) whose xHC side must be reset before the next `take_done`.
    reset: u32,
    mps0: u16,
}

impl UsbDevice {
    pub fn speed_name(&self) -> &'static str {
        match self.speed {
            1 => "full",
            2 => "low",
            3 => "high",
            4 => "super",
            5 => "super-plus",
            _ => "unknown",
        }
    }
    /// The path the manifest's `path:` matches: "<bus>-<port>", numbered as Linux numbers
    /// the root hubs of a machine's only xHC (USB 2 ports on bus 1, USB 3 ports on bus 2, each
    /// counted from 1), so one manifest matches the same device on the Node host and here.
    pub fn path(&self) -> String {
        format!("{}-{}", self.bus, self.bus_port)
    }
    pub fn has_endpoint(&self, ep: u8) -> bool {
        self.rings[dci(ep)].is_some()
    }
}

/// A bulk or interrupt endpoint of alternate setting 0, as its descriptor gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub addr: u8,
    /// bmAttributes & 3: UsbType BULK or INTERRUPT.
    pub attrs: u8,
    pub wmax: u16,
    pub interval: u8,
}

/// The bulk and interrupt endpoints of alternate setting 0 of every interface of a
/// configuration descriptor (with its class descriptors), each endpoint once. A device's
/// descriptors are not trusted: the walk stops at a descriptor shorter than 2 bytes or one
/// that runs past the end; an interface or endpoint descriptor too short for its fields, an
/// endpoint outside an interface, endpoint 0, an isochronous or control endpoint and a second
/// descriptor for the same endpoint are skipped. Never panics, whatever the bytes.
pub fn endpoints(config: &[u8]) -> Vec<Endpoint> {
    let mut out: Vec<Endpoint> = Vec::new();
    let mut at = 0usize;
    let mut alt0 = false;
    while at + 2 <= config.len() {
        let (len, kind) = (config[at] as usize, config[at + 1]);
        if len < 2 || at + len > config.len() {
            break;
        }
        if kind == DT_INTERFACE {
            alt0 = len >= 9 && config[at + 3] == 0;
        }
        if kind == DT_ENDPOINT && len >= 7 && alt0 {
            let ep = Endpoint {
                addr: config[at + 2],
                attrs: config[at + 3] & 3,
                wmax: u16::from_le_bytes([config[at + 4], config[at + 5]]),
                interval: config[at + 6],
            };
            let kind_ok = ep.attrs == UsbType::BULK as u8 || ep.attrs == UsbType::INTERRUPT as u8;
            if ep.addr & 0x0f != 0 && ep.addr & 0x70 == 0 && kind_ok && out.iter().all(|e| dci(e.addr) != dci(ep.addr)) {
                out.push(ep);
            }
        }
        at += len;
    }
    out
}

/// Why an enumeration failed; `hub`: the device is a hub, refused while it stays connected.
struct EnumError {
    why: String,
    hub: bool,
}

/// Where a device (its device descriptor, then its configuration) says it is a hub:
/// bDeviceClass 9, or an interface descriptor (any alternate setting) of class 9. The walk
/// stops, like `endpoints`, at a descriptor shorter than 2 bytes or one past the end.
pub fn hub_class(desc: &[u8]) -> Option<&'static str> {
    if desc.len() > 4 && desc[4] == CLASS_HUB {
        return Some("device descriptor");
    }
    let config = desc.get(USB_DEVICE_DESC..).unwrap_or(&[]);
    let mut at = 0usize;
    while at + 2 <= config.len() {
        let (len, kind) = (config[at] as usize, config[at + 1]);
        if len < 2 || at + len > config.len() {
            break;
        }
        if kind == DT_INTERFACE && len >= 9 && config[at + 5] == CLASS_HUB {
            return Some("interface descriptor");
        }
        at += len;
    }
    None
}

/// The device context index of an endpoint address (EP0 is 1).
fn dci(ep: u8) -> usize {
    let n = (ep & 0x0f) as usize;
    if n == 0 { 1 } else { n * 2 + (ep & USB_DIR_IN != 0) as usize }
}

pub struct Xhci {
    pub pci: PciDevice,
    base: usize,
    op: usize,
    rt: usize,
    db: usize,
    ctx_size: usize,
    pub max_slots: usize,
    pub ports: usize,
    /// By xHC port number (1-based): (USB major revision, number within that protocol's ports).
    protocol: [(u8, u8); 64],
    dcbaa: Dma,
    _scratch: Vec<Dma>,
    _scratch_array: Option<Dma>,
    cmd: Ring,
    events: Dma,
    _erst: Dma,
    ev_deq: usize,
    ev_cycle: u32,
    /// Set by a Command Completion event: (command TRB, completion code, slot).
    cmd_done: Option<(u64, u32, u8)>,
    /// Ports whose status changed (bit n = port n).
    port_changed: u64,
    /// Ports with a device connected that is not enumerated yet (bit n = port n): one is
    /// enumerated per `poll`, once its `retry_at` has passed.
    enum_pending: u64,
    /// Ports whose device is refused until it is unplugged (a hub).
    refused: u64,
    /// By port: the wait after its next failed enumeration (0: ENUM_BACKOFF_MIN_MS), and when
    /// it may be enumerated again (platform ms).
    backoff_ms: [u32; 64],
    retry_at: [u64; 64],
    /// The port after the one enumerated last (round robin, so no port starves the others).
    enum_next: usize,
    /// Enumeration attempts, and failed ones, for the figures.
    pub enum_tries: u64,
    pub enum_failures: u64,
    /// Slots whose Disable Slot failed: their memory is leaked (see `forget`).
    pub leaked_slots: u64,
    /// Set by `setup_device` when it refused a hub (read by `enumerate`).
    hub_seen: bool,
    devices: Vec<Option<UsbDevice>>,
    changes: [Option<Change>; CHANGES_MAX],
    /// Events the controller delivered, for the figures.
    pub events_seen: u64,
    /// A Transfer Event no transfer matched (a hostile or confused device): counted.
    pub stray_events: u64,
}

/// Whether a PCI function is an xHCI controller (class 0x0C0330).
pub fn is_xhci(d: &PciDevice) -> bool {
    d.class == CLASS_SERIAL_BUS && d.subclass == SUBCLASS_USB && d.prog_if == PROG_IF_XHCI
}

/// Finds every xHCI function and starts it; a function that fails is a line and skipped.
pub fn probe_all(devices: &[PciDevice]) -> Vec<Xhci> {
    let mut out = Vec::new();
    for d in devices.iter().filter(|d| is_xhci(d)) {
        match Xhci::start(*d) {
            Ok(x) => {
                crate::println!(
                    "xhci {}: xHCI {}.{:x}, {} ports, {} slots, {}-byte contexts, {}",
                    d.addr,
                    x.version() >> 8,
                    x.version() & 0xff,
                    x.ports,
                    x.max_slots,
                    x.ctx_size,
                    super::net::Irq(x.irq())
                );
                out.push(x);
            }
            Err(why) => crate::println!("xhci {}: not used: {why}", d.addr),
        }
    }
    out
}

impl Xhci {
    fn start(pci: PciDevice) -> Result<Xhci, String> {
        let Bar::Mem { addr, size, .. } = pci.bars[0] else {
            return Err(String::from("BAR0 is not a memory BAR"));
        };
        if addr == 0 || addr + size > 1 << 32 || size < 0x1000 {
            return Err(format!("BAR0 at {addr:#x}/{size:#x} is not inside the identity-mapped 4 GiB"));
        }
        pci.enable();
        let base = addr as usize;
        let r32 = |off: usize| -> u32 {
            // SAFETY: inside BAR0 (checked above), identity-mapped.
            unsafe { read_volatile((base + off) as *const u32) }
        };
        let caplen = (r32(CAPLENGTH) & 0xff) as usize;
        let hcs1 = r32(HCSPARAMS1);
        let hcs2 = r32(HCSPARAMS2);
        let hcc1 = r32(HCCPARAMS1);
        let ctx_size = if hcc1 & (1 << 2) != 0 { 64 } else { 32 };
        let max_slots = ((hcs1 & 0xff) as usize).min(SLOTS_MAX);
        let ports = ((hcs1 >> 24) as usize).min(63);
        let scratch_n = (((hcs2 >> 21) & 0x1f) << 5 | (hcs2 >> 27)) as usize;
        let op = base + caplen;
        let rt = base + (r32(RTSOFF) & !0x1f) as usize;
        let db = base + (r32(DBOFF) & !0x3) as usize;
        if caplen < 0x20 || op + PORTSC0 + 16 * ports > base + size as usize || rt + 0x40 > base + size as usize {
            return Err(format!("its registers do not fit BAR0 (CAPLENGTH {caplen:#x}, {ports} ports)"));
        }
        let dcbaa = Dma::new(2048, 4096, "the device context base address array")?;
        let cmd = Ring::new("the command ring")?;
        let events = Dma::new(RING_TRBS * TRB, 4096, "the event ring")?;
        let erst = Dma::new(64, 64, "the event ring segment table")?;
        let mut x = Xhci {
            pci,
            base,
            op,
            rt,
            db,
            ctx_size,
            max_slots,
            ports,
            protocol: supported_protocols(base, size as usize, hcc1, ports),
            dcbaa,
            _scratch: Vec::new(),
            _scratch_array: None,
            cmd,
            events,
            _erst: erst,
            ev_deq: 0,
            ev_cycle: 1,
            cmd_done: None,
            port_changed: 0,
            enum_pending: 0,
            refused: 0,
            backoff_ms: [0; 64],
            retry_at: [0; 64],
            enum_next: 1,
            enum_tries: 0,
            enum_failures: 0,
            leaked_slots: 0,
            hub_seen: false,
            devices: (0..=max_slots).map(|_| None).collect(),
            changes: [None; CHANGES_MAX],
            events_seen: 0,
            stray_events: 0,
        };
        // Reset: stop, wait halted, HCRST, wait until it and CNR clear.
        x.opw(USBCMD, x.opr(USBCMD) & !CMD_RUN);
        x.wait(|x| x.opr(USBSTS) & STS_HCH != 0, "halt")?;
        x.opw(USBCMD, CMD_HCRST);
        x.wait(|x| x.opr(USBCMD) & CMD_HCRST == 0 && x.opr(USBSTS) & STS_CNR == 0, "finish its reset")?;
        if x.opr(PAGESIZE) & 1 == 0 {
            return Err(String::from("it does not support 4 KiB pages"));
        }
        x.opw(CONFIG, max_slots as u32);
        if scratch_n > 0 {
            let array = Dma::new(scratch_n * 8, 64, "the scratchpad array")?;
            for i in 0..scratch_n {
                let page = Dma::new(4096, 4096, "a scratchpad buffer")?;
                array.w64(i * 8, page.phys());
                x._scratch.push(page);
            }
            x.dcbaa.w64(0, array.phys());
            x._scratch_array = Some(array);
        }
        x.opw64(DCBAAP, x.dcbaa.phys());
        x.opw64(CRCR, x.cmd.mem.phys() | 1);
        x._erst.w64(0, x.events.phys());
        x._erst.w32(8, RING_TRBS as u32);
        x.irw(ERSTSZ, 1);
        x.irw64(ERDP, x.events.phys());
        x.irw64(ERSTBA, x._erst.phys());
        x.irw(IMAN, IMAN_IE | IMAN_IP);
        x.opw(USBCMD, CMD_RUN | CMD_INTE);
        x.wait(|x| x.opr(USBSTS) & STS_HCH == 0, "run")?;
        // Power every port (a controller without port power switching has it on already);
        // devices already connected are enumerated by the first poll.
        for p in 1..=x.ports {
            let v = x.portsc(p);
            if v & PORT_PP == 0 {
                x.set_portsc(p, (v & PORT_KEEP) | PORT_PP);
            }
            x.port_changed |= 1 << p;
        }
        Ok(x)
    }

    fn version(&self) -> u16 {
        // SAFETY: inside BAR0.
        (unsafe { read_volatile(self.base as *const u32) } >> 16) as u16
    }

    pub fn irq(&self) -> Option<u8> {
        self.pci.irq()
    }

    fn opr(&self, off: usize) -> u32 {
        // SAFETY: operational registers inside BAR0 (checked at start).
        unsafe { read_volatile((self.op + off) as *const u32) }
    }
    fn opw(&self, off: usize, v: u32) {
        // SAFETY: as in opr.
        unsafe { write_volatile((self.op + off) as *mut u32, v) }
    }
    fn opw64(&self, off: usize, v: u64) {
        self.opw(off, v as u32);
        self.opw(off + 4, (v >> 32) as u32);
    }
    fn irr(&self, off: usize) -> u32 {
        // SAFETY: interrupter 0's registers inside BAR0 (checked at start).
        unsafe { read_volatile((self.rt + IR0 + off) as *const u32) }
    }
    fn irw(&self, off: usize, v: u32) {
        // SAFETY: as in irr.
        unsafe { write_volatile((self.rt + IR0 + off) as *mut u32, v) }
    }
    fn irw64(&self, off: usize, v: u64) {
        self.irw(off, v as u32);
        self.irw(off + 4, (v >> 32) as u32);
    }
    fn doorbell(&self, slot: usize, target: u32) {
        // SAFETY: the doorbell array is inside BAR0 (slots ≤ MaxSlots, which the BAR covers).
        unsafe { write_volatile((self.db + 4 * slot) as *mut u32, target) }
    }
    fn portsc(&self, port: usize) -> u32 {
        self.opr(PORTSC0 + 0x10 * (port - 1))
    }
    fn set_portsc(&self, port: usize, v: u32) {
        self.opw(PORTSC0 + 0x10 * (port - 1), v)
    }

    fn wait(&mut self, done: impl Fn(&Xhci) -> bool, what: &str) -> Result<(), String> {
        let end = clock::now_ms() + RESET_TIMEOUT_MS;
        while !done(self) {
            if clock::now_ms() > end {
                return Err(format!("the controller did not {what} within {RESET_TIMEOUT_MS} ms"));
            }
            core::hint::spin_loop();
        }
        Ok(())
    }

    // ——— events ———

    /// Drains the event ring: completions are recorded, port changes noted. Acknowledges the
    /// interrupt (IMAN.IP, USBSTS.EINT), which lowers the INTx line.
    fn drain(&mut self) {
        let mut any = false;
        for _ in 0..RING_TRBS * 4 {
            let at = self.ev_deq * TRB;
            let control = self.events.r32(at + 12);
            if control & TRB_CYCLE != self.ev_cycle {
                break;
            }
            let (param, status) = (self.events.r64(at), self.events.r32(at + 8));
            self.ev_deq += 1;
            if self.ev_deq == RING_TRBS {
                self.ev_deq = 0;
                self.ev_cycle ^= 1;
            }
            self.events_seen += 1;
            any = true;
            self.event(param, status, control);
        }
        if any {
            self.irw64(ERDP, (self.events.phys() + (self.ev_deq * TRB) as u64) | ERDP_EHB);
        }
        self.irw(IMAN, IMAN_IE | IMAN_IP);
        self.opw(USBSTS, STS_EINT);
    }

    fn event(&mut self, param: u64, status: u32, control: u32) {
        let slot = (control >> 24) as usize;
        match (control >> 10) & 0x3f {
            E_COMMAND => self.cmd_done = Some((param, status >> 24, slot as u8)),
            E_PORT => {
                let port = (param >> 24) as usize & 0xff;
                if (1..=self.ports).contains(&port) {
                    self.port_changed |= 1 << port;
                }
            }
            E_TRANSFER => {
                let (cc, residual, ep) = (status >> 24, (status & 0xff_ffff) as usize, ((control >> 16) & 0x1f) as usize);
                if !self.transfer_event(slot, ep, param, cc, residual) {
                    self.stray_events += 1;
                }
            }
            _ => {}
        }
    }

    fn transfer_event(&mut self, slot: usize, ep: usize, trb: u64, cc: u32, residual: usize) -> bool {
        let Some(Some(d)) = self.devices.get_mut(slot) else { return false };
        let Some(x) = d.xfers.iter_mut().find(|x| x.state == XferState::InFlight && x.dci == ep && x.trbs[..x.ntrbs].contains(&trb)) else {
            return false;
        };
        let last = x.trbs[x.ntrbs - 1] == trb;
        let data_trb = if x.ntrbs == 3 { Some(x.trbs[1]) } else if x.ntrbs == 1 { Some(x.trbs[0]) } else { None };
        match cc {
            CC_STOPPED | CC_STOPPED_LENGTH => {} // a cancel or timeout stopped it: `abort` completes it
            CC_SUCCESS | CC_SHORT_PACKET => {
                if Some(trb) == data_trb {
                    x.actual = x.len.saturating_sub(residual.min(x.len));
                }
                if last {
                    x.state = XferState::Done(Ok(x.actual));
                    if let Some(ep) = x.clears_halt {
                        d.reset |= 1 << dci(ep);
                    }
                }
            }
            _ => {
                let e = cc_error(cc);
                if cc == CC_DATA_BUFFER || cc == CC_TRANSACTION || cc == CC_BABBLE || cc == CC_STALL {
                    // the controller halted the endpoint; EP0 is made usable again at once
                    // (the device's side clears on the next SETUP), others on CLEAR_FEATURE
                    if ep == 1 || cc != CC_STALL {
                        d.reset |= 1 << ep;
                    }
                }
                x.state = XferState::Done(Err(e));
            }
        }
        true
    }

    /// Runs one command and waits for its completion: (completion code, slot id).
    fn command(&mut self, param: u64, status: u32, control: u32) -> Result<(u32, u8), UsbError> {
        self.cmd_done = None;
        let trb = self.cmd.push(param, status, control);
        self.doorbell(0, 0);
        let end = clock::now_ms() + COMMAND_TIMEOUT_MS;
        loop {
            self.drain();
            if let Some((p, cc, slot)) = self.cmd_done.take()
                && p == trb
            {
                return Ok((cc, slot));
            }
            if clock::now_ms() > end {
                crate::println!("xhci {}: command {} did not complete within {COMMAND_TIMEOUT_MS} ms", self.pci.addr, (control >> 10) & 0x3f);
                return Err(UsbError::Io);
            }
            core::hint::spin_loop();
        }
    }

    // ——— the caller's side ———

    /// Drains events, enumerates new devices and forgets gone ones, expires timeouts and
    /// resets endpoints that completed a halt. Call when the line fired or a deadline passed.
    /// At most one device is enumerated per call (an enumeration waits for its device, up to
    /// ENUM_TIMEOUT_MS a request), so a device that answers slowly, never, or drops off and
    /// comes back again and again delays the node's loop by one enumeration per poll at
    /// worst, and its port backs off (ENUM_BACKOFF_MIN_MS doubling to ENUM_BACKOFF_MAX_MS).
    pub fn poll(&mut self, now_ms: u64) {
        self.drain();
        let changed = core::mem::take(&mut self.port_changed);
        for p in 1..=self.ports {
            if changed & (1 << p) != 0 {
                self.port_change(p);
            }
        }
        self.enumerate_one(now_ms);
        for slot in 1..self.devices.len() {
            let expired: u32 = match &self.devices[slot] {
                Some(d) => d.xfers.iter().enumerate().filter(|(_, x)| x.state == XferState::InFlight && x.deadline_ms <= now_ms).fold(0, |m, (i, _)| m | 1 << i),
                None => 0,
            };
            for i in 0..USB_INFLIGHT {
                if expired & (1 << i) != 0 {
                    self.abort(slot as u8, i, UsbError::Timeout);
                }
            }
            self.reset_endpoints(slot);
        }
    }

    /// Something waits for the caller (a change, a finished transfer) or for `poll` (a port
    /// change or an endpoint reset noted while a command drained the event ring): the loop
    /// must not halt before it has polled again, since no interrupt will come for it.
    pub fn has_work(&self) -> bool {
        self.changes[0].is_some()
            || self.enumeration_due(clock::now_ms())
            || self.devices.iter().flatten().any(|d| d.reset != 0 || d.xfers.iter().any(|x| matches!(x.state, XferState::Done(_))))
    }

    /// Whether a port change or an enumeration waits for `poll` now (not one backing off).
    pub fn enumeration_due(&self, now_ms: u64) -> bool {
        self.port_changed != 0 || (1..=self.ports).any(|p| self.enum_pending & (1 << p) != 0 && self.retry_at[p] <= now_ms)
    }

    /// Whether a transfer is in flight (the loop wakes at `next_deadline` then).
    pub fn busy(&self) -> bool {
        self.devices.iter().flatten().any(|d| d.xfers.iter().any(|x| x.state == XferState::InFlight))
    }

    /// The earliest deadline of a transfer in flight, in ms on the platform clock.
    /// Also when a port that backs off may be enumerated again.
    pub fn next_deadline(&self) -> Option<u64> {
        let xfer = self.devices.iter().flatten().flat_map(|d| d.xfers.iter()).filter(|x| x.state == XferState::InFlight).map(|x| x.deadline_ms).min();
        let port = (1..=self.ports).filter(|&p| self.enum_pending & (1 << p) != 0).map(|p| self.retry_at[p]).min();
        match (xfer, port) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn take_change(&mut self) -> Option<Change> {
        let c = self.changes[0].take()?;
        self.changes.rotate_left(1);
        Some(c)
    }

    fn note(&mut self, c: Change) {
        match self.changes.iter_mut().find(|c| c.is_none()) {
            Some(free) => *free = Some(c),
            None => crate::println!("xhci {}: more than {CHANGES_MAX} hot-plug changes waiting: {c:?} dropped", self.pci.addr),
        }
    }

    pub fn take_done(&mut self) -> Option<Done> {
        for (slot, d) in self.devices.iter_mut().enumerate() {
            let Some(d) = d else { continue };
            if d.reset != 0 {
                continue; // its xHC endpoint is reset in poll first
            }
            for (i, x) in d.xfers.iter_mut().enumerate() {
                if let XferState::Done(result) = x.state {
                    x.state = XferState::Idle;
                    return Some(Done { slot: slot as u8, xfer: i, is_in: x.is_in, result });
                }
            }
        }
        None
    }

    pub fn device(&self, slot: u8) -> Option<&UsbDevice> {
        self.devices.get(slot as usize)?.as_ref()
    }

    pub fn devices(&self) -> impl Iterator<Item = &UsbDevice> {
        self.devices.iter().flatten()
    }

    /// An IN transfer's data after its `Done` (valid until the slot's next submit).
    pub fn data(&self, slot: u8, xfer: usize, len: usize) -> &[u8] {
        match self.device(slot).and_then(|d| d.xfers.get(xfer)) {
            Some(x) => x.buf.bytes(0, len.min(USB_XFER_MAX)),
            None => &[],
        }
    }

    /// Starts a transfer in slot `xfer` of device `slot`: control on EP0 (with `setup`; OUT
    /// data is `out`), or bulk/interrupt on endpoint address `ep` (IN: `len` bytes; OUT:
    /// `out`). Completes later as a `Done`, or by `Detached`.
    pub fn submit(&mut self, slot: u8, xfer: usize, ep: u8, kind: i32, setup: [u8; 8], out: &[u8], len: usize, timeout_ms: u32, now_ms: u64) -> Result<(), UsbError> {
        let Some(Some(d)) = self.devices.get_mut(slot as usize) else { return Err(UsbError::NoDevice) };
        if xfer >= d.xfers.len() || d.xfers[xfer].state != XferState::Idle || len > USB_XFER_MAX {
            return Err(UsbError::Invalid);
        }
        let in_dir = if ep & 0x0f == 0 { setup[0] & USB_DIR_IN != 0 } else { ep & USB_DIR_IN != 0 };
        if !in_dir && out.len() != len {
            return Err(UsbError::Invalid);
        }
        let ci = dci(ep);
        let x = &mut d.xfers[xfer];
        x.clears_halt = None;
        if ep & 0x0f == 0 {
            if kind != UsbType::CONTROL as i32 {
                return Err(UsbError::Invalid);
            }
            let (rt, req) = (setup[0], setup[1]);
            let value = u16::from_le_bytes([setup[2], setup[3]]);
            let index = u16::from_le_bytes([setup[4], setup[5]]);
            // the driver owns the device's address, configuration and interfaces' settings
            if rt & RT_TYPE_MASK == 0 && (req == REQ_SET_ADDRESS || req == REQ_SET_CONFIGURATION || (req == REQ_SET_INTERFACE && value != 0)) {
                return Err(UsbError::Invalid);
            }
            if rt == 0x02 && req == REQ_CLEAR_FEATURE && value == FEATURE_ENDPOINT_HALT && index & 0x0f != 0 {
                x.clears_halt = Some(index as u8);
            }
            if u16::from_le_bytes([setup[6], setup[7]]) as usize != len {
                return Err(UsbError::Invalid);
            }
        } else if kind != UsbType::BULK as i32 && kind != UsbType::INTERRUPT as i32 {
            return Err(UsbError::Invalid);
        }
        let Some(ring) = d.rings[ci].as_mut() else { return Err(UsbError::NoEndpoint) };
        if !in_dir {
            x.buf.bytes_mut(0, len).copy_from_slice(out);
        }
        let buf = x.buf.phys();
        x.is_in = in_dir;
        x.len = len;
        x.actual = len;
        x.dci = ci;
        if ep & 0x0f == 0 {
            let trt = if len == 0 { 0 } else if in_dir { 3 } else { 2 };
            x.trbs[0] = ring.push(u64::from_le_bytes(setup), 8, T_SETUP << 10 | TRB_IDT | trt << 16);
            x.ntrbs = 1;
            if len > 0 {
                x.trbs[1] = ring.push(buf, len as u32, T_DATA << 10 | TRB_ISP | if in_dir { TRB_DIR_IN } else { 0 });
                x.ntrbs = 2;
            }
            let status_in = len == 0 || !in_dir;
            x.trbs[x.ntrbs] = ring.push(0, 0, T_STATUS << 10 | TRB_IOC | if status_in { TRB_DIR_IN } else { 0 });
            x.ntrbs += 1;
            if x.ntrbs == 2 {
                // no data stage: keep the Data slot meaning "the TRB that reports the length"
                x.trbs[2] = 0;
            }
        } else {
            x.trbs[0] = ring.push(buf, len as u32, T_NORMAL << 10 | TRB_ISP | TRB_IOC);
            x.ntrbs = 1;
        }
        x.deadline_ms = now_ms + timeout_ms as u64;
        x.state = XferState::InFlight;
        self.doorbell(slot as usize, ci as u32);
        Ok(())
    }

    /// Cancels the transfer in slot `xfer`: it completes with Cancelled, unless it had
    /// already finished (then as it finished).
    pub fn cancel(&mut self, slot: u8, xfer: usize) {
        self.abort(slot, xfer, UsbError::Cancelled);
    }

    /// Stops the transfer's endpoint, turns its TRBs into No-Ops, sets the dequeue pointer
    /// where the controller stopped (so it reads the No-Ops again) and restarts the endpoint.
    fn abort(&mut self, slot: u8, xfer: usize, why: UsbError) {
        let Some(Some(d)) = self.devices.get(slot as usize) else { return };
        let Some(x) = d.xfers.get(xfer) else { return };
        if x.state != XferState::InFlight {
            return;
        }
        let ci = x.dci;
        let state = self.ep_state(slot, ci);
        if state == EP_RUNNING {
            let _ = self.command(0, 0, T_STOP_EP << 10 | (ci as u32) << 16 | (slot as u32) << 24);
        }
        let Some(Some(d)) = self.devices.get_mut(slot as usize) else { return };
        let x = &mut d.xfers[xfer];
        if x.state != XferState::InFlight {
            // it finished while the endpoint stopped: restart it for what is queued behind
            if self.ep_state(slot, ci) == EP_STOPPED {
                self.doorbell(slot as usize, ci as u32);
            }
            return;
        }
        x.state = XferState::Done(Err(why));
        let trbs = x.trbs;
        let n = x.ntrbs;
        if let Some(ring) = d.rings[ci].as_mut() {
            for &t in &trbs[..n] {
                ring.noop(t);
            }
        }
        if self.ep_state(slot, ci) == EP_STOPPED {
            let deq = self.ep_deq(slot, ci);
            let _ = self.command(deq, 0, T_SET_DEQ << 10 | (ci as u32) << 16 | (slot as u32) << 24);
            self.doorbell(slot as usize, ci as u32);
        }
    }

    fn ctx_at(&self, ci: usize) -> usize {
        ci * self.ctx_size
    }

    fn ep_state(&self, slot: u8, ci: usize) -> u32 {
        match self.device(slot) {
            Some(d) => d.out_ctx.r32(self.ctx_at(ci)) & 7,
            None => 0,
        }
    }

    /// The endpoint's TR dequeue pointer with its cycle state (bit 0), from the output context.
    fn ep_deq(&self, slot: u8, ci: usize) -> u64 {
        match self.device(slot) {
            Some(d) => d.out_ctx.r64(self.ctx_at(ci) + 8) & !0xe,
            None => 0,
        }
    }

    /// The endpoints marked in `reset`: a halted one gets Reset Endpoint, then every one
    /// Set TR Dequeue Pointer to its first transfer still queued (or its enqueue point).
    fn reset_endpoints(&mut self, slot: usize) {
        let Some(Some(d)) = self.devices.get_mut(slot) else { return };
        let mask = core::mem::take(&mut d.reset);
        for ci in 1..32usize {
            if mask & (1 << ci) == 0 {
                continue;
            }
            let s = slot as u8;
            let halted = self.ep_state(s, ci) == EP_HALTED;
            match self.ep_state(s, ci) {
                EP_HALTED => {
                    let _ = self.command(0, 0, T_RESET_EP << 10 | (ci as u32) << 16 | (slot as u32) << 24);
                }
                EP_RUNNING => {
                    let _ = self.command(0, 0, T_STOP_EP << 10 | (ci as u32) << 16 | (slot as u32) << 24);
                }
                _ => {}
            }
            let Some(Some(d)) = self.devices.get_mut(slot) else { return };
            let Some(ring) = d.rings[ci].as_mut() else { continue };
            // Everything queued before is dropped: transfers still in flight on it stay
            // queued only if they come after the point we move to (the enqueue point).
            // Transfers still queued on it are dropped: behind a stall they never ran (EPIPE);
            // on an endpoint that was running, the service cleared a halt it did not have
            // while it had transfers there (ECANCELED).
            let why = if halted { UsbError::Stall } else { UsbError::Cancelled };
            for x in d.xfers.iter_mut().filter(|x| x.dci == ci && x.state == XferState::InFlight) {
                for &t in &x.trbs[..x.ntrbs] {
                    ring.noop(t);
                }
                x.state = XferState::Done(Err(why));
            }
            let deq = ring.enqueue_addr() | ring.cycle as u64;
            let _ = self.command(deq, 0, T_SET_DEQ << 10 | (ci as u32) << 16 | (slot as u32) << 24);
        }
    }

    // ——— hot-plug and enumeration ———

    fn port_change(&mut self, port: usize) {
        let v = self.portsc(port);
        self.set_portsc(port, (v & PORT_KEEP) | (v & PORT_CHANGES));
        let present = self.devices.iter().flatten().find(|d| d.port as usize == port).map(|d| d.slot);
        // gone, or a new connection where a device was (unplugged and plugged between polls)
        if (v & PORT_CCS == 0 || v & PORT_CSC != 0)
            && let Some(slot) = present
        {
            self.forget(slot);
            crate::println!("xhci {}: port {port}: device in slot {slot} unplugged", self.pci.addr);
            self.note(Change::Detached(slot));
        }
        if v & PORT_CCS == 0 || v & PORT_CSC != 0 {
            // unplugged (or plugged anew): a refused hub may be something else now; the
            // port's backoff stays, so reconnecting does not skip it
            self.refused &= !(1 << port);
            self.enum_pending &= !(1 << port);
        }
        if v & PORT_CCS != 0 && self.refused & (1 << port) == 0 && self.devices.iter().flatten().all(|d| d.port as usize != port) {
            self.enum_pending |= 1 << port;
        }
    }

    /// Enumerates the first pending port (round robin) whose backoff has passed, if any.
    fn enumerate_one(&mut self, now_ms: u64) {
        if self.ports == 0 {
            return;
        }
        let Some(port) = (0..self.ports).map(|k| (self.enum_next - 1 + k) % self.ports + 1).find(|&p| self.enum_pending & (1 << p) != 0 && self.retry_at[p] <= now_ms) else {
            return;
        };
        self.enum_pending &= !(1 << port);
        self.enum_next = port % self.ports + 1;
        // the device may have gone since the port change was seen
        if self.portsc(port) & PORT_CCS == 0 {
            return;
        }
        self.enum_tries += 1;
        let t0 = clock::now_ms();
        match self.enumerate(port) {
            Ok(slot) => {
                self.backoff_ms[port] = 0;
                self.note(Change::Attached(slot));
            }
            Err(why) => {
                self.enum_failures += 1;
                let wait = self.backoff_ms[port].max(ENUM_BACKOFF_MIN_MS);
                self.backoff_ms[port] = (wait * 2).min(ENUM_BACKOFF_MAX_MS);
                let now = clock::now_ms();
                self.retry_at[port] = now + wait as u64;
                if why.hub {
                    self.refused |= 1 << port;
                } else {
                    // tried again after the wait, while it stays connected
                    self.enum_pending |= 1 << port;
                }
                crate::println!(
                    "xhci {}: port {port}: the device is not used: {} (enumeration took {} ms; {})",
                    self.pci.addr,
                    why.why,
                    now - t0,
                    if why.hub { format!("refused until it is unplugged, then not tried for {wait} ms") } else { format!("tried again in {wait} ms") }
                );
            }
        }
    }

    /// Disables the slot and frees its rings and buffers; its transfers are never reported.
    /// When Disable Slot fails or times out the controller may still own the slot and write
    /// its contexts, rings and buffers: they are leaked (never reused) and a line says so.
    fn forget(&mut self, slot: u8) {
        if self.devices.get(slot as usize).is_some_and(|d| d.is_some()) {
            let r = self.command(0, 0, T_DISABLE_SLOT << 10 | (slot as u32) << 24);
            let d = self.devices[slot as usize].take();
            match r {
                Ok((CC_SUCCESS, _)) => {
                    self.dcbaa.w64(8 * slot as usize, 0);
                    drop(d);
                }
                _ => {
                    let why = match r {
                        Ok((cc, _)) => format!("completion code {cc}"),
                        Err(e) => format!("{e}"),
                    };
                    crate::println!(
                        "xhci {}: slot {slot}: Disable Slot failed ({why}); its rings and {} KiB of buffers are leaked, since the controller may still write them",
                        self.pci.addr,
                        d.as_ref().map_or(0, |d| d.xfers.len() * USB_XFER_MAX / 1024)
                    );
                    core::mem::forget(d);
                    self.leaked_slots += 1;
                }
            }
        }
    }

    fn reset_port(&mut self, port: usize) -> Result<u8, String> {
        let v = self.portsc(port);
        if v & PORT_PED == 0 {
            self.set_portsc(port, (v & PORT_KEEP) | PORT_PR);
            let end = clock::now_ms() + PORT_RESET_TIMEOUT_MS;
            while self.portsc(port) & PORT_PRC == 0 {
                if clock::now_ms() > end {
                    return Err(format!("its port reset did not finish within {PORT_RESET_TIMEOUT_MS} ms"));
                }
                core::hint::spin_loop();
            }
            let v = self.portsc(port);
            self.set_portsc(port, (v & PORT_KEEP) | (v & PORT_CHANGES));
        }
        let v = self.portsc(port);
        if v & PORT_PED == 0 || v & PORT_CCS == 0 {
            return Err(String::from("the port was not enabled after its reset"));
        }
        Ok(((v >> PORT_SPEED_SHIFT) & 0xf) as u8)
    }

    fn enumerate(&mut self, port: usize) -> Result<u8, EnumError> {
        self.hub_seen = false;
        let r = self.enumerate_port(port);
        r.map_err(|why| EnumError { why, hub: core::mem::take(&mut self.hub_seen) })
    }

    fn enumerate_port(&mut self, port: usize) -> Result<u8, String> {
        let speed = self.reset_port(port)?;
        let mps0: u16 = match speed {
            2 | 1 => 8,
            3 => 64,
            4 | 5 => 512,
            s => return Err(format!("it has an unknown speed {s}")),
        };
        let (cc, slot) = self.command(0, 0, T_ENABLE_SLOT << 10).map_err(|e| format!("Enable Slot failed: {e}"))?;
        if cc != CC_SUCCESS || slot == 0 || slot as usize >= self.devices.len() {
            return Err(format!("Enable Slot failed (completion code {cc}, slot {slot}); at most {} devices", self.max_slots));
        }
        match self.setup_device(slot, port as u8, speed, mps0) {
            Ok(()) => Ok(slot),
            Err(why) => {
                if self.devices[slot as usize].is_some() {
                    self.forget(slot);
                } else {
                    let _ = self.command(0, 0, T_DISABLE_SLOT << 10 | (slot as u32) << 24);
                }
                Err(why)
            }
        }
    }

    fn setup_device(&mut self, slot: u8, port: u8, speed: u8, mps0: u16) -> Result<(), String> {
        let cs = self.ctx_size;
        let out_ctx = Dma::new(32 * cs, 4096, "a device context")?;
        let in_ctx = Dma::new(33 * cs, 4096, "an input context")?;
        let ep0 = Box::new(Ring::new("a control ring")?);
        let mut xfers = Vec::with_capacity(USB_INFLIGHT);
        for _ in 0..USB_INFLIGHT {
            xfers.push(Xfer {
                state: XferState::Idle,
                dci: 0,
                trbs: [0; 3],
                ntrbs: 0,
                len: 0,
                actual: 0,
                deadline_ms: 0,
                clears_halt: None,
                is_in: false,
                buf: Dma::new(USB_XFER_MAX, 65536, "a transfer buffer")?,
            });
        }
        // input context: control (add slot and EP0), slot, EP0
        in_ctx.w32(4, 0b11);
        in_ctx.w32(cs, (speed as u32) << 20 | 1 << 27);
        in_ctx.w32(cs + 4, (port as u32) << 16);
        let e0 = 2 * cs;
        in_ctx.w32(e0 + 4, 3 << 1 | EPT_CONTROL << 3 | (mps0 as u32) << 16);
        in_ctx.w64(e0 + 8, ep0.mem.phys() | 1);
        in_ctx.w32(e0 + 16, 8);
        self.dcbaa.w64(8 * slot as usize, out_ctx.phys());
        let mut rings: [Option<Box<Ring>>; 32] = Default::default();
        rings[1] = Some(ep0);
        self.devices[slot as usize] = Some(UsbDevice {
            slot,
            port,
            speed,
            vendor: 0,
            product: 0,
            bus: 0,
            bus_port: 0,
            serial: String::new(),
            desc: Vec::new(),
            out_ctx,
            in_ctx,
            rings,
            xfers,
            reset: 0,
            mps0,
        });
        let in_phys = self.devices[slot as usize].as_ref().map_or(0, |d| d.in_ctx.phys());
        let (cc, _) = self.command(in_phys, 0, T_ADDRESS_DEVICE << 10 | (slot as u32) << 24).map_err(|e| format!("Address Device failed: {e}"))?;
        if cc != CC_SUCCESS {
            return Err(format!("Address Device failed with completion code {cc}"));
        }
        // Full speed: EP0's max packet is the device descriptor's byte 7.
        let mut dev = [0u8; 18];
        if speed == 1 {
            let n = self.control_in(slot, 0x80, REQ_GET_DESCRIPTOR, (DT_DEVICE as u16) << 8, 0, &mut dev[..8])?;
            if n < 8 {
                return Err(format!("its device descriptor's first 8 bytes came as {n}"));
            }
            let mps = dev[7] as u16;
            if ![8, 16, 32, 64].contains(&mps) {
                return Err(format!("its device descriptor gives EP0 a max packet of {mps}, not 8, 16, 32 or 64"));
            }
            if mps != mps0 {
                let d = self.devices[slot as usize].as_mut().expect("set above");
                d.mps0 = mps;
                d.in_ctx.zero(0, 33 * cs);
                d.in_ctx.w32(4, 0b10);
                d.in_ctx.w32(e0 + 4, 3 << 1 | EPT_CONTROL << 3 | (mps as u32) << 16);
                let p = d.in_ctx.phys();
                let (cc, _) = self.command(p, 0, T_EVALUATE << 10 | (slot as u32) << 24).map_err(|e| format!("Evaluate Context failed: {e}"))?;
                if cc != CC_SUCCESS {
                    return Err(format!("Evaluate Context failed with completion code {cc}"));
                }
            }
        }
        let n = self.control_in(slot, 0x80, REQ_GET_DESCRIPTOR, (DT_DEVICE as u16) << 8, 0, &mut dev)?;
        if n != USB_DEVICE_DESC || dev[0] as usize != USB_DEVICE_DESC || dev[1] != DT_DEVICE {
            return Err(format!("its device descriptor is {n} bytes, length field {}, type {} (not 18 bytes of type 1)", dev[0], dev[1]));
        }
        let mut head = [0u8; 9];
        let n = self.control_in(slot, 0x80, REQ_GET_DESCRIPTOR, (DT_CONFIG as u16) << 8, 0, &mut head)?;
        if n < 9 || head[1] != DT_CONFIG {
            return Err(format!("its configuration descriptor's first 9 bytes came as {n} bytes of type {}", head[1]));
        }
        let total = u16::from_le_bytes([head[2], head[3]]) as usize;
        let room = USB_DESC_MAX - USB_DEVICE_DESC;
        if total < 9 || total > room {
            return Err(format!("its configuration says it is {total} bytes long; between 9 and {room} are taken"));
        }
        let mut desc = alloc::vec![0u8; USB_DEVICE_DESC + total];
        desc[..18].copy_from_slice(&dev);
        let n = self.control_in(slot, 0x80, REQ_GET_DESCRIPTOR, (DT_CONFIG as u16) << 8, 0, &mut desc[18..])?;
        if n != total {
            return Err(format!("its configuration said {total} bytes and {n} came"));
        }
        let serial = match dev[16] {
            0 => String::new(),
            i => self.string(slot, i).unwrap_or_default(),
        };
        if let Some(at) = hub_class(&desc) {
            self.hub_seen = true;
            return Err(format!("it is a hub (class 9 in its {at}); this host does not drive hubs, and a service holding one could power-cycle and reset the devices behind it"));
        }
        let config_value = desc[18 + 5];
        self.control_out(slot, 0x00, REQ_SET_CONFIGURATION, config_value as u16, 0)?;
        self.configure_endpoints(slot, speed, &desc[18..])?;
        let (major, nr) = self.protocol[port as usize];
        let d = self.devices[slot as usize].as_mut().expect("set above");
        (d.bus, d.bus_port) = (if major >= 3 { 2 } else { 1 }, nr);
        d.vendor = u16::from_le_bytes([dev[8], dev[9]]);
        d.product = u16::from_le_bytes([dev[10], dev[11]]);
        d.serial = serial;
        d.desc = desc;
        crate::println!(
            "xhci {}: port {port}: {} speed device {:04x}:{:04x} serial \"{}\" in slot {slot}, EP0 max packet {}, {} bytes of descriptors, path {}",
            self.pci.addr,
            d.speed_name(),
            d.vendor,
            d.product,
            d.serial.escape_debug(),
            d.mps0,
            d.desc.len(),
            d.path()
        );
        Ok(())
    }

    /// The string descriptor `index` in the device's first language, as UTF-8 (unpaired
    /// surrogates become U+FFFD), at most 126 characters.
    fn string(&mut self, slot: u8, index: u8) -> Result<String, String> {
        let mut langs = [0u8; 4];
        let n = self.control_in(slot, 0x80, REQ_GET_DESCRIPTOR, (DT_STRING as u16) << 8, 0, &mut langs)?;
        if n < 4 || langs[1] != DT_STRING {
            return Err(String::from("it has no language list"));
        }
        let lang = u16::from_le_bytes([langs[2], langs[3]]);
        let mut s = [0u8; 255];
        let n = self.control_in(slot, 0x80, REQ_GET_DESCRIPTOR, (DT_STRING as u16) << 8 | index as u16, lang, &mut s)?;
        let n = n.min(s[0] as usize);
        if n < 2 || s[1] != DT_STRING {
            return Err(String::from("its string descriptor is malformed"));
        }
        let units = s[2..n].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        Ok(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
    }

    /// Configure Endpoint for every bulk and interrupt endpoint of alternate setting 0 of
    /// every interface in `config` (checked: a descriptor shorter than 2 bytes or past the end stops the walk).
    fn configure_endpoints(&mut self, slot: u8, speed: u8, config: &[u8]) -> Result<(), String> {
        let cs = self.ctx_size;
        let d = self.devices[slot as usize].as_mut().expect("enumerating");
        d.in_ctx.zero(0, 33 * cs);
        let mut add = 1u32; // the slot context
        let mut last = 1usize;
        for ep in endpoints(config) {
            let ci = dci(ep.addr);
            let ring = Box::new(Ring::new("an endpoint ring")?);
            let interrupt = ep.attrs == UsbType::INTERRUPT as u8;
            let ep_type = match (interrupt, ep.addr & USB_DIR_IN != 0) {
                (false, false) => 2,
                (true, false) => 3,
                (false, true) => 6,
                (true, true) => 7,
            };
            let mps = (ep.wmax & 0x7ff) as u32;
            let burst = if speed == 3 && interrupt { ((ep.wmax >> 11) & 3) as u32 } else { 0 };
            let xinterval = if !interrupt {
                0
            } else if speed >= 3 {
                (ep.interval.clamp(1, 16) - 1) as u32
            } else {
                // frames (1 ms) to 125 µs units as a power of two: log2(8·bInterval), 3..10
                let f = (ep.interval.max(1) as u32) * 8;
                (31 - f.leading_zeros()).clamp(3, 10)
            };
            let o = (ci + 1) * cs;
            d.in_ctx.w32(o, xinterval << 16);
            d.in_ctx.w32(o + 4, 3 << 1 | ep_type << 3 | burst << 8 | mps.max(1) << 16);
            d.in_ctx.w64(o + 8, ring.mem.phys() | 1);
            let esit = if interrupt { mps * (burst + 1) } else { 0 };
            d.in_ctx.w32(o + 16, (if interrupt { mps } else { 3072 }).min(0xffff) | (esit & 0xffff) << 16);
            d.rings[ci] = Some(ring);
            add |= 1 << ci;
            last = last.max(ci);
        }
        if add == 1 {
            return Ok(()); // EP0 only
        }
        d.in_ctx.w32(4, add);
        d.in_ctx.w32(cs, (d.speed as u32) << 20 | (last as u32) << 27);
        d.in_ctx.w32(cs + 4, (d.port as u32) << 16);
        let p = d.in_ctx.phys();
        let (cc, _) = self.command(p, 0, T_CONFIGURE_EP << 10 | (slot as u32) << 24).map_err(|e| format!("Configure Endpoint failed: {e}"))?;
        if cc != CC_SUCCESS {
            return Err(format!("Configure Endpoint failed with completion code {cc}"));
        }
        Ok(())
    }

    /// A control transfer on EP0 waited for (enumeration): the bytes read.
    fn control_in(&mut self, slot: u8, rt: u8, req: u8, value: u16, index: u16, into: &mut [u8]) -> Result<usize, String> {
        let n = self.control_wait(slot, rt, req, value, index, into.len())?;
        let d = self.devices[slot as usize].as_ref().expect("enumerating");
        into[..n].copy_from_slice(d.xfers[0].buf.bytes(0, n));
        Ok(n)
    }

    fn control_out(&mut self, slot: u8, rt: u8, req: u8, value: u16, index: u16) -> Result<(), String> {
        self.control_wait(slot, rt, req, value, index, 0).map(|_| ())
    }

    fn control_wait(&mut self, slot: u8, rt: u8, req: u8, value: u16, index: u16, len: usize) -> Result<usize, String> {
        let mut setup = [rt, req, 0, 0, 0, 0, 0, 0];
        setup[2..4].copy_from_slice(&value.to_le_bytes());
        setup[4..6].copy_from_slice(&index.to_le_bytes());
        setup[6..8].copy_from_slice(&(len as u16).to_le_bytes());
        // SET_CONFIGURATION is refused to callers of submit, so it is queued here directly
        let now = clock::now_ms();
        {
            let d = self.devices[slot as usize].as_mut().expect("enumerating");
            let x = &mut d.xfers[0];
            let ring = d.rings[1].as_mut().expect("EP0");
            let in_dir = rt & 0x80 != 0;
            let trt = if len == 0 { 0 } else if in_dir { 3 } else { 2 };
            x.trbs[0] = ring.push(u64::from_le_bytes(setup), 8, T_SETUP << 10 | TRB_IDT | trt << 16);
            x.ntrbs = 1;
            if len > 0 {
                x.trbs[1] = ring.push(x.buf.phys(), len as u32, T_DATA << 10 | TRB_ISP | if in_dir { TRB_DIR_IN } else { 0 });
                x.ntrbs = 2;
            }
            x.trbs[x.ntrbs] = ring.push(0, 0, T_STATUS << 10 | TRB_IOC | if len == 0 || !in_dir { TRB_DIR_IN } else { 0 });
            x.ntrbs += 1;
            x.len = len;
            x.actual = len;
            x.dci = 1;
            x.clears_halt = None;
            x.is_in = in_dir;
            x.deadline_ms = now + ENUM_TIMEOUT_MS as u64;
            x.state = XferState::InFlight;
        }
        self.doorbell(slot as usize, 1);
        loop {
            self.drain();
            let st = self.devices[slot as usize].as_ref().map(|d| d.xfers[0].state);
            match st {
                Some(XferState::Done(r)) => {
                    let d = self.devices[slot as usize].as_mut().expect("enumerating");
                    d.xfers[0].state = XferState::Idle;
                    if d.reset != 0 {
                        self.reset_endpoints(slot as usize);
                    }
                    return r.map_err(|e| format!("request {req} (value {value:#x}) failed: {e}"));
                }
                Some(XferState::InFlight) if clock::now_ms() > now + ENUM_TIMEOUT_MS as u64 => {
                    self.abort(slot, 0, UsbError::Timeout);
                    if let Some(Some(d)) = self.devices.get_mut(slot as usize) {
                        d.xfers[0].state = XferState::Idle;
                    }
                    return Err(format!("request {req} (value {value:#x}) got no answer within {ENUM_TIMEOUT_MS} ms"));
                }
                Some(_) => core::hint::spin_loop(),
                None => return Err(String::from("it was unplugged")),
            }
        }
    }
}

/// The Supported Protocol extended capabilities (xHCI §7.2): for each port, its USB major
/// revision and its number among that revision's ports. A port no capability names is
/// taken as USB 2 and keeps its xHC number; a list that loops or leaves the BAR ends the walk.
fn supported_protocols(base: usize, size: usize, hcc1: u32, ports: usize) -> [(u8, u8); 64] {
    let mut out = [(2u8, 0u8); 64];
    for (p, o) in out.iter_mut().enumerate() {
        o.1 = p as u8;
    }
    let mut at = ((hcc1 >> 16) as usize) * 4;
    for _ in 0..64 {
        if at == 0 || at + 12 > size {
            break;
        }
        // SAFETY: inside BAR0 (checked against its size).
        let r = |off: usize| unsafe { read_volatile((base + at + off) as *const u32) };
        let head = r(0);
        if head & 0xff == 2 {
            let major = (head >> 24) as u8;
            let ports_word = r(8);
            let (first, count) = ((ports_word & 0xff) as usize, ((ports_word >> 8) & 0xff) as usize);
            for k in 0..count {
                let p = first + k;
                if (1..=ports).contains(&p) {
                    out[p] = (major, (k + 1) as u8);
                }
            }
        }
        let next = ((head >> 8) & 0xff) as usize * 4;
        if next == 0 {
            break;
        }
        at += next;
    }
    out
}

impl Drop for Xhci {
    fn drop(&mut self) {
        // stop the controller before its rings are freed
        self.opw(USBCMD, 0);
        let end = clock::now_ms() + RESET_TIMEOUT_MS;
        while self.opr(USBSTS) & STS_HCH == 0 && clock::now_ms() < end {
            core::hint::spin_loop();
        }
    }
}

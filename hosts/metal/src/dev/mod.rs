//! Devices of the metal host (spec/metal.md "Drivers"): PCI enumeration and the virtio
//! drivers the node uses — virtio-net for NICs, virtio-blk for disks, virtio-rng as an
//! entropy fallback. Every driver is polled: the platform's IRQ handler only masks the
//! line and marks it pending, and the main loop calls the driver's poll, which reads the
//! virtio ISR status (deasserting the level-triggered line) before it drains the rings.
//! Nothing here allocates after probe: buffers and rings are made once per device.
//! Callers: the node (src/node) probes once at boot and keeps the devices for its lifetime.

pub mod blk;
pub mod devtest;
pub mod net;
pub mod pci;
pub mod rng;
pub mod usbtest;
pub mod virtio;
pub mod xhci;

use core::fmt;

/// What a device operation can fail with. The node turns each into the `Errno` of
/// abi/errno.ts named beside it (node/host.rs, through the generated abi/gen/persia_abi.rs);
/// the drivers keep no copy of the numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevError {
    /// Every transmit buffer is still owned by the device (ENOSPC).
    NoSpace,
    /// The device answered a request with an error status, or stopped answering (EIO).
    Io,
    /// An offset or length lies outside the disk (ERANGE).
    Range,
    /// A frame longer than the largest one the NIC carries (EMSGSIZE).
    TooBig,
    /// A frame shorter than an Ethernet header (EINVAL).
    Invalid,
    /// The device cannot do this: a write to a read-only disk (ENOTSUP).
    Unsupported,
}

impl fmt::Display for DevError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DevError::NoSpace => "every transmit buffer is in use",
            DevError::Io => "the device reported an error or stopped answering",
            DevError::Range => "the range lies outside the disk",
            DevError::TooBig => return write!(f, "the frame is longer than {} bytes", net::NIC_FRAME_MAX),
            DevError::Invalid => "the frame is shorter than an Ethernet header",
            DevError::Unsupported => "the disk is read-only",
        })
    }
}

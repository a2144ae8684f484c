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
pub mod virtio;

use core::fmt;

/// What a device operation can fail with. The node turns each into the matching
/// `Errno` of abi/errno.ts (through the generated abi/gen/persia_abi.rs) with `errno_name`;
/// the drivers keep no copy of the numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevError {
    /// Every transmit buffer is still owned by the device (Errno ENOSPC).
    NoSpace,
    /// The device answered a request with an error status, or stopped answering (EIO).
    Io,
    /// An offset or length lies outside the disk (ERANGE).
    Range,
    /// A frame longer than the largest one the NIC carries (EMSGSIZE).
    TooBig,
    /// An empty frame, or another argument no device could take (EINVAL).
    Invalid,
    /// The device cannot do this (a write to a read-only disk) (ENOTSUP).
    Unsupported,
}

impl DevError {
    /// The name of the abi/errno.ts `Errno` member this error becomes.
    pub const fn errno_name(self) -> &'static str {
        match self {
            DevError::NoSpace => "ENOSPC",
            DevError::Io => "EIO",
            DevError::Range => "ERANGE",
            DevError::TooBig => "EMSGSIZE",
            DevError::Invalid => "EINVAL",
            DevError::Unsupported => "ENOTSUP",
        }
    }
}

impl fmt::Display for DevError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.errno_name())
    }
}

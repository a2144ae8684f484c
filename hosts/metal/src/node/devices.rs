// The devices the payload's manifest asks for, found at boot: each NIC section names a
// virtio-net device by its place in PCI order or by its MAC, each DISK section a virtio-blk
// device by its place and the size the manifest gave. A device that is missing or too small
// is refused by name, with what to give QEMU, and the node does not boot. A virtio-rng is
// the fallback of RDSEED/RDRAND whenever there is one; with neither the node does not boot.
// Does not drive the devices (crate::dev does) or deliver frames (mod.rs does).
use super::host::Disk;
use super::payload::{NicPlace, Payload};
use crate::abi::{DISK_MAX, NIC_MAX};
use crate::dev::net::Net;
use crate::dev::{blk, net, pci, rng};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

pub struct Devices {
    /// By NIC id.
    pub nics: Vec<Option<Net>>,
    /// By disk id.
    pub disks: Vec<Option<Disk>>,
}

fn mac_text(m: [u8; 6]) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

/// The devices, or (bench mode: `frames_only`) only the randomness, since frames come from
/// the command line and nothing is sent.
pub fn open(p: &Payload, frames_only: bool) -> Result<Devices, String> {
    let found = pci::scan();
    // Registered whenever there is one, so that a CPU source failing later falls back to it.
    rng::register_fallback(&found);
    if crate::platform::rng::source().is_none() {
        return Err(String::from("no randomness: the CPU has no usable RDSEED or RDRAND (the lines above say why) and there is no virtio-rng device; give QEMU -cpu max or -device virtio-rng-pci"));
    }
    let mut d = Devices { nics: (0..NIC_MAX).map(|_| None).collect(), disks: (0..DISK_MAX).map(|_| None).collect() };
    if frames_only {
        return Ok(d);
    }
    let mut nets: Vec<Option<Net>> = net::probe_all(&found).into_iter().map(Some).collect();
    let mut blks: Vec<Option<blk::Blk>> = blk::probe_all(&found).into_iter().map(Some).collect();
    for (id, place) in p.nics() {
        let at = nets.iter().position(|n| match (n, place) {
            (Some(n), NicPlace::Pci(i)) => n.index == i as usize,
            (Some(n), NicPlace::Mac(m)) => n.mac == m,
            (None, _) => false,
        });
        let Some(at) = at else {
            return Err(match place {
                NicPlace::Pci(i) => format!("NIC {id}: there is no working virtio-net device at PCI place {i} ({} found); give QEMU one more -device virtio-net-pci", nets.len()),
                NicPlace::Mac(m) => format!("NIC {id}: no virtio-net device has MAC {}; give QEMU -device virtio-net-pci,mac={}", mac_text(m), mac_text(m)),
            });
        };
        d.nics[id as usize] = nets[at].take();
    }
    for (id, index, size) in p.disks() {
        let Some(at) = blks.iter().position(|b| b.as_ref().is_some_and(|b| b.index == index as usize)) else {
            return Err(format!("disk {id}: there is no working virtio-blk device at PCI place {index}; give QEMU -drive file=…,if=none,format=raw,id=d{index} -device virtio-blk-pci,drive=d{index}"));
        };
        let dev = blks[at].take().expect("position found it");
        if dev.capacity() < size {
            return Err(format!("disk {id}: the virtio-blk device at PCI place {index} has {} bytes; the manifest gives the disk {size}; give QEMU a larger image", dev.capacity()));
        }
        d.disks[id as usize] = Some(Disk { dev, size });
    }
    Ok(d)
}

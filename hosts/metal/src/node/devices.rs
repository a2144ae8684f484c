// The devices the payload's manifest asks for, found at boot: each NIC section names a
// virtio-net device by its place in PCI order or by its MAC, each DISK section a virtio-blk
// device by its place and the size the manifest gave. A device that is missing or too small,
// a NIC's device with another MAC than the manifest's, one MAC on two devices or two NICs on
// one device is refused by name, with what to give QEMU, and the node does not boot. A virtio-rng is
// the fallback of RDSEED/RDRAND whenever there is one; with neither the node does not boot.
// Does not drive the devices (crate::dev does) or deliver frames (mod.rs does).
use super::host::Disk;
use super::payload::{NicPlace, NicSection, Payload};
use crate::abi::{DISK_MAX, NIC_MAX};
use crate::dev::net::Net;
use crate::dev::{blk, net, pci, rng};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

pub struct Devices {
    /// The xHCI controllers and the manifest's USB devices (usb.rs).
    pub usb: super::usb::Usb,
    /// By NIC id.
    pub nics: Vec<Option<Net>>,
    /// By disk id.
    pub disks: Vec<Option<Disk>>,
}

fn mac_text(m: [u8; 6]) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

/// Which of the probed NICs carries `nic`: the one at its PCI place, which must have its
/// MAC, or the one device with its MAC. The device's MAC is not reprogrammed to the
/// manifest's: a driver that negotiates VIRTIO_NET_F_MAC uses the device's (virtio 1.x
/// §5.1.4.2), setting another takes the control queue (VIRTIO_NET_CTRL_MAC_ADDR_SET) this
/// driver does not have, and the hypervisor or switch port in front of the device accepts
/// the MAC it assigned — the kernel would send from an address the port does not own.
fn nic_device(nets: &[Option<Net>], nic: &NicSection) -> Result<usize, String> {
    let (id, mac) = (nic.id, mac_text(nic.mac));
    match nic.place {
        NicPlace::Pci(i) => {
            let Some(at) = nets.iter().position(|n| n.as_ref().is_some_and(|n| n.index == i as usize)) else {
                return Err(format!("NIC {id}: there is no working virtio-net device at PCI place {i} ({} found); give QEMU one more -device virtio-net-pci", nets.len()));
            };
            let has = nets[at].as_ref().map_or([0; 6], |n| n.mac);
            if has != nic.mac {
                return Err(format!("NIC {id}: the virtio-net device at PCI place {i} has MAC {}, the manifest gives the NIC {mac}: the kernel would send from an address its port does not own; give the NIC mac: \"{}\" or the device mac={mac}", mac_text(has), mac_text(has)));
            }
            Ok(at)
        }
        NicPlace::Mac => {
            let mut with = nets.iter().enumerate().filter(|(_, n)| n.as_ref().is_some_and(|n| n.mac == nic.mac));
            let Some((at, _)) = with.next() else {
                return Err(format!("NIC {id}: no virtio-net device has MAC {mac}; give QEMU -device virtio-net-pci,mac={mac}"));
            };
            if let Some((_, Some(other))) = with.next() {
                return Err(format!("NIC {id}: MAC {mac} is on more than one virtio-net device (PCI places {} and {}); give each device its own MAC", nets[at].as_ref().map_or(at, |n| n.index), other.index));
            }
            Ok(at)
        }
    }
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
    let mut d = Devices { usb: super::usb::Usb::none(), nics: (0..NIC_MAX).map(|_| None).collect(), disks: (0..DISK_MAX).map(|_| None).collect() };
    if frames_only {
        return Ok(d);
    }
    d.usb = super::usb::Usb::open(p, &found);
    let mut nets: Vec<Option<Net>> = net::probe_all(&found).into_iter().map(Some).collect();
    let mut blks: Vec<Option<blk::Blk>> = blk::probe_all(&found).into_iter().map(Some).collect();
    let mut owner: Vec<Option<u32>> = vec![None; nets.len()];
    for nic in p.nics() {
        let at = nic_device(&nets, &nic)?;
        if let Some(other) = owner[at] {
            return Err(format!("NIC {} and NIC {other} are both on the virtio-net device at PCI place {}; give each NIC a device of its own", nic.id, nets[at].as_ref().map_or(at, |n| n.index)));
        }
        owner[at] = Some(nic.id);
    }
    for nic in p.nics() {
        if let Some(at) = owner.iter().position(|&o| o == Some(nic.id)) {
            d.nics[nic.id as usize] = nets[at].take();
        }
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

// The payload `persia image --target metal` appended to the boot image (abi/metal.ts): read
// once at boot from __payload and checked whole before anything uses it — magic, version,
// the table inside the total, every section aligned, after the table, inside the total and
// not overlapping another, each body of the size its kind has, ids within the node's limits,
// one kernel and one boot manifest, every slot's module present. What fails is one sentence
// naming the byte, and the node does not boot (mod.rs prints it and exits FAILED).
// Sections are borrowed in place ('static: the loader put them in RAM, and the heap starts
// past the payload's end). Does not deserialize or run anything (engine.rs does).
use crate::abi::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// A payload this big is not one the image builder wrote (the heap starts after it).
const TOTAL_MAX: usize = 1 << 30;

/// The most sections an image can have: one BOOT, NAME and KERNEL; a NIC and a DISK
/// section per manifest NIC and disk; per service id a SLOT, a SLOT_NAME, and a
/// MODULE_CODE and MODULE_FILE for the module it holds (there are no more modules than slots);
/// a USB section per manifest USB device.
/// A count over this was not written by the image builder; it is refused before the
/// section table is allocated, so a hostile count is a sentence, not an allocation failure.
const SECTIONS_MAX: usize = 3 + NIC_MAX + DISK_MAX + 4 * SVC_MAX + USB_MAX;

/// A USB device of the manifest (abi/metal.ts MTL_USB_*): its id, name and the matchers
/// its device must meet (each one given).
#[derive(Clone, Copy)]
pub struct UsbSection {
    pub id: u32,
    pub name: &'static str,
    pub device: Option<(u16, u16)>,
    pub serial: Option<&'static str>,
    pub path: Option<&'static str>,
}

/// A NUL-padded UTF-8 field ("" when it is not UTF-8: then nothing matches it).
fn field(b: &'static [u8]) -> &'static str {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    core::str::from_utf8(&b[..end]).unwrap_or("")
}

/// One section: its kind, id and bytes.
#[derive(Clone, Copy)]
pub struct Section {
    pub kind: MtlSection,
    pub id: u32,
    pub bytes: &'static [u8],
}

/// A SLOT body (abi/metal.ts MTL_SLOT_*): what a service id may hold.
#[derive(Clone, Copy)]
pub struct SlotPlace {
    pub svc: usize,
    pub flags: u32,
    pub module: u32,
    pub ram_max: u32,
    pub mem_min: u32,
    /// The module's declared maximum, pages (None: MTL_NO_MAX).
    pub declared_max: Option<u32>,
    pub sha256: [u8; 32],
}

/// Where a NIC of the manifest is: the n-th virtio-net device in PCI order, or by MAC.
#[derive(Clone, Copy)]
pub enum NicPlace {
    Pci(u32),
    Mac,
}

/// A NIC of the manifest: its id, where its device is, and the MAC the device must have.
#[derive(Clone, Copy)]
pub struct NicSection {
    pub id: u32,
    pub place: NicPlace,
    pub mac: [u8; 6],
}

pub struct Payload {
    pub kernel_sha256: [u8; 32],
    sections: Vec<Section>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u32_at(b, at) as u64 | (u32_at(b, at + 4) as u64) << 32
}

/// The limit on a section's id by its kind (ids of NICs, disks and slots are the manifest's).
fn id_limit(kind: MtlSection) -> usize {
    match kind {
        MtlSection::NIC => NIC_MAX,
        MtlSection::DISK => DISK_MAX,
        MtlSection::SLOT | MtlSection::SLOT_NAME => SVC_MAX,
        MtlSection::BOOT | MtlSection::NAME | MtlSection::KERNEL => 1,
        MtlSection::MODULE_CODE | MtlSection::MODULE_FILE => u32::MAX as usize,
        MtlSection::USB => USB_MAX,
    }
}

/// A body's exact size by kind, or None when any size goes.
fn body_size(kind: MtlSection) -> Option<usize> {
    match kind {
        MtlSection::NIC => Some(MTL_NIC_SIZE),
        MtlSection::DISK => Some(MTL_DISK_BODY),
        MtlSection::SLOT => Some(MTL_SLOT_SIZE),
        _ => None,
    }
}

impl Payload {
    /// Reads and checks the payload at `addr` (link.ld's __payload).
    pub fn read(addr: usize) -> Result<Payload, String> {
        // SAFETY: __payload is mapped RAM right after the image; the header's 64 bytes are
        // read before `total` says how many more there are.
        let head = unsafe { core::slice::from_raw_parts(addr as *const u8, MTL_HEADER) };
        let magic = u32_at(head, 0);
        if magic != MTL_MAGIC {
            return Err(format!(
                "no payload at {addr:#x} (magic {magic:#010x}, not \"PMTL\"): this is the bare boot image; build a node's image with `persia image node.yaml --target metal`"
            ));
        }
        let version = u32_at(head, 4);
        if version != MTL_VERSION {
            return Err(format!("the payload has version {version} (byte 4); this host reads version {MTL_VERSION}: build the image with the same persia as the boot image"));
        }
        Self::read_checked(addr, head).map_err(|why| format!("the image's payload is malformed ({why}); build the image again with `persia image --target metal`"))
    }

    /// The payload after its magic and version: the table, each section, the whole.
    fn read_checked(addr: usize, head: &[u8]) -> Result<Payload, String> {
        let total = u32_at(head, MTL_TOTAL) as usize;
        let count = u32_at(head, MTL_COUNT) as usize;
        if !(MTL_HEADER..=TOTAL_MAX).contains(&total) {
            return Err(format!("the payload's total {total} bytes (byte {MTL_TOTAL}) is not between {MTL_HEADER} and {TOTAL_MAX}"));
        }
        if count > SECTIONS_MAX {
            return Err(format!("it claims {count} sections (byte {MTL_COUNT}); an image has at most {SECTIONS_MAX}"));
        }
        let table_end = MTL_HEADER + count * MTL_SEC_SIZE;
        if table_end > total {
            return Err(format!("{count} sections (byte {MTL_COUNT}) need a {table_end}-byte table, past the total {total}"));
        }
        // SAFETY: the loader loaded the whole file, payload included (a.out kludge, load_end 0).
        let all: &'static [u8] = unsafe { core::slice::from_raw_parts(addr as *const u8, total) };
        let mut sections: Vec<Section> = Vec::with_capacity(count);
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(count);
        for i in 0..count {
            let e = MTL_HEADER + i * MTL_SEC_SIZE;
            let where_ = format!("section {i} (byte {e})");
            let raw_kind = u32_at(all, e + MTL_SEC_KIND);
            let kind = MtlSection::from_raw(raw_kind).ok_or_else(|| format!("{where_} has unknown kind {raw_kind}"))?;
            let id = u32_at(all, e + MTL_SEC_ID);
            let off = u32_at(all, e + MTL_SEC_OFFSET) as usize;
            let len = u32_at(all, e + MTL_SEC_LENGTH) as usize;
            if !off.is_multiple_of(MTL_ALIGN) {
                return Err(format!("{where_} starts at {off}, not a multiple of {MTL_ALIGN}"));
            }
            if off < table_end || off.saturating_add(len) > total {
                return Err(format!("{where_} [{off}, +{len}) is not between the table's end {table_end} and the total {total}"));
            }
            if let Some(k) = spans.iter().position(|&(a, b)| off < b && a < off + len) {
                return Err(format!("{where_} overlaps section {k}"));
            }
            if id as usize >= id_limit(kind) {
                return Err(format!("{where_}: a {} section with id {id}; the limit is {}", kind.name(), id_limit(kind)));
            }
            if kind == MtlSection::USB {
                let serial = if len >= MTL_USB_SERIAL { u32_at(all, off + MTL_USB_SERIAL_LEN) as usize } else { usize::MAX };
                if serial > MTL_USB_SERIAL_MAX || MTL_USB_SERIAL + serial != len {
                    return Err(format!("{where_}: a USB body of {len} bytes does not hold its serial length ({serial} bytes, at most {MTL_USB_SERIAL_MAX})"));
                }
            }
            if let Some(size) = body_size(kind).filter(|&size| size != len) {
                return Err(format!("{where_}: a {} body is {size} bytes, not {len}", kind.name()));
            }
            if sections.iter().any(|s| s.kind == kind && s.id == id) {
                return Err(format!("{where_}: a second {} section with id {id}", kind.name()));
            }
            spans.push((off, off + len));
            sections.push(Section { kind, id, bytes: &all[off..off + len] });
        }
        let mut kernel_sha256 = [0u8; 32];
        kernel_sha256.copy_from_slice(&all[MTL_KERNEL_SHA256..MTL_KERNEL_SHA256 + 32]);
        let p = Payload { kernel_sha256, sections };
        p.check_whole()?;
        Ok(p)
    }

    /// What must be there for a node to boot: the kernel, the boot manifest, and for every
    /// slot its precompiled module.
    fn check_whole(&self) -> Result<(), String> {
        for kind in [MtlSection::KERNEL, MtlSection::BOOT] {
            if self.find(kind, 0).is_none() {
                return Err(format!("the payload has no {} section", kind.name()));
            }
        }
        for s in self.slots() {
            if self.module_code(s.module).is_none() {
                return Err(format!("slot {} names module {}, which has no MODULE_CODE section", s.svc, s.module));
            }
            if s.mem_min > s.ram_max {
                return Err(format!("slot {}: the module's initial memory ({} pages) is over the slot's RAM ceiling ({} pages)", s.svc, s.mem_min, s.ram_max));
            }
        }
        Ok(())
    }

    fn find(&self, kind: MtlSection, id: u32) -> Option<&'static [u8]> {
        self.sections.iter().find(|s| s.kind == kind && s.id == id).map(|s| s.bytes)
    }

    pub fn kernel(&self) -> &'static [u8] {
        self.find(MtlSection::KERNEL, 0).unwrap_or(&[])
    }

    pub fn boot(&self) -> &'static [u8] {
        self.find(MtlSection::BOOT, 0).unwrap_or(&[])
    }

    /// The node's name (UTF-8 as the image builder wrote it; "" without a NAME section).
    pub fn name(&self) -> &'static str {
        self.find(MtlSection::NAME, 0).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("")
    }

    /// The domain of the manifest service at slot `svc` (SLOT_NAME), if the image names it
    /// and it is UTF-8.
    pub fn slot_name(&self, svc: usize) -> Option<&'static str> {
        self.find(MtlSection::SLOT_NAME, svc as u32).and_then(|b| core::str::from_utf8(b).ok())
    }

    pub fn module_code(&self, module: u32) -> Option<&'static [u8]> {
        self.find(MtlSection::MODULE_CODE, module)
    }

    pub fn module_file(&self, module: u32) -> Option<&'static [u8]> {
        self.find(MtlSection::MODULE_FILE, module)
    }

    pub fn slots(&self) -> impl Iterator<Item = SlotPlace> + '_ {
        self.sections.iter().filter(|s| s.kind == MtlSection::SLOT).map(|s| {
            let b = s.bytes;
            let declared = u32_at(b, MTL_SLOT_DECLARED_MAX);
            let mut sha256 = [0u8; 32];
            sha256.copy_from_slice(&b[MTL_SLOT_SHA256..MTL_SLOT_SHA256 + 32]);
            SlotPlace {
                svc: s.id as usize,
                flags: u32_at(b, MTL_SLOT_FLAGS),
                module: u32_at(b, MTL_SLOT_MODULE),
                ram_max: u32_at(b, MTL_SLOT_RAM_MAX),
                mem_min: u32_at(b, MTL_SLOT_MEM_MIN),
                declared_max: if declared == MTL_NO_MAX { None } else { Some(declared) },
                sha256,
            }
        })
    }

    /// The manifest's NICs.
    pub fn nics(&self) -> impl Iterator<Item = NicSection> + '_ {
        self.sections.iter().filter(|s| s.kind == MtlSection::NIC).map(|s| {
            let pci = u32_at(s.bytes, MTL_NIC_PCI_INDEX);
            let mut mac = [0u8; 6];
            mac.copy_from_slice(&s.bytes[MTL_NIC_MAC..MTL_NIC_MAC + 6]);
            NicSection { id: s.id, place: if pci == MTL_BY_MAC { NicPlace::Mac } else { NicPlace::Pci(pci) }, mac }
        })
    }

    /// The manifest's USB devices.
    pub fn usbs(&self) -> impl Iterator<Item = UsbSection> + '_ {
        self.sections.iter().filter(|s| s.kind == MtlSection::USB).map(|s| {
            let b = s.bytes;
            let m = u32_at(b, MTL_USB_MATCH);
            let u16_at = |at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
            let serial_len = u32_at(b, MTL_USB_SERIAL_LEN) as usize;
            UsbSection {
                id: s.id,
                name: field(&b[MTL_USB_NAME..MTL_USB_NAME + MTL_USB_NAME_MAX]),
                device: (m & MtlUsbMatch::DEVICE as u32 != 0).then(|| (u16_at(MTL_USB_VENDOR), u16_at(MTL_USB_PRODUCT))),
                serial: (m & MtlUsbMatch::SERIAL as u32 != 0)
                    .then(|| core::str::from_utf8(&b[MTL_USB_SERIAL..MTL_USB_SERIAL + serial_len]).unwrap_or("\u{fffd}")),
                path: (m & MtlUsbMatch::PATH as u32 != 0).then(|| field(&b[MTL_USB_PATH..MTL_USB_PATH + MTL_USB_PATH_MAX])),
            }
        })
    }

    /// The manifest's disks: (disk id, PCI index among virtio-blk devices, size in bytes).
    pub fn disks(&self) -> impl Iterator<Item = (u32, u32, u64)> + '_ {
        self.sections.iter().filter(|s| s.kind == MtlSection::DISK)
            .map(|s| (s.id, u32_at(s.bytes, MTL_DISK_PCI_INDEX), u64_at(s.bytes, MTL_DISK_SIZE)))
    }
}

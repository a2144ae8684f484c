// The image's configuration (abi/image.ts), which the composer (loader/image/config.ts)
// wrote into the glue: copied once into shim memory by loadConfig, checked whole, then
// read through the accessors below — the node's name, its boot manifest, the NIC (VXLAN or WireGuard)
// records and the disk records. Also finds a disk's size in the boot manifest's DISK
// records, since the configuration does not repeat it.
// Does not open anything (nic.ts, disk.ts) and does not check the boot manifest beyond
// finding DISK records (the kernel checks it at k_boot).
// Used by main.ts (loadConfig, the name and boot manifest), nic.ts and disk.ts.
import { glue_config_size, glue_config_copy } from "../../abi/gen/shim";
import {
  IMG_MAGIC, IMG_VERSION, IMG_BOOT_LEN, IMG_NICS, IMG_DISKS, IMG_NAME_LEN, IMG_HEADER,
  IMG_NIC_SIZE, IMG_NIC_VNI, IMG_NIC_LPORT, IMG_NIC_RPORT, IMG_NIC_KIND, IMG_DISK_PATH_LEN, IMG_DISK_PATH,
} from "../../abi/image";
import { MF_HEADER, MF_REC_HEADER, Rec, DISK_ID, DISK_BYTES, DISK_SIZE, NAME_MAX } from "../../abi/manifest";
import { NIC_MAX, DISK_MAX } from "../../abi/limits";
import { NicKind } from "../../abi/kernel";
import { note } from "./out";

const VNI_MAX: u32 = 0xffffff;
const PORT_MAX: u32 = 65535;
const PATH_MAX: u32 = 4096;       // longest disk path accepted (bytes)

let base: usize = 0;              // the configuration in shim memory
export let nameLen: i32 = 0;
export let bootLen: i32 = 0;
export let nicCount: i32 = 0;
export let diskCount: i32 = 0;
let nics: usize = 0;              // the first NIC record
const DISK_RECORDS: usize = memory.data(DISK_MAX * sizeof<usize>(), 8);

export function namePtr(): usize { return base + IMG_HEADER; }
export function bootPtr(): usize { return base + IMG_HEADER + <usize>pad4(nameLen); }
/** The index-th NIC record (IMG_NIC_* offsets). */
export function nicRecord(index: i32): usize { return nics + <usize>index * IMG_NIC_SIZE; }
/** The index-th disk record (IMG_DISK_* offsets). */
export function diskRecord(index: i32): usize { return load<usize>(DISK_RECORDS + <usize>index * sizeof<usize>()); }

function pad4(n: u64): u64 { return (n + 3) & ~3; }

function damaged(why: string): bool {
  note("the image's configuration is damaged: " + why + ". Build the image again with `persia image`.");
  return false;
}

/** Copies and checks the configuration; false after printing why it cannot be used. */
export function loadConfig(): bool {
  let size = glue_config_size();
  if (size < IMG_HEADER) return damaged("it has " + size.toString() + " bytes, fewer than its " + IMG_HEADER.toString() + "-byte header");
  base = heap.alloc(<usize>size);
  glue_config_copy(<i32>base);
  if (load<u32>(base) != IMG_MAGIC) return damaged("it does not start with \"PIMG\"");
  let version = load<u32>(base + 4);
  if (version != IMG_VERSION) {
    return damaged("it has version " + version.toString() + ", but this shim reads version " + IMG_VERSION.toString() +
      " (the image was built from parts of different persia versions)");
  }
  let name = load<u32>(base + IMG_NAME_LEN);
  let boot = load<u32>(base + IMG_BOOT_LEN);
  let nicN = load<u32>(base + IMG_NICS);
  let diskN = load<u32>(base + IMG_DISKS);
  if (name == 0 || name > <u32>NAME_MAX) return damaged("the node name has " + name.toString() + " bytes (1 to " + NAME_MAX.toString() + ")");
  if (nicN > <u32>NIC_MAX) return damaged("it has " + nicN.toString() + " NICs; the kernel takes at most " + NIC_MAX.toString());
  if (diskN > <u32>DISK_MAX) return damaged("it has " + diskN.toString() + " disks; the kernel takes at most " + DISK_MAX.toString());
  let at: u64 = <u64>IMG_HEADER + pad4(name) + pad4(boot);
  if (at + <u64>nicN * IMG_NIC_SIZE > <u64>size) return damaged("its boot manifest and NIC records run past its end");
  nameLen = <i32>name;
  bootLen = <i32>boot;
  nics = base + <usize>at;
  for (let i: u32 = 0; i < nicN; i++) {
    if (!nicOk(<i32>i, nicRecord(<i32>i))) return false;
  }
  at += <u64>nicN * IMG_NIC_SIZE;
  for (let i: u32 = 0; i < diskN; i++) {
    if (at + IMG_DISK_PATH > <u64>size) return damaged("disk record " + i.toString() + " runs past its end");
    let len = load<u32>(base + <usize>at + IMG_DISK_PATH_LEN);
    if (len == 0 || len > PATH_MAX) return damaged("disk record " + i.toString() + " has a path of " + len.toString() + " bytes (1 to " + PATH_MAX.toString() + ")");
    if (at + IMG_DISK_PATH + pad4(len) > <u64>size) return damaged("disk record " + i.toString() + " runs past its end");
    store<usize>(DISK_RECORDS + <usize>i * sizeof<usize>(), base + <usize>at);
    at += IMG_DISK_PATH + pad4(len);
  }
  if (at != <u64>size) return damaged("it has " + (<u64>size - at).toString() + " bytes after its last record");
  nicCount = <i32>nicN;
  diskCount = <i32>diskN;
  return true;
}

function nicOk(index: i32, rec: usize): bool {
  let vni = load<u32>(rec + IMG_NIC_VNI);
  if (vni > VNI_MAX) return damaged("NIC record " + index.toString() + " has VNI " + vni.toString() + ", more than 24 bits");
  let lport = load<u32>(rec + IMG_NIC_LPORT);
  let rport = load<u32>(rec + IMG_NIC_RPORT);
  if (lport > PORT_MAX || rport > PORT_MAX) return damaged("NIC record " + index.toString() + " has a port above " + PORT_MAX.toString());
  let kind = load<u32>(rec + IMG_NIC_KIND);
  if (kind != <u32>NicKind.VXLAN && kind != <u32>NicKind.WIREGUARD) {
    return damaged("NIC record " + index.toString() + " has kind " + kind.toString() + ", neither VXLAN nor WIREGUARD");
  }
  return true;
}

/** The size in bytes the boot manifest's DISK record gives disk `id`, or -1 if it has none. */
export function bootDiskSize(id: u32): i64 {
  let p = bootPtr();
  let len = <usize>bootLen;
  if (len < <usize>MF_HEADER) return -1;
  let count = <i32>load<u16>(p + 6);
  let at = <usize>MF_HEADER;
  for (let i = 0; i < count; i++) {
    if (at + <usize>MF_REC_HEADER > len) return -1;
    let type = load<u8>(p + at);
    let body = <usize>load<u16>(p + at + 2);
    at += <usize>MF_REC_HEADER;
    if (at + body > len) return -1;
    if (type == <u8>Rec.DISK && body >= <usize>DISK_SIZE && <u32>load<u8>(p + at + DISK_ID) == id) {
      return load<i64>(p + at + DISK_BYTES);
    }
    at += body;
  }
  return -1;
}

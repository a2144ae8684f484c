// The image's configuration blob (abi/image.ts): the node's name, its boot manifest and
// what the WASI shim must open before the kernel boots — VXLAN and WireGuard NICs over UDP and disk
// files. Written here, at image time, into the generated glue; read by hosts/wasi/config.ts.
// Does not decide which NICs an image may have (compose.ts refuses the others).
import {
  IMG_BOOT_LEN, IMG_DISK_ID, IMG_DISK_PATH, IMG_DISK_PATH_LEN, IMG_DISKS, IMG_HEADER, IMG_MAGIC,
  IMG_NAME_LEN, IMG_NIC_ID, IMG_NIC_LOCAL, IMG_NIC_LPORT, IMG_NIC_REMOTE, IMG_NIC_RPORT, IMG_NIC_SIZE,
  IMG_NIC_VNI, IMG_NICS, IMG_VERSION, IMG_NIC_KIND,
} from "../../abi/image";
import { NicKind } from "../../abi/kernel";
import { parseAddr } from "../ip6";

export interface ImageNic {
  id: number;
  kind?: NicKind;                 // VXLAN (the default) or WIREGUARD (vni 0, remote unused)
  vni: number;
  local: { address: string; port: number };
  remote: { address: string; port: number };
}

export interface ImageConfig {
  name: string;
  boot: Uint8Array;
  nics: ImageNic[];
  disks: { id: number; path: string }[];
}

const pad4 = (n: number) => (n + 3) & ~3;

export function encodeConfig(c: ImageConfig): Uint8Array {
  const enc = new TextEncoder();
  const name = enc.encode(c.name);
  const paths = c.disks.map((d) => enc.encode(d.path));
  const size = IMG_HEADER + pad4(name.length) + pad4(c.boot.length) + c.nics.length * IMG_NIC_SIZE +
    paths.reduce((n, p) => n + IMG_DISK_PATH + pad4(p.length), 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, IMG_MAGIC, true);
  v.setUint32(4, IMG_VERSION, true);
  v.setUint32(IMG_BOOT_LEN, c.boot.length, true);
  v.setUint32(IMG_NICS, c.nics.length, true);
  v.setUint32(IMG_DISKS, c.disks.length, true);
  v.setUint32(IMG_NAME_LEN, name.length, true);
  let at = IMG_HEADER;
  out.set(name, at);
  at += pad4(name.length);
  out.set(c.boot, at);
  at += pad4(c.boot.length);
  for (const n of c.nics) {
    v.setUint32(at + IMG_NIC_ID, n.id, true);
    v.setUint32(at + IMG_NIC_VNI, n.vni, true);
    out.set(parseAddr(n.local.address), at + IMG_NIC_LOCAL);
    v.setUint32(at + IMG_NIC_LPORT, n.local.port, true);
    out.set(parseAddr(n.remote.address), at + IMG_NIC_REMOTE);
    v.setUint32(at + IMG_NIC_RPORT, n.remote.port, true);
    v.setUint32(at + IMG_NIC_KIND, n.kind ?? NicKind.VXLAN, true);
    at += IMG_NIC_SIZE;
  }
  c.disks.forEach((d, i) => {
    v.setUint32(at + IMG_DISK_ID, d.id, true);
    v.setUint32(at + IMG_DISK_PATH_LEN, paths[i].length, true);
    out.set(paths[i], at + IMG_DISK_PATH);
    at += IMG_DISK_PATH + pad4(paths[i].length);
  });
  return out;
}

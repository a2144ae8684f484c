// loader/manifest/limits.ts promises that every manifest its limits allow boots in the
// kernel (spec/manifest.md, "Limits"): the largest one (tests/loader/max_manifest.ts) is
// booted in the real build/wasm/kernel.wasm, through the Node host's KernelInstance with
// host callbacks that start no module, and the kernel's status snapshot must list every
// NIC, service, address, prefix, static route, disk grant and egress class it was given.
// Users and their delegations have no status record: k_boot's 0 says the kernel kept them,
// since it refuses a boot with more than it can hold. The loader's limits and the kernel's
// capacities are the same abi/limits.ts constants, so what can still fall short is a
// derived capacity (kernel/param.ts ROUTE_MAX), a table's full check, or BOOT_SIZE: that
// fails here instead of on a node.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { KernelInstance, HostImports } from "../../hosts/node/kernel";
import { WASM_DIR } from "../../hosts/node/paths";
import { decodeStatus } from "../../loader/status/decode";
import { decodeBootManifest } from "../../loader/manifest";
import { formatAddr } from "../../loader/ip6";
import { NET_FORWARD, NET_LINK } from "../../abi/manifest";
import { maxManifestBoot, maxModule } from "./max_manifest";

/** Host callbacks for a kernel whose services never run: a boot needs none of them to act
 *  but module_read, which gives every slot the services' signed module. */
function quietHost(logs: string[], kernel: () => KernelInstance): HostImports {
  const module = maxModule();
  return {
    log: (_l, p, n) => { logs.push(Buffer.from(kernel().bytes.subarray(p, p + n)).toString("utf8")); },
    random: () => {}, nic_send: () => 0, nic_send_gso: () => -20, svc_start: () => 0, svc_stop: () => {}, svc_load: () => -2, svc_unload: () => {},
    module_read: (_svc, off, dst, len) => {
      const part = module.subarray(Math.min(off, module.length), Math.min(off + len, module.length));
      kernel().bytes.set(part, dst);
      return module.length;
    },
    svc_ram: () => 0, svc_call: () => 0, svc_fuel_used: () => 0n, svc_read: () => -8, svc_write: () => -8,
    disk_read: () => -12, disk_write: () => -12, disk_flush: () => 0, usb_submit: () => -16, usb_cancel: () => {}, capture: () => {},
    mod_stage: () => -20, mod_write: () => -20, mod_read: () => -20, mod_commit: () => -20, mod_abort: () => {},
  };
}

const prefix = (a: Uint8Array, len: number) => `${formatAddr(a)}/${len}`;
const sorted = (xs: string[]) => [...xs].sort();

test("the largest manifest the loader's limits allow boots in kernel.wasm, and the kernel keeps every record of it", () => {
  const boot = maxManifestBoot();
  const m = decodeBootManifest(boot);
  const logs: string[] = [];
  let k: KernelInstance | null = null;
  k = new KernelInstance(fs.readFileSync(path.join(WASM_DIR, "kernel.wasm")), quietHost(logs, () => k!));
  assert.equal(k.boot(boot, 0n), 0, `k_boot refused the largest manifest: ${logs.join("; ")}`);

  const st = decodeStatus(k.status());
  assert.equal(st.node!.role, "ROUTER");
  assert.equal(st.node!.signedModules, true, "the PUBLISHER records were kept and every service's module passed");
  assert.deepEqual([st.identity!.trusted, st.identity!.ownCerts], [m.trusts.length, m.nodeCerts.length]);
  assert.equal(st.certificates.filter((c) => c.origin === "NODE").length, m.nodeCerts.length, "the node's own certificates");
  assert.deepEqual(st.nics.map((n) => n.id), m.nics.map((n) => n.id));
  assert.deepEqual(st.services.map((s) => [s.id, s.name]), m.services.map((s) => [s.id, s.name]));
  const routes = (kind: string) => sorted(st.routes.filter((r) => r.kind === kind).map((r) =>
    kind === "SERVICE" ? `${r.prefix} svc ${r.service}` : kind === "STATIC" ? `${r.prefix} nic ${r.nic} via ${r.via}` : `${r.prefix} nic ${r.nic}`));
  // The snapshot (STATUS_SIZE) holds the table's first routes, written after every other
  // record; ROUTE_STATIC_MAX static routes do not fit it. Those listed are the manifest's,
  // in its order after the node's own and the connected prefixes; k_boot's 0 says the
  // kernel kept the rest (it refuses a boot with a route it cannot hold).
  assert.deepEqual(routes("CONNECTED"), sorted(m.prefixes.map((p) => `${prefix(p.addr, p.len)} nic ${p.nic}`)));
  const statics = st.routes.filter((r) => r.kind === "STATIC").map((r) => `${r.prefix} nic ${r.nic} via ${r.via}`);
  assert.ok(statics.length > 0);
  assert.deepEqual(statics, m.routes.slice(0, statics.length).map((r) => `${prefix(r.prefix, r.len)} nic ${r.nic} via ${formatAddr(r.via)}`));
  assert.ok(st.node!.routes > 0xffff, "the table's true size: more routes than a u16 counts");
  assert.ok(st.routes.length < st.node!.routes, "the snapshot holds only some of them");
  // A router also answers at each prefix's Subnet-Router anycast address (but on a /127 or /128).
  const anycast = m.prefixes.filter((p) => p.len < 127).length;
  assert.equal(routes("LOCAL").length, m.nics.length + m.prefixes.length + anycast,
    "the node's own: a link-local per NIC, one per prefix, and a router's anycast address per prefix");
  assert.deepEqual(sorted(st.grants.flatMap((g) => g.disks.map((d) => `svc ${g.service} disk ${d.disk} ${d.offset}+${d.length}`))),
    sorted(m.capDisks.map((c) => `svc ${c.svc} disk ${c.disk} ${c.offset}+${c.length}`)));
  const classes = m.nets.filter((n) => n.svc !== NET_LINK).map((n) =>
    `nic ${n.nic} ${n.svc === NET_FORWARD ? "forwarded" : n.svc} ${n.min}-${n.max}`);
  assert.deepEqual(sorted(st.classes.filter((c) => c.class !== "kernel").map((c) => `nic ${c.nic} ${c.class} ${c.minBits}-${c.maxBits}`)),
    sorted(classes));
  assert.deepEqual(logs.filter((l) => !/^node key ed25519:/.test(l)), [],
    "the kernel logged nothing but its key (every boot does): no record was refused or cut");
});

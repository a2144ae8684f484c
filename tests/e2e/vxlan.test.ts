// End to end with a real Linux peer: a network namespace whose VXLAN interface is attached
// to the node's VXLAN NIC. Linux resolves echo.sabz.city's address by neighbor discovery,
// `ping -6` gets replies, and a tshark capture of the exchange has no malformed packet and
// no expert error. Needs root, iproute2, ping and tshark (tests/setup.js installs them).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { shAsync, missing, skipOrFail, vxlanNamespace, capture, stopCapture, countMatching } from "./linux";

const skip = skipOrFail(missing(["ip", "ping", "tshark"]));

function manifest(hostAddr: string, peerAddr: string, vni: number): string {
  const wasm = path.join(ROOT, "build/wasm/services");
  return `
node: { name: e2e.sabz.city, role: server }
nics:
  - name: vx0
    kind: vxlan
    mac: "02:00:5a:b2:00:01"
    prefixes: ["fd00:5ab2:1::/64"]
    vxlan: { local: "[${hostAddr}]:4789", remote: "[${peerAddr}]:4789", vni: ${vni} }
services:
  - { domain: echo.sabz.city, module: ${wasm}/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
  - { domain: probe.sabz.city, module: ${wasm}/probe.wasm, addresses: ["fd00:5ab2:1::9"], ram: { min: 64KiB, max: 1MiB } }
`;
}

test("ping -6 from a Linux namespace over VXLAN reaches echo.sabz.city; the capture is clean", { skip, timeout: 60000 }, async () => {
  const tag = 0x100 + (process.pid % 0xe00);
  const vx = vxlanNamespace(tag, 42, "fd00:5ab2:1::2/64");
  const pcap = path.join(os.tmpdir(), `persia-e2e-${process.pid}.pcapng`);
  const logs: string[] = [];
  let launched: Awaited<ReturnType<typeof launch>> | null = null;
  try {
    launched = await launch(parseManifest(manifest(vx.hostAddr, vx.peerAddr, vx.vni), "e2e.yaml", ROOT),
      { log: (_l, line) => logs.push(line) });
    const tshark = await capture(vx.ns, vx.dev, pcap);
    const out = (await shAsync(`ip netns exec ${vx.ns} ping -6 -c 4 -i 0.3 -W 2 fd00:5ab2:1::7`)).out;
    const out2 = (await shAsync(`ip netns exec ${vx.ns} ping -6 -c 2 -i 0.3 -W 2 fd00:5ab2:1::9`)).out;
    await stopCapture(tshark);
    assert.match(out, /4 packets transmitted, 4 received/, `ping echo.sabz.city:\n${out}\n${logs.join("\n")}`);
    assert.match(out2, /2 packets transmitted, 2 received/, `ping probe.sabz.city:\n${out2}`);
    const replies = countMatching(pcap, "icmpv6.type == 129 && ipv6.src == fd00:5ab2:1::7");
    const adverts = countMatching(pcap, "icmpv6.type == 136 && icmpv6.nd.na.target_address == fd00:5ab2:1::7");
    const malformed = countMatching(pcap, "_ws.malformed");
    const errors = countMatching(pcap, "_ws.expert.severity == error");
    assert.equal(replies, 4, "echo replies in the capture");
    assert.ok(adverts >= 1, "a neighbor advertisement for echo's address in the capture");
    assert.equal(malformed, 0, "malformed packets in the capture");
    assert.equal(errors, 0, "expert errors in the capture");
    const status = launched.node.status();
    assert.equal(status.services.find((s) => s.name === "echo.sabz.city")!.txPackets >= 4, true);
  } finally {
    launched?.node.stop();
    vx.close();
    fs.rmSync(pcap, { force: true });
  }
});

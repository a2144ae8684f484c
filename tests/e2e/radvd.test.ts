// The client tests' peers, checked without a node: radvd (tests/e2e/radvd.ts) in one
// namespace advertises what its configuration says, as rdisc6 in another sees it over a
// veth pair, and a SIGHUP renumbers it; hostile_ra.py's frames are, as tshark decodes them,
// the hostile RAs client_hostile.test.ts says it sends, each with a right checksum.
// Needs root, iproute2, radvd, ndisc6, tshark and Debian's python3-scapy.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { sh, shAsync, missing, skipOrFail, tshark } from "./linux";
import { linkLocal, startRadvd } from "./radvd";

const skip = skipOrFail(missing(["ip", "radvd", "rdisc6", "tshark", "/usr/bin/python3"]));
const TAG = (process.pid % 900) + 100;
const R = `rr${TAG}`, H = `rh${TAG}`;

function cleanup(): void {
  for (const ns of [R, H]) sh(`ip netns del ${ns}`, { allowFail: true });
}

test("radvd in a namespace advertises its configuration to rdisc6 in another, and renumbers on SIGHUP", { skip, timeout: 30000 }, async () => {
  cleanup();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-radvd-"));
  let radvd: Awaited<ReturnType<typeof startRadvd>> | null = null;
  try {
    for (const ns of [R, H]) sh(`ip netns add ${ns}`);
    sh(`ip link add rv${TAG} netns ${R} type veth peer name hv${TAG} netns ${H}`);
    for (const [ns, dev] of [[R, `rv${TAG}`], [H, `hv${TAG}`]]) {
      sh(`ip netns exec ${ns} sh -c 'sysctl -qw net.ipv6.conf.${dev}.accept_dad=0 && ip link set lo up && ip link set ${dev} up'`);
    }
    radvd = await startRadvd(R, `rv${TAG}`, { mtu: 1400, lifetime: 60, reachable: 20000, retrans: 1500,
      prefixes: [{ prefix: "fd00:c1::/64" }, { prefix: "fd00:c2::/64", valid: 12, preferred: 8 }] }, dir);
    await linkLocal(H, `hv${TAG}`);
    const rdisc = async () => (await shAsync(`ip netns exec ${H} rdisc6 -1 -r 3 -w 2000 hv${TAG}`)).out;
    const out = await rdisc();
    assert.match(out, new RegExp(`from ${radvd.source}\n`), "the RAs come from the link-local address startRadvd gives");
    assert.match(out, /Prefix +: fd00:c1::\/64\n.*\n.*\n +Valid time +: +86400 .*\n +Pref\. time +: +14400 /, out);
    assert.match(out, /Prefix +: fd00:c2::\/64\n.*\n.*\n +Valid time +: +12 .*\n +Pref\. time +: +8 /, out);
    assert.match(out, /MTU +: +1400 bytes/, out);
    assert.match(out, /Router lifetime +: +60 /, out);
    assert.match(out, /Reachable time +: +20000 /, out);
    assert.match(out, /Retransmit time +: +1500 /, out);

    await radvd.reload({ mtu: 1400, lifetime: 60, prefixes: [{ prefix: "fd00:c1::/64", valid: 30, preferred: 0 }, { prefix: "fd00:c3::/64" }] });
    const after = await rdisc();
    assert.match(after, /Prefix +: fd00:c1::\/64\n.*\n.*\n +Valid time +: +30 .*\n +Pref\. time +: +0 /, after);
    assert.match(after, /Prefix +: fd00:c3::\/64/, after);
    assert.doesNotMatch(after, /fd00:c2::/, "the prefix left out of the file is no longer advertised");
  } finally {
    await radvd?.stop();
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("hostile_ra.py's frames are the hostile RAs it names, with right checksums", { skip }, () => {
  const pcap = path.join(os.tmpdir(), `persia-hostile-${process.pid}.pcap`);
  try {
    sh(`/usr/bin/python3 ${path.join(ROOT, "tests/e2e/hostile_ra.py")} lo fd00:c1:: ${pcap}`);
    const r = tshark(["-r", pcap, "-T", "fields", "-E", "separator=|", "-e", "ipv6.src", "-e", "ipv6.hlim", "-e", "icmpv6.checksum.status",
      "-e", "icmpv6.nd.ra.router_lifetime", "-e", "icmpv6.opt.prefix", "-e", "icmpv6.opt.prefix.length", "-e", "icmpv6.opt.prefix.valid_lifetime",
      "-e", "icmpv6.opt.length", "-e", "_ws.expert.message"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split("\n"), [
      "fe80::bad:1|64|1|1800|fd00:bad1::|64|86400|4,1|",                                   // hop limit 64
      "2001:db8::1|255|1|1800|fd00:bad2::|64|86400|4|",                                    // global source
      "fe80::bad:3|255|1|1800||64|86400|4|Malformed Packet (Exception occurred)",          // option cut short
      "fe80::bad:4|255|1|1800|fd00:bad4::|64|86400|4,0|Invalid option length (Zero)",      // option length 0
      "fe80::bad:5|255|1|0|fd00:bad5::|48|86400|4|",                                       // a /48 with A
      "fe80::bad:6|255|1|0|||||",                                                          // lifetime 0, another router
      "fe80::bad:7|255|1|0|fd00:c1::|64|0|4|",                                             // valid 0 for the learned prefix
    ]);
  } finally {
    fs.rmSync(pcap, { force: true });
  }
});

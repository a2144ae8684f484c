// Packet capture in a wasmtime image (issue #18): an image run with --capture under the real
// wasmtime CLI, with this test as its VXLAN peer on the loopback address, while the test
// pings echo.sabz.city, sends a frame whose IPv6 payload length runs past its end and a
// ping to an address the node does not have. `persia capture --from` (run as a command)
// turns the saved stdout into pcapng: tshark reads it with nothing on stderr; the echo
// request and reply are there on the NIC and at echo, the drops carry their reasons, only
// the bad frame is malformed, the times are the wall clock's; --service, --nic and
// --count do what they say, and a name without the manifest is refused.
// Needs wasmtime (tests/setup.js) and tshark; under CI=true their absence fails this file.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { parseAddr, parseMac } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { imageOf, ImagePeer, RunningImage, wasmtimeOrSkip } from "./wasmtime";
import { missing, skipOrFail, tshark, captureRows } from "./linux";
import { parseImageLine } from "../../loader/capture/record";
import { CapturePoint } from "../../abi/capture";

const wt = wasmtimeOrSkip();
const skip = wt.skip || skipOrFail(missing(["tshark"]));
const VNI = 78;
const NODE_MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:00:99");
const PEER = "fd00:5ab2:2::100";
const ECHO = "fd00:5ab2:2::7";
const NOBODY = "fd00:5ab2:2::99";
const CLI = path.join(ROOT, "build/ts/cli/cli.js");
const IN = "0x00000001", OUT = "0x00000002";

function manifest(port: number): string {
  return `
node: { name: imagecap.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:2::/64"], vxlan: { local: "[::1]:${port}", remote: "[::1]:${port + 1}", vni: ${VNI} } }
services:
  - { domain: echo.sabz.city, module: ${path.join(ROOT, "build/wasm/services/echo.wasm")}, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
`;
}

/** An IPv6 header (no next header) claiming 100 bytes of payload that are not there. */
function shortPayload(): Uint8Array {
  const h = new Uint8Array(40);
  h.set([0x60, 0, 0, 0, 0, 100, 59, 64]);
  h.set(parseAddr(PEER), 8);
  h.set(parseAddr(ECHO), 24);
  return h;
}

function persia(args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { code: r.status, err: r.stderr };
}

test("an image run with --capture, and persia capture --from its output", { skip, timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-capture-"));
  const port = 47000 + (process.pid % 1000) * 2;
  const yaml = path.join(dir, "image.yaml");
  const log = path.join(dir, "node.log");
  const file = (n: string) => path.join(dir, `${n}.pcapng`);
  fs.writeFileSync(yaml, manifest(port));
  const sock = dgram.createSocket({ type: "udp6" });
  let run: RunningImage | null = null;
  try {
    const { flags } = await imageOf(manifest(port), path.join(dir, "node.wasm"));
    await new Promise<void>((r) => sock.bind(port + 1, "::1", r));
    const peer = new ImagePeer(sock, port, VNI);
    const eth = (pkt: Uint8Array) => P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, pkt);
    const started = Date.now();
    run = new RunningImage(wt.file, flags, path.join(dir, "node.wasm"), ["--capture"]);
    await run.until(() => run!.stderr.includes("is running"), 30000, "the image to boot");
    peer.send(eth(P.neighborSolicit(parseAddr(PEER), parseAddr(ECHO), PEER_MAC)));
    peer.send(eth(P.echoRequest(parseAddr(PEER), parseAddr(ECHO), 0x4343, 1, Buffer.from("captured"))));
    assert.ok(await peer.wait((p) => p.icmpType === P.ICMP.ECHO_REP), `no echo reply\n${run.stderr}`);
    peer.send(eth(shortPayload()));
    peer.send(eth(P.echoRequest(parseAddr(PEER), parseAddr(NOBODY), 0x4343, 2, new Uint8Array(0))));
    assert.ok(await peer.wait((p) => p.icmpType === 1), "destination unreachable for the address nobody has");
    // The error's TX line is printed before the frame is sent, but may reach this process after it.
    const unreachSent = () => run!.stdout.split("\n").slice(0, -1).map(parseImageLine)
      .some((p) => p !== null && p.point === CapturePoint.TX && p.bytes[14 + 40] === 1);
    await run.until(unreachSent, 5000, "the capture line of the destination unreachable sent");
    await run.stop();
    fs.writeFileSync(log, run.stdout);

    await t.test("persia capture --from writes every capture line of the output, and says so", () => {
      const r = persia(["capture", "--from", log, "--manifest", yaml, "-o", file("all")]);
      assert.equal(r.code, 0, r.err);
      const lines = run!.stdout.split("\n").filter((l) => l.startsWith("capture ")).length;
      assert.equal(r.err, `persia: wrote ${lines} packet(s) to ${file("all")} (${fs.statSync(file("all")).size} bytes); none lost; stopped: the end of the saved output\n`);
    });

    await t.test("the echo request and reply are there on vx0 and at echo; the drops carry their reasons", () => {
      const got = captureRows(file("all"));
      for (const want of [`vx0|${IN}|${PEER}|${ECHO}|128|`, `echo.sabz.city|${OUT}|${PEER}|${ECHO}|128|`,
        `echo.sabz.city|${IN}|${ECHO}|${PEER}|129|`, `vx0|${OUT}|${ECHO}|${PEER}|129|`,
        `kernel||${PEER}|${NOBODY}|128|dropped: NO_ROUTE (no route to destination)`,
        `vx0||${PEER}|${ECHO}||dropped: IP_LENGTH (payload length disagrees with the frame)`]) {
        assert.ok(got.includes(want), `${want}\n${got.join("\n")}`);
      }
      const flagged = tshark(["-r", file("all"), "-Y", "_ws.malformed || _ws.expert.severity >= warning", "-T", "fields", "-e", "ipv6.plen"]);
      assert.deepEqual(flagged.out.split("\n").filter((l) => l !== ""), ["100", "100"], "only the bad frame, as received and as dropped");
    });

    await t.test("the times are the wall clock's when the packets passed", () => {
      const times = tshark(["-r", file("all"), "-T", "fields", "-e", "frame.time_epoch"]).out.split("\n").filter((l) => l !== "").map(Number);
      assert.ok(times[0] * 1000 >= started - 1000 && times[times.length - 1] * 1000 <= Date.now() + 1000, `${times[0]} .. ${times[times.length - 1]}`);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), "in order");
    });

    await t.test("--service, --nic and --count keep what they say", () => {
      assert.equal(persia(["capture", "--from", log, "--manifest", yaml, "--service", "echo.sabz.city", "-o", file("echo")]).code, 0);
      const echo = captureRows(file("echo"));
      assert.ok(echo.length >= 3, echo.join("\n"));
      for (const l of echo) {
        const [iface, dir, src] = l.split("|");
        assert.ok(iface === "echo.sabz.city" || (iface === "vx0" && dir === OUT && src === ECHO), `not echo's: ${l}`);
      }
      assert.equal(persia(["capture", "--from", log, "--manifest", yaml, "--nic", "vx0", "-o", file("nic")]).code, 0);
      const nic = captureRows(file("nic"));
      assert.ok(nic.some((l) => l.startsWith(`vx0|${IN}|${PEER}|${ECHO}|128|`)), nic.join("\n"));
      assert.ok(!nic.some((l) => l.startsWith(`echo.sabz.city|${IN}|`)), "echo's own sends name no NIC");
      const counted = persia(["capture", "--from", log, "--count", "2", "-o", file("count")]);
      assert.match(counted.err, /wrote 2 packet\(s\) .*stopped: --count reached\n$/);
      assert.equal(captureRows(file("count")).length, 2);
      const piped = spawnSync(process.execPath, [CLI, "capture", "--from", log, "--count", "2", "-o", "-"]);
      assert.equal(piped.status, 0, piped.stderr.toString());
      assert.match(piped.stderr.toString(), /wrote 2 packet\(s\) to stdout/);
      fs.writeFileSync(file("piped"), piped.stdout);
      assert.deepEqual(captureRows(file("piped")), captureRows(file("count")), "-o - writes the same packets to stdout");
    });

    await t.test("a name without the image's manifest, or one it lacks, is refused with what to do", () => {
      const bare = persia(["capture", "--from", log, "--nic", "vx0", "-o", file("none")]);
      assert.equal(bare.code, 1);
      assert.match(bare.err, /give the image's manifest: --manifest <node\.yaml>/);
      const wrong = persia(["capture", "--from", log, "--manifest", yaml, "--service", "kv.sabz.city", "-o", file("none")]);
      assert.match(wrong.err, /"kv\.sabz\.city" is not a service of imagecap\.sabz\.city; its services are echo\.sabz\.city/);
      const empty = path.join(dir, "empty.log");
      fs.writeFileSync(empty, "status AAAA\n");
      assert.match(persia(["capture", "--from", empty, "-o", file("none")]).err, /no capture line in that output: run the image with `--capture`/);
    });
  } finally {
    await run?.stop();
    sock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

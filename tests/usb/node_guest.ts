// Runs INSIDE the USB test guest (guest.ts; second part of guest_main.ts): a whole PersiaNode —
// kernel.wasm, the Node host with its libusb backend — booted by launch.ts from a manifest
// whose usb: names QEMU's usb-storage (by vendor:product), usb-kbd (by bus path) and
// usb-serial (by serial), each granted to its own usbprobe test service
// (tests/services/usbprobe: UDP 7072, text commands). A traffic peer on the node's virtual
// NIC sends the commands and prints each answer as a USBT line for the test on the host to
// judge; nothing here decides pass or fail.
import * as fs from "fs";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { parseManifest } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { Peer } from "../../cli/peer/peer";
import * as P from "../../cli/peer/packets";
import { host, say } from "./in_guest";

const SYS = "/sys/bus/usb/devices";
const NODE_MAC = "02:00:00:00:00:01", PEER_MAC = "02:00:00:00:00:99";
const PEER_ADDR = parseAddr("fd00:5ab2:1::100");
const STICK = parseAddr("fd00:5ab2:1::71"), KBD = parseAddr("fd00:5ab2:1::72"), SERIAL = parseAddr("fd00:5ab2:1::73");
const ABSENT = parseAddr("fd00:5ab2:1::74");
const PROBE_PORT = 7072;

function sysfsDevice(vendor: string, product: string): string | null {
  for (const name of fs.readdirSync(SYS)) {
    if (name.includes(":") || name.startsWith("usb")) continue;
    const read = (f: string) => { try { return fs.readFileSync(`${SYS}/${name}/${f}`, "utf8").trim(); } catch { return ""; } };
    if (read("idVendor") === vendor && read("idProduct") === product) return name;
  }
  return null;
}

async function until<T>(f: () => T | null | undefined | false | Promise<T | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function yaml(kbdPath: string, serial: string): string {
  const svc = (domain: string, addr: string, device: string, rights: string) =>
    `  - { domain: ${domain}, module: build/wasm/tests/usbprobe.wasm, addresses: ["${addr}"], ram: { min: 256KiB, max: 1MiB }, usb: [{ device: ${device}, rights: [${rights}] }] }`;
  return `node: { name: usb.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "${NODE_MAC}", prefixes: ["fd00:5ab2:1::/64"] }
usb:
  - { name: stick, device: "46f4:0001" }
  - { name: kbd, path: "${kbdPath}" }
  - { name: serial, serial: "${serial}" }
  - { name: absent, device: "dead:beef" }
services:
${svc("stick.sabz.city", "fd00:5ab2:1::71", "stick", "read, write")}
${svc("kbd.sabz.city", "fd00:5ab2:1::72", "kbd", "read")}
${svc("serial.sabz.city", "fd00:5ab2:1::73", "serial", "read, write")}
${svc("absent.sabz.city", "fd00:5ab2:1::74", "absent", "read")}
`;
}

/** A Bulk-Only Transport CBW (USB Mass Storage Class BOT 1.0 §5.1), as hex. */
function cbw(tag: number, dataLen: number, cdb: number[], signature = 0x43425355): string {
  const b = Buffer.alloc(31);
  b.writeUInt32LE(signature, 0); b.writeUInt32LE(tag, 4); b.writeUInt32LE(dataLen, 8);
  b.writeUInt8(0x80, 12); b.writeUInt8(cdb.length, 14);
  Buffer.from(cdb).copy(b, 15);
  return b.toString("hex");
}
const INQUIRY = [0x12, 0, 0, 0, 36, 0];

let peer: Peer;
let nodeMac: Uint8Array;
let sport = 40000;

/** Sends one usbprobe command to `to`; its answer (text), or "(none)" after ms. */
async function ask(to: Uint8Array, command: string, ms = 10000): Promise<string> {
  const port = ++sport;
  peer.sendIp(nodeMac, P.udp(PEER_ADDR, to, port, PROBE_PORT, Buffer.from(command)));
  const r = await peer.expect((p) => p.sport === PROBE_PORT && p.dport === port, ms);
  return r?.data ? Buffer.from(r.data).toString("latin1") : "(none)";
}

/** Asks, and resolves with the answer and how long it took; `during` runs once it is asked. */
async function timed(to: Uint8Array, command: string, ms = 10000): Promise<{ answer: string; ms: number }> {
  const t0 = Date.now();
  const answer = await ask(to, command, ms);
  return { answer, ms: Date.now() - t0 };
}

async function inquiry(tag: number): Promise<string[]> {
  return [await ask(STICK, `BULK 02 ${cbw(tag, 36, INQUIRY)}`), await ask(STICK, "BULK 81 36"), await ask(STICK, "BULK 81 13")];
}

/** The node's checks, with the stick plugged in as QEMU device `stick` and the keyboard as `kbd`. */
export async function nodeChecks(stick: string, kbd: string): Promise<void> {
  const stickName = await until(() => sysfsDevice("46f4", "0001"), 30000, "QEMU's usb-storage in sysfs");
  const kbdName = await until(() => sysfsDevice("0627", "0001"), 30000, "QEMU's usb-kbd in sysfs");
  const serialName = await until(() => sysfsDevice("0403", "6001"), 30000, "QEMU's usb-serial in sysfs");
  const serial = fs.readFileSync(`${SYS}/${serialName}/serial`, "utf8").trim();
  const sysHex = (name: string) => fs.readFileSync(`${SYS}/${name}/descriptors`).toString("hex");
  say("sysfs", { stick: sysHex(stickName), kbd: sysHex(kbdName), serial: sysHex(serialName) });

  const logs: string[] = [];
  const launched = await launch(parseManifest(yaml(kbdName, serial), "usb.yaml", ROOT), {
    log: (_level, line) => { logs.push(line); process.stdout.write(`LOG ${line}\n`); },
  });
  const node = launched.node;
  const errors: string[] = [];
  node.on("error", (e: Error) => errors.push(e.message));
  nodeMac = parseMac(NODE_MAC);
  peer = new Peer(launched.peers.get(0)!, parseMac(PEER_MAC), PEER_ADDR);
  await until(() => logs.filter((l) => /attached,/.test(l)).length >= 3, 20000, "three USB devices attached");

  say("desc", { stick: await ask(STICK, "DESC"), kbd: await ask(KBD, "DESC"), serial: await ask(SERIAL, "DESC"), absent: await ask(ABSENT, "DESC") });
  say("id", { stick: await ask(STICK, "ID"), kbd: await ask(KBD, "ID"), serial: await ask(SERIAL, "ID") });
  say("control", await ask(STICK, "CTRL 8006000100001200"));
  say("inquiry", await inquiry(0x1001));
  say("stall", { bad: await ask(STICK, `BULK 02 ${cbw(0x1002, 36, INQUIRY, 0x12345678)}`), clear: await ask(STICK, "CLEAR 02"), again: await inquiry(0x1003) });
  say("noEndpoint", { bulk83: await ask(STICK, "BULK 83 8"), intr81: await ask(STICK, "INTR 81 8") });
  say("rights", { kbdOut: await ask(KBD, "CTRL 210a000000000000"), setConfiguration: await ask(STICK, "CTRL 0009010000000000") });

  // Interrupt IN: the service's transfer waits for a key; QEMU's monitor presses one.
  const key = timed(KBD, "INTR 81 8 ms=20000", 25000);
  await new Promise((r) => setTimeout(r, 300));
  await host("sendkey a");
  say("interrupt", (await key).answer);
  say("release", await ask(KBD, "INTR 81 8 ms=2000"));
  say("timeout", await timed(KBD, "INTR 81 8 ms=300"));

  const text = Buffer.from("persia-node-serial\n");
  say("serial", await ask(SERIAL, `BULK 02 ${text.toString("hex")}`));

  // Latency through the whole node: UDP in, usb_submit, libusb, completion, UDP out.
  const rounds = 50;
  const t0 = Date.now();
  let ok = 0;
  for (let i = 0; i < rounds; i++) if ((await ask(STICK, "CTRL 8006000100001200")).startsWith("DONE OK")) ok++;
  say("latency", { rounds, ok, msPerRound: (Date.now() - t0) / rounds });

  // Unplug the keyboard while its service waits on an interrupt transfer.
  const waiting = timed(KBD, "INTR 81 8 ms=30000", 35000);
  await new Promise((r) => setTimeout(r, 300));
  await host(`device_del ${kbd}`);
  say("unplugKbd", { answer: (await waiting).answer, events: await ask(KBD, "EVENTS"), desc: await ask(KBD, "DESC") });

  // Unplug the stick, and plug it in again.
  await host(`device_del ${stick}`);
  await until(() => logs.some((l) => /usb device 0 \(stick\): detached/.test(l)), 15000, "the stick detached");
  const gone = { events: await ask(STICK, "EVENTS"), desc: await ask(STICK, "DESC"), inquiry: await ask(STICK, `BULK 02 ${cbw(0x2001, 36, INQUIRY)}`) };
  await host(`drive_add 0 if=none,id=${stick}-again,file=${process.env.STICK_IMAGE},format=raw`);
  await host(`device_add usb-storage,drive=${stick}-again,bus=xhci.0,id=${stick}-again`);
  await until(() => logs.filter((l) => /\(usb device 0, stick\): attached/.test(l)).length >= 2, 20000, "the stick attached again");
  await until(async () => (await ask(STICK, "EVENTS", 2000)).includes("attach detach attach"), 10000, "the service saw the stick again");
  say("replug", { gone, events: await ask(STICK, "EVENTS"), inquiry: await inquiry(0x2002) });

  const status = node.status();
  say("survived", {
    errors,
    running: status.services.map((s) => ({ name: s.name, state: s.state, faults: s.faults })),
    ping: await (async () => {
      peer.sendIp(nodeMac, P.echoRequest(PEER_ADDR, STICK, 7, 1, Uint8Array.from([1, 2, 3])));
      return (await peer.expect((p) => p.icmpType === P.ICMP.ECHO_REP, 3000)) !== null;
    })(),
  });
  say("logs", logs.filter((l) => /usb|USB/.test(l)));
  await node.shutdown();
}

// Linux's wireguard-go as a real WireGuard peer for end-to-end tests and the bench (issue
// #13): a network namespace, a veth underlay from it to the root namespace (or to another
// namespace), `wireguard-go -f` making its TUN device inside, `wg set` configuring it, and
// `wg show dump` read back into numbers. Addresses and names carry a tag so that tests
// running in parallel never meet:
//   underlay  fd00:9a:T::1/64 (side a, e.g. the root namespace) ── veth ── fd00:9a:T::2/64
//   tunnel    fd00:9b:T::/64 (the test chooses which addresses go where)
//   names     namespace pwg<T>[x], veths pwa<T> / pwb<T>, WireGuard device wgt<T><x>
// wireguard-go's control sockets (/var/run/wireguard/<dev>.sock) are not per namespace,
// hence the device name carries the tag too. Its log (LOG_LEVEL=verbose, stdout and
// stderr) is kept for failure messages. Deliberately not here: the node, the test's own
// WireGuard peer (tests/wg/peer.ts). Used by tests/wg/peer.test.ts and tests/bench/wireguard.ts.
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { sh } from "./linux";
import { waitFor } from "../wait";
import { clamp, publicKey } from "../wg/noise";

/** What the fixture needs on PATH (tests/setup.js installs them). */
export const WG_TOOLS = ["ip", "wireguard-go", "wg"];

const b64 = (k: Uint8Array) => Buffer.from(k).toString("base64");

export interface WgKeys { private: Uint8Array; public: Uint8Array; privateB64: string; publicB64: string }

/** A fresh static key pair (clamped as wireguard-go and `wg genkey` do). */
export function wgKeys(): WgKeys {
  const priv = clamp(randomBytes(32));
  const pub = publicKey(priv);
  return { private: priv, public: pub, privateB64: b64(priv), publicB64: b64(pub) };
}

/** A tag for this process: unique among tests running in parallel (each test file is a
 *  process of its own), 0x100–0xfff; `offset` tells apart the tags one process uses. */
export function wgTag(offset = 0): number {
  return 0x100 + ((process.pid * 8 + offset) % 0xf00);
}

export const underlayAddr = (tag: number, side: 1 | 2) => `fd00:9a:${tag.toString(16)}::${side}`;
export const tunnelAddr = (tag: number, host: number) => `fd00:9b:${tag.toString(16)}::${host.toString(16)}`;

/** A fresh network namespace with lo up (a stale one of the same name is deleted). */
export function netns(name: string): string {
  sh(`ip netns del ${name}`, { allowFail: true });
  sh(`ip netns add ${name}`);
  sh(`ip netns exec ${name} ip link set lo up`);
  return name;
}

export interface Underlay { tag: number; a: string | null; b: string; devA: string; devB: string; addrA: string; addrB: string; close(): void }

/** A veth pair from namespace a (null: the root namespace) to namespace b, with
 *  fd00:9a:T::1/64 on a's side and ::2/64 on b's, both up and out of DAD. */
export function underlay(tag: number, a: string | null, b: string): Underlay {
  const t = tag.toString(16);
  const devA = `pwa${t}`, devB = `pwb${t}`;
  const inA = a ? `ip netns exec ${a} ` : "";
  const close = () => sh(`${inA}ip link del ${devA}`, { allowFail: true });
  close();
  sh(`ip link add ${devA} ${a ? `netns ${a} ` : ""}type veth peer name ${devB} netns ${b}`);
  const addrA = underlayAddr(tag, 1), addrB = underlayAddr(tag, 2);
  sh(`${inA}ip -6 addr add ${addrA}/64 dev ${devA} nodad && ${inA}ip link set ${devA} up`);
  sh(`ip netns exec ${b} ip -6 addr add ${addrB}/64 dev ${devB} nodad && ip netns exec ${b} ip link set ${devB} up`);
  return { tag, a, b, devA, devB, addrA, addrB, close };
}

export interface WgPeerConfig {
  publicKey: Uint8Array;
  /** "[addr]:port"; absent: learned from the peer's first authenticated message. */
  endpoint?: string;
  allowedIps: string[];
  keepalive?: number;
  psk?: Uint8Array;
}

export interface WgPeerDump {
  publicKey: string; psk: string | null; endpoint: string | null; allowedIps: string[];
  /** Unix seconds of the latest handshake, 0 for none. */
  latestHandshake: number;
  rxBytes: number; txBytes: number; keepalive: number | null;
}
export interface WgDump { publicKey: string; listenPort: number; peers: WgPeerDump[] }

/** `wg show <dev> dump`: the interface line (private key, public key, port, fwmark), then
 *  one line per peer (key, psk, endpoint, allowed IPs, latest handshake, rx, tx, keepalive),
 *  tab-separated, "(none)" or "off" for an absent value. */
export function parseDump(text: string): WgDump {
  const lines = text.split("\n").filter((l) => l !== "").map((l) => l.split("\t"));
  if (lines.length === 0 || lines[0].length !== 4) throw new Error(`wg show dump: no interface line in ${JSON.stringify(text)}`);
  const none = (s: string) => (s === "(none)" || s === "off" ? null : s);
  const peers = lines.slice(1).map((f) => {
    if (f.length !== 8) throw new Error(`wg show dump: a peer line of ${f.length} fields: ${f.join(" ")}`);
    return { publicKey: f[0], psk: none(f[1]), endpoint: none(f[2]), allowedIps: none(f[3])?.split(",") ?? [],
      latestHandshake: Number(f[4]), rxBytes: Number(f[5]), txBytes: Number(f[6]), keepalive: none(f[7]) === null ? null : Number(f[7]) };
  });
  return { publicKey: lines[0][1], listenPort: Number(lines[0][2]), peers };
}

export interface WgDevice {
  ns: string;
  dev: string;
  keys: WgKeys;
  listenPort: number;
  proc: ChildProcess;
  /** wg set: this device's key and port, and these peers (added or updated). */
  set(peers: WgPeerConfig[]): void;
  /** Add an IPv6 address (CIDR) to the device and bring it up. */
  up(addrs: string[]): void;
  route(prefix: string): void;
  dump(): WgDump;
  log(): string;
  stop(): Promise<void>;
}

const SOCK_DIR = "/var/run/wireguard";

/** wireguard-go in ns making device dev (unique on the machine, ≤ 15 characters). Resolves
 *  once its control socket answers `wg show`; `stop()` ends it (SIGTERM, then SIGKILL
 *  after 3 s) and removes its socket and key files. */
export async function startWireguardGo(ns: string, dev: string, opts: { listenPort: number; keys?: WgKeys }): Promise<WgDevice> {
  const keys = opts.keys ?? wgKeys();
  fs.rmSync(path.join(SOCK_DIR, `${dev}.sock`), { force: true });   // left by a killed run
  const proc = spawn("ip", ["netns", "exec", ns, "wireguard-go", "-f", dev], {
    stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WG_PROCESS_FOREGROUND: "1", LOG_LEVEL: "verbose" } });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const inNs = (cmd: string) => sh(`ip netns exec ${ns} ${cmd}`);
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
    await gone;
    clearTimeout(t);
    fs.rmSync(path.join(SOCK_DIR, `${dev}.sock`), { force: true });
  };
  const alive = () => { if (proc.exitCode !== null) throw new Error(`wireguard-go ${dev} in ${ns} exited (${proc.exitCode}):\n${out}`); };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `persia-wg-${dev}-`));
  const keyFile = path.join(dir, "private.key");
  fs.writeFileSync(keyFile, keys.privateB64 + "\n", { mode: 0o600 });
  try {
    await waitFor(() => { alive(); return sh(`ip netns exec ${ns} wg show ${dev}`, { allowFail: true }).includes(`interface: ${dev}`); },
      10000, () => `wireguard-go to make ${dev} in ${ns}:\n${out}`, 50);
  } catch (e) {
    await stop();
    throw e;
  }
  const set = (peers: WgPeerConfig[]) => {
    const args = [`private-key ${keyFile}`, `listen-port ${opts.listenPort}`];
    for (const p of peers) {
      args.push(`peer ${b64(p.publicKey)}`);
      if (p.psk) { const f = path.join(dir, "psk"); fs.writeFileSync(f, b64(p.psk) + "\n", { mode: 0o600 }); args.push(`preshared-key ${f}`); }
      if (p.endpoint) args.push(`endpoint ${p.endpoint}`);
      args.push(`allowed-ips ${p.allowedIps.join(",")}`);
      if (p.keepalive !== undefined) args.push(`persistent-keepalive ${p.keepalive}`);
    }
    inNs(`wg set ${dev} ${args.join(" ")}`);
  };
  // Addresses without DAD (a WireGuard device has no neighbours); wireguard-go has been
  // "up" since it started, and `wg set` returns once its socket is bound. The first packet
  // may still be lost for about a second: a test resends, as WireGuard itself does.
  const up = (addrs: string[]) => {
    for (const a of addrs) inNs(`ip -6 addr add ${a} dev ${dev} nodad`);
    inNs(`ip link set ${dev} up`);
  };
  return {
    ns, dev, keys, listenPort: opts.listenPort, proc, set, up,
    route: (prefix) => inNs(`ip -6 route replace ${prefix} dev ${dev}`),
    dump: () => parseDump(inNs(`wg show ${dev} dump`)),
    log: () => out,
    stop: async () => { await stop(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

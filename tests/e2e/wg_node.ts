// A PersiaOS node and Linux's wireguard-go as the two ends of one WireGuard link (issue
// #13), for the end-to-end tests of tests/e2e/wg_linux*.test.ts and the bench: the node is
// `persia run` in a child process of the root namespace, as a person starts it, its status
// read back with `persia status --format json`; wireguard-go runs in namespace pwg<T>
// (tests/e2e/wireguard.ts). With `lan`, the node is a router with a TAP NIC moved into
// namespace pwg<T>l, whose Linux autoconfigures from the node's advertisements:
//   root ns: node wg0 [fd00:9a:T::1]:51820, echo fd00:9b:T::7   (tunnel prefix fd00:9b:T::/64)
//     ── veth pwa<T> ── pwb<T> fd00:9a:T::2, ns pwg<T>: wgt<T> fd00:9b:T::2
//   node lan (TAP ptl<T>, prefix fd00:9c:T::/64) ── ns pwg<T>l: SLAAC address in fd00:9c:T::/64,
//     and a route to fd00:9b:T::/64 via the node's link-local address
// Deliberately not here: assertions (the tests), captures (wg_capture.ts).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { Status, WgPeerStatus } from "../../loader/status/decode";
import { formatAddr, linkLocalFromMac } from "../../loader/ip6";
import { sh, shAsync } from "./linux";
import { persiaRun, RunningNode } from "./persia_run";
import { netns, underlay, startWireguardGo, wgKeys, tunnelAddr, Underlay, WgDevice, WgDump, WgKeys } from "./wireguard";
import { waitFor } from "../wait";

export const WG_PORT = 51820;
const KEEPALIVE = 1;                    // s: the node's persistent keepalive when it initiates

export interface WgNodeOptions {
  /** The node starts the handshake: its peer entry has the endpoint and a keepalive, and
   *  Linux is configured without an endpoint (it learns the node's). */
  nodeInitiates?: boolean;
  /** The node is a router with a TAP NIC into a LAN namespace of its own. */
  lan?: boolean;
}

export interface Lan { ns: string; dev: string; prefix: string; host: string }

export interface WgNode {
  tag: number;
  ns: string;                           // wireguard-go's namespace
  ul: Underlay;
  linux: WgDevice;
  /** wireguard-go's `wg show dump` once configured, before the node started. */
  linuxAtStart: WgDump;
  nodeKeys: WgKeys;
  echo: string;                         // echo.sabz.city's address on the node
  linuxAddr: string;                    // wireguard-go's tunnel address
  lan: Lan | null;
  /** `persia status --format json`, read from the node's socket. */
  status(): Status;
  /** `persia status`, the text a person reads. */
  statusText(): string;
  /** The node's only WireGuard peer (wireguard-go). */
  peer(): WgPeerStatus;
  /** Stops wireguard-go and starts it again with the same key and configuration. */
  restartLinux(): Promise<void>;
  logs(): string;
  close(): Promise<void>;
}

/** The node's MAC on the LAN, and the link-local address it makes of it (EUI-64). */
const lanMac = (tag: number) => { const h = tag.toString(16).padStart(4, "0"); return `02:00:5a:b2:${h.slice(0, 2)}:${h.slice(2)}`; };
const lanRouter = (tag: number) => formatAddr(linkLocalFromMac(Uint8Array.from(lanMac(tag).split(":"), (b) => parseInt(b, 16))));

function manifest(t: WgNode, dir: string, o: WgNodeOptions): string {
  const hex = t.tag.toString(16);
  const svc = path.join(ROOT, "build/wasm/services");
  const peerExtra = o.nodeInitiates ? `, endpoint: "[${t.ul.addrB}]:${WG_PORT}", keepalive: ${KEEPALIVE}` : "";
  const lan = t.lan ? `  - { name: lan, kind: tap, tap: { device: ${t.lan.dev} }, mac: "${lanMac(t.tag)}", prefixes: ["${t.lan.prefix}/64"] }\n` : "";
  return `
node: { name: wg${hex}.sabz.city, role: ${t.lan ? "router" : "server"}, key: ${dir}/node.key }
nics:
  - name: wg0
    kind: wireguard
    wireguard: { listen: "[${t.ul.addrA}]:${WG_PORT}" }
    prefixes: ["${tunnelAddr(t.tag, 0)}/64"]
    peers:
      - { key: "${t.linux.keys.publicB64}", addresses: ["${t.linuxAddr}/128"]${peerExtra} }
${lan}services:
  - { domain: echo.sabz.city, module: ${svc}/echo.wasm, addresses: ["${t.echo}"], ram: { min: 64KiB, max: 1MiB } }
`;
}

/** wg set on wireguard-go: the node as its one peer, reaching the tunnel prefix (and the
 *  LAN's), with the node's endpoint unless the node initiates; its address, and routes. */
function configureLinux(t: WgNode, o: WgNodeOptions): void {
  const allowed = [`${tunnelAddr(t.tag, 0)}/64`, ...(t.lan ? [`${t.lan.prefix}/64`] : [])];
  t.linux.set([{ publicKey: t.nodeKeys.public, allowedIps: allowed, ...(o.nodeInitiates ? {} : { endpoint: `[${t.ul.addrA}]:${WG_PORT}` }) }]);
  t.linux.up([`${t.linuxAddr}/64`]);
  if (t.lan) t.linux.route(`${t.lan.prefix}/64`);
}

/** The LAN host's SLAAC address in prefix, once it is out of DAD: the node's RA has come,
 *  and with it the default route back through the node. */
function slaac(lan: Lan): Promise<string> {
  return waitFor(async () => {
    const out = (await shAsync(`ip netns exec ${lan.ns} ip -6 -o addr show dev ${lan.dev} scope global`)).out;
    const m = new RegExp(`inet6 (${lan.prefix.replace(/::$/, ":")}[0-9a-f:]+)/64(?!.*tentative)`).exec(out);
    return m?.[1] ?? null;
  }, 20000, `${lan.ns} to configure an address in ${lan.prefix}/64 from the node's advertisements`, 200);
}

/** Builds both ends: wireguard-go first (so a node that initiates finds it), then the node. */
export async function wgNode(tag: number, o: WgNodeOptions = {}): Promise<WgNode> {
  const hex = tag.toString(16);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `persia-wgnode-${hex}-`));
  const nodeKeys = wgKeys();
  fs.writeFileSync(path.join(dir, "node.key"), nodeKeys.privateB64 + "\n", { mode: 0o600 });
  const lan: Lan | null = o.lan ? { ns: `pwg${hex}l`, dev: `ptl${hex}`, prefix: `fd00:9c:${hex}::`, host: "" } : null;
  const ns = netns(`pwg${hex}`);
  let run: RunningNode | null = null;
  let linux: WgDevice | null = null;
  const ul = underlay(tag, null, ns);
  const close = async () => {
    await run?.stop();
    await linux?.stop();
    sh(`ip netns del ${ns}`, { allowFail: true });
    if (lan) { sh(`ip netns del ${lan.ns}`, { allowFail: true }); sh(`ip link del ${lan.dev}`, { allowFail: true }); }
    ul.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    linux = await startWireguardGo(ns, `wgt${hex}`, { listenPort: WG_PORT });
    const sock = path.join(dir, `wg${hex}.sabz.city.sock`);
    const t: WgNode = {
      tag, ns, ul, linux, linuxAtStart: { publicKey: "", listenPort: 0, peers: [] }, nodeKeys, echo: tunnelAddr(tag, 7), linuxAddr: tunnelAddr(tag, 2), lan,
      status: () => JSON.parse(cli(["status", "--socket", sock, "--format", "json"])) as Status,
      statusText: () => cli(["status", "--socket", sock]),
      peer: () => {
        const peers = t.status().wgPeers;
        if (peers.length !== 1) throw new Error(`the node lists ${peers.length} WireGuard peers, not 1: ${JSON.stringify(peers)}`);
        return peers[0];
      },
      restartLinux: async () => {
        await linux!.stop();
        linux = t.linux = await startWireguardGo(ns, `wgt${hex}`, { listenPort: WG_PORT, keys: linux!.keys });
        configureLinux(t, o);
      },
      logs: () => `node:\n${run?.stderr().slice(-4000) ?? ""}\nwireguard-go:\n${linux?.log().slice(-4000) ?? ""}`,
      close,
    };
    configureLinux(t, o);
    t.linuxAtStart = linux.dump();
    if (lan) { sh(`ip link del ${lan.dev}`, { allowFail: true }); netns(lan.ns); }
    const file = path.join(dir, "node.yaml");
    fs.writeFileSync(file, manifest(t, dir, o));
    run = await persiaRun([file, "--socket-dir", dir], /(is running)/, "that the node is running");
    if (lan) {
      sh(`ip link set ${lan.dev} netns ${lan.ns} && ip netns exec ${lan.ns} ip link set ${lan.dev} up`);
      lan.host = await slaac(lan);
      // A router without a default route advertises router lifetime 0 (spec/manifest.md,
      // "ra"): the LAN host is told the way to the tunnel's prefix, as an admin would.
      sh(`ip netns exec ${lan.ns} ip -6 route replace ${tunnelAddr(tag, 0)}/64 via ${lanRouter(tag)} dev ${lan.dev}`);
    }
    return t;
  } catch (e) {
    await close();
    throw e;
  }
}

/** `persia <args>` (the CLI as built), its stdout; throws with its stderr on failure. */
export function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`persia ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface PingResult { sent: number; received: number; out: string }

/** ping -6 from ns: `count` echo requests, `extra` arguments (e.g. -I addr) before the address. */
export async function ping(ns: string, addr: string, count: number, extra = ""): Promise<PingResult> {
  const out = (await shAsync(`ip netns exec ${ns} ping -6 -c ${count} -i 0.2 -W 2 ${extra} ${addr}`)).out;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`ping from ${ns} to ${addr} printed no summary:\n${out}`);
  return { sent: Number(m[1]), received: Number(m[2]), out };
}

/** Pings until one is answered: the first packets start a handshake (and wireguard-go may
 *  drop one while it settles). */
export function answers(ns: string, addr: string, what: () => string, ms = 20000): Promise<true> {
  return waitFor(async () => (await ping(ns, addr, 1)).received === 1 || null, ms, () => `${addr} to answer a ping from ${ns}\n${what()}`, 100);
}

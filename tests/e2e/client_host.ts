// What the client role's end-to-end tests (issue #20) share: a client node on either host
// behind one small interface (status, log, stop), as tests/parity does; what a Linux peer
// sees of it (ping answered or not, which MAC Linux resolved an address to); and the few
// status facts the tests read (addresses with their RFC 4862 state, default routers),
// kept in one place so they follow loader/status/decode.ts as its client records land.
// Deliberately not here: the links (linux.ts, lan.ts), the router (radvd.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { queryStatus } from "../../cli/status_client";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { persiaRun } from "./persia_run";
import { parseAddr, equalBytes } from "../../loader/ip6";
import { Status } from "../../loader/status/decode";
import { shAsync } from "./linux";
import { imageOf, RunningImage } from "./wasmtime";
import { waitFor } from "../wait";

export interface ClientHost {
  status(): Promise<Status>;
  /** Every log line so far, one per line. */
  logs(): string;
  stop(): Promise<void>;
}

export async function bootNode(yaml: string): Promise<ClientHost> {
  const lines: string[] = [];
  const { node } = await launch(parseManifest(yaml, "client.yaml", ROOT), { log: (_l, line) => lines.push(line) });
  return { status: async () => { node.poll(); return node.status(); }, logs: () => lines.join("\n"), stop: async () => node.stop() };
}

export async function bootImage(yaml: string, wasmtime: string): Promise<ClientHost> {
  const file = path.join(os.tmpdir(), `persia-client-${process.pid}.wasm`);
  const { flags } = await imageOf(yaml, file);
  const run = new RunningImage(wasmtime, flags, file, ["--status-every", "100"]);
  await run.until(() => run.stderr.includes("is running"), 30000, "the image to boot");
  return { status: () => run.freshStatus(), logs: () => run.stderr, stop: () => run.stop() };
}

/** `persia run` inside network namespace ns (its TAP devices are made, or found, there):
 *  the log is its stderr, the status comes over its socket in dir as JSON. */
export async function runNodeIn(ns: string, yaml: string, name: string, dir: string): Promise<ClientHost> {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, yaml);
  const run = await persiaRun([file, "--socket-dir", dir], /(is running)/, "that the node is running", 30000, ns);
  const sock = path.join(dir, `${name}.sock`);
  return { status: async () => JSON.parse(await queryStatus(sock, "json")) as Status, logs: run.stderr, stop: run.stop };
}

// ---- What a Linux peer sees ----

/** One ping from ns: true when it was answered. `size` is ping's -s (data bytes: the packet
 *  is size + 48 bytes); with it, -M do keeps Linux from fragmenting. */
export async function pings(ns: string, addr: string, size?: number): Promise<boolean> {
  const s = size === undefined ? "" : `-s ${size} -M do `;
  const out = (await shAsync(`ip netns exec ${ns} ping -6 -c 1 -W 1 ${s}${addr}`)).out;
  return /1 packets transmitted, 1 received/.test(out);
}

/** Waits until addr answers a ping from ns. */
export async function answers(ns: string, addr: string, what: string, ms = 20000, logs?: () => string): Promise<void> {
  await waitFor(() => pings(ns, addr), ms, () => `${what} (${addr}) to answer a ping from ${ns}${logs ? `\nnode log:\n${logs().slice(-3000)}` : ""}`, 100);
}

/** Waits until addr no longer answers (ping's own wait is 1 s each time). */
export async function silent(ns: string, addr: string, what: string, ms = 30000): Promise<void> {
  await waitFor(async () => !(await pings(ns, addr)), ms, `${what} (${addr}) to stop answering pings from ${ns}`, 100);
}

/** The MAC Linux in ns has resolved addr to on dev, lower case, or null. */
export async function neighborMac(ns: string, dev: string, addr: string): Promise<string | null> {
  const out = (await shAsync(`ip netns exec ${ns} ip -6 neigh show ${addr} dev ${dev}`)).out;
  return /lladdr ([0-9a-f:]{17})/i.exec(out)?.[1].toLowerCase() ?? null;
}

/** Lines of the log that call addr a duplicate (the address in any IPv6 text form). */
export function duplicateLines(logs: string, addr: string): string[] {
  const want = parseAddr(addr);
  return logs.split("\n").filter((l) => /duplicate/i.test(l) && (l.match(/[0-9a-f]*:[0-9a-f:.]+/gi) ?? []).some((t) => {
    try { return equalBytes(parseAddr(t), want); } catch { return false; }
  }));
}

// ---- The status records of the client role (abi/status.ts ADDR, LEARNED, ROUTER) ----
// Read through loader/status/decode.ts; these views keep the tests' assertions short.

export interface AddrView { address: string; state: string; preferredLeft: number; validLeft: number; dadCounter: number }
export interface RouterView { address: string; chosen: boolean; mtu: number; lifetimeLeft: number; reachable: number; retrans: number }
export interface PrefixView { prefix: string; length: number; validLeft: number; preferredLeft: number }

const same = (a: string, b: string) => { try { return equalBytes(parseAddr(a), parseAddr(b)); } catch { return false; } };

export function addresses(s: Status): AddrView[] {
  return s.addresses.map((r) => ({ address: r.address, state: r.state, preferredLeft: r.preferredLeft, validLeft: r.validLeft, dadCounter: r.dadCounter }));
}

export function routers(s: Status): RouterView[] {
  return s.routers.map((r) => ({
    address: r.address, chosen: r.chosen, mtu: r.mtu, lifetimeLeft: r.lifetimeLeft, reachable: r.reachableMs, retrans: r.retransMs,
  }));
}

export function learnedPrefixes(s: Status): PrefixView[] {
  return s.learned.map((r) => ({ prefix: r.prefix, length: r.length, validLeft: r.validLeft, preferredLeft: r.preferredLeft }));
}

/** The state of addr in a status ("PREFERRED", …), or null when the node does not list it. */
export function stateOf(s: Status, addr: string): AddrView | null {
  return addresses(s).find((a) => same(a.address, addr)) ?? null;
}

/** Waits until addr has state in the node's status; returns its record. */
export async function untilState(h: ClientHost, addr: string, state: string, ms = 15000): Promise<AddrView> {
  let last: Status | null = null;
  return waitFor(async () => {
    last = await h.status();
    const a = stateOf(last, addr);
    return a && a.state === state ? a : null;
  }, ms, () => `${addr} to be ${state} in the node's status; it lists ${JSON.stringify(last ? addresses(last) : [])}`, 100);
}

// Helpers for end-to-end tests against real Linux peers: run commands, check that the
// tools exist (and fail under CI=true when they do not, instead of skipping), and build
// a network namespace whose VXLAN device is the node's peer, as spec/wire.md describes:
//   root ns: node's UDP socket [fd00:99:N::1]:4789 ── veth ── ns: fd00:99:N::2, vxlan "vxa"
import { spawnSync, spawn, ChildProcess } from "child_process";

export function sh(cmd: string, opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`\`${cmd}\` failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Run a command without blocking the event loop (the node under test runs in this
 *  process and must go on answering while, e.g., ping waits for it). */
export function shAsync(cmd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn("sh", ["-c", cmd], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout!.on("data", (d) => (out += d));
    p.stderr!.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code, out }));
  });
}

/** Why these end-to-end tests cannot run here, or null if they can. Under CI=true a
 *  missing tool is not a reason to skip: the caller fails instead. */
export function missing(tools: string[]): string | null {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "needs root (network namespaces)";
  const absent = tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (absent.length) return `missing ${absent.join(", ")} (run \`node tests/setup.js\` as root)`;
  return null;
}

export function skipOrFail(reason: string | null): string | false {
  if (reason === null) return false;
  if (process.env.CI === "true") throw new Error(`end-to-end test cannot run under CI: ${reason}`);
  console.log(`# skipped: ${reason}`);
  return reason;
}

export interface VxlanNs {
  ns: string;
  hostAddr: string;    // underlay address of the node's socket (root namespace)
  peerAddr: string;    // underlay address of the VXLAN device (inside ns)
  dev: string;         // the VXLAN device inside ns
  vni: number;
  close(): void;
}

/** A namespace with a VXLAN device (VNI vni) whose remote is the node's socket. `mac`
 *  sets the device's MAC; `quiet` keeps it from sending router solicitations. The device
 *  computes its own checksums (no tx offload): on a veth underlay Linux otherwise hands the
 *  node UDP whose checksum was left for a NIC to fill in (spec/image.md, "NICs"). */
export function vxlanNamespace(tag: number, vni: number, linuxAddr: string, opts: { mac?: string; quiet?: boolean } = {}): VxlanNs {
  const ns = `pe${tag}`, vh = `pvh${tag}`, vn = `pvn${tag}`;
  const net = `fd00:99:${tag.toString(16)}`;
  const hostAddr = `${net}::1`, peerAddr = `${net}::2`;
  const close = () => {
    sh(`ip netns del ${ns}`, { allowFail: true });
    sh(`ip link del ${vh}`, { allowFail: true });
  };
  close();
  try {
    sh(`ip netns add ${ns}`);
    sh(`ip link add ${vh} type veth peer name ${vn}`);
    sh(`ip link set ${vn} netns ${ns}`);
    sh(`ip -6 addr add ${hostAddr}/64 dev ${vh} nodad && ip link set ${vh} up`);
    const inNs = `ip netns exec ${ns}`;
    sh(`${inNs} ip link set lo up`);
    sh(`${inNs} ip -6 addr add ${peerAddr}/64 dev ${vn} nodad && ${inNs} ip link set ${vn} up`);
    sh(`${inNs} ip link add vxa type vxlan id ${vni} local ${peerAddr} remote ${hostAddr} dstport 4789`);
    if (opts.mac) sh(`${inNs} ip link set vxa address ${opts.mac}`);
    if (opts.quiet) sh(`${inNs} sysctl -qw net.ipv6.conf.vxa.router_solicitations=0`);
    sh(`${inNs} ethtool -K vxa tx off`, { allowFail: true });
    sh(`${inNs} ip -6 addr add ${linuxAddr} dev vxa nodad && ${inNs} ip link set vxa up`);
  } catch (e) {
    close();
    throw e;
  }
  return { ns, hostAddr, peerAddr, dev: "vxa", vni, close };
}

/** Start tshark inside ns on dev, writing to file; resolves once it is capturing. */
export function capture(ns: string, dev: string, file: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["netns", "exec", ns, "tshark", "-i", dev, "-w", file, "-q"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    const timer = setTimeout(() => reject(new Error(`tshark did not start capturing: ${err}`)), 15000);
    p.stderr!.on("data", (d) => {
      err += d;
      // tshark says "Capturing on" a moment before the capture really starts.
      if (/Capturing on/.test(err)) { clearTimeout(timer); setTimeout(() => resolve(p), 1000); }
    });
    p.on("exit", (code) => { clearTimeout(timer); reject(new Error(`tshark exited (${code}): ${err}`)); });
  });
}

export function stopCapture(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    p.removeAllListeners("exit");
    p.on("exit", () => resolve());
    setTimeout(() => p.kill("SIGINT"), 500);  // let the last frames reach the file
  });
}

/** Packets in a capture file that match a display filter. */
export function countMatching(file: string, filter: string): number {
  const out = sh(`tshark -r ${file} -Y '${filter}' -T fields -e frame.number 2>/dev/null`);
  return out.split("\n").filter((l) => l.trim() !== "").length;
}

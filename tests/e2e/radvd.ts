// Debian's radvd as the router of the client role's end-to-end tests (issue #20): a
// radvd.conf written from a small description, radvd run in the foreground inside a
// network namespace on one device, renumbered by rewriting its file and SIGHUP, stopped.
// The namespace forwards IPv6 (a router does; radvd warns otherwise, and Linux there then
// takes no configuration from the hostile RAs a test sends on the same link).
// Deliberately not here: the node, the link (linux.ts, lan.ts). Used by client*.test.ts.
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { sh } from "./linux";
import { waitFor } from "../wait";

/** Intervals short enough for a test: an RA every 3–4 s (radvd's least MinRtrAdvInterval
 *  is 3 s), besides the ones it sends at once in answer to a solicitation. */
export const MIN_INTERVAL = 3;
export const MAX_INTERVAL = 4;

export interface PrefixAd {
  prefix: string;            // "fd00:c1::/64"
  valid?: number;            // AdvValidLifetime, s (radvd's default 86400)
  preferred?: number;        // AdvPreferredLifetime, s (radvd's default 14400)
  autonomous?: boolean;      // AdvAutonomous (default on)
}

export interface RadvdConfig {
  mtu?: number;              // AdvLinkMTU (0 / absent: no MTU option)
  lifetime?: number;         // AdvDefaultLifetime, s
  reachable?: number;        // AdvReachableTime, ms
  retrans?: number;          // AdvRetransTimer, ms
  prefixes: PrefixAd[];
}

/** The radvd.conf text for dev. */
export function radvdConf(dev: string, c: RadvdConfig): string {
  const lines = [`interface ${dev} {`, "  AdvSendAdvert on;", `  MinRtrAdvInterval ${MIN_INTERVAL};`, `  MaxRtrAdvInterval ${MAX_INTERVAL};`];
  if (c.mtu) lines.push(`  AdvLinkMTU ${c.mtu};`);
  if (c.lifetime !== undefined) lines.push(`  AdvDefaultLifetime ${c.lifetime};`);
  if (c.reachable !== undefined) lines.push(`  AdvReachableTime ${c.reachable};`);
  if (c.retrans !== undefined) lines.push(`  AdvRetransTimer ${c.retrans};`);
  for (const p of c.prefixes) {
    const opts = [];
    if (p.valid !== undefined) opts.push(`AdvValidLifetime ${p.valid};`);
    if (p.preferred !== undefined) opts.push(`AdvPreferredLifetime ${p.preferred};`);
    if (p.autonomous === false) opts.push("AdvAutonomous off;");
    lines.push(`  prefix ${p.prefix} { ${opts.join(" ")} };`);
  }
  lines.push("};", "");
  return lines.join("\n");
}

export interface Radvd {
  proc: ChildProcess;
  /** The link-local address its RAs come from. */
  source: string;
  /** What radvd has logged (-d 1 to stderr). */
  log(): string;
  /** Rewrite radvd.conf and SIGHUP; resolves once radvd has read it again. */
  reload(c: RadvdConfig): Promise<void>;
  stop(): Promise<void>;
}

/** dev's link-local address in ns, once it has one that is not tentative (Linux adds it
 *  when the link has a carrier; until then radvd and rdisc6 find the network unreachable). */
export async function linkLocal(ns: string, dev: string): Promise<string> {
  return waitFor(() => {
    const out = sh(`ip netns exec ${ns} ip -6 -o addr show dev ${dev} scope link`);
    return out.split("\n").filter((l) => !/tentative/.test(l)).map((l) => /inet6 (fe80:[0-9a-f:]+)\//.exec(l)?.[1]).find((a) => a);
  }, 10000, `a link-local address on ${dev} in ${ns}`, 50);
}

/** radvd in ns on dev, its files in dir; resolves once it has started, with dev's
 *  link-local address ready (the source of its RAs). */
export async function startRadvd(ns: string, dev: string, c: RadvdConfig, dir: string): Promise<Radvd> {
  sh(`ip netns exec ${ns} sysctl -qw net.ipv6.conf.all.forwarding=1`);
  const source = await linkLocal(ns, dev);
  const conf = path.join(dir, `radvd-${ns}.conf`);
  const pid = path.join(dir, `radvd-${ns}.pid`);
  fs.writeFileSync(conf, radvdConf(dev, c), { mode: 0o644 });
  const proc = spawn("ip", ["netns", "exec", ns, "radvd", "-n", "-C", conf, "-p", pid, "-m", "stderr", "-d", "1"],
    { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const alive = () => { if (proc.exitCode !== null) throw new Error(`radvd in ${ns} exited (${proc.exitCode}):\n${err}`); };
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await gone;
  };
  try {
    await waitFor(() => { alive(); return /version \S+ started/.test(err); }, 10000, () => `radvd to start in ${ns}:\n${err}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const reload = async (next: RadvdConfig) => {
    alive();
    const seen = (err.match(/resuming normal operation/g) ?? []).length;
    fs.writeFileSync(conf, radvdConf(dev, next), { mode: 0o644 });
    proc.kill("SIGHUP");
    await waitFor(() => { alive(); return (err.match(/resuming normal operation/g) ?? []).length > seen; },
      10000, () => `radvd in ${ns} to reread its configuration:\n${err}`);
  };
  return { proc, source, log: () => err, reload, stop };
}

// Running the router benchmark's yardstick, tests/bench/tap_relay.c (built by `npm run build`
// to build/bench/tap_relay), for the benchmark (router.ts) and for its test
// (tap_relay.test.ts): whether it can run here, starting it between two TAPs, one side's
// namespace in front of it, and stopping it. Every wait on it is bounded.
import * as fs from "fs";
import { ChildProcess, spawn } from "child_process";
import { TAP_RELAY } from "../../cli/build";
import { sh } from "../e2e/linux";
import { within } from "../wait";

/** Why the relay cannot run on this machine, or null when it can. */
export function relayMissing(): string | null {
  if (process.platform !== "linux") return "TAP devices exist only on Linux";
  try { fs.accessSync(TAP_RELAY, fs.constants.X_OK); } catch {
    return `${TAP_RELAY} is missing or cannot be run (\`npm run build\` makes it where a C compiler, cc, is installed)`;
  }
  return null;
}

/** How the relay ended: its exit code (null: a signal, or it never ran) and what it printed
 *  to stderr (the counts, or why it failed). */
export interface RelayExit { code: number | null; err: string }

export class Relay {
  /** Resolves when the relay has exited. */
  readonly done: Promise<RelayExit>;

  private constructor(private readonly p: ChildProcess, done: Promise<RelayExit>) { this.done = done; }

  /** The relay between TAPs a and b (made if they do not exist), once it says "ready";
   *  throws (and kills it) if it does not within 5 s. macs: the relay's on a, on b, the
   *  peer's on a, on b. */
  static async start(a: string, b: string, macs: [string, string, string, string]): Promise<Relay> {
    const p = spawn(TAP_RELAY, [a, b, ...macs], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "", out = "";
    p.stderr!.on("data", (d) => (err += d));
    const done = new Promise<RelayExit>((resolve) => {
      p.on("error", (e) => resolve({ code: null, err: `${err}could not run ${TAP_RELAY}: ${e.message}` }));
      p.on("close", (code) => resolve({ code, err }));
    });
    const ready = await within(Promise.race([
      new Promise<boolean>((resolve) => p.stdout!.on("data", (d) => { out += d; if (/^ready$/m.test(out)) resolve(true); })),
      done.then(() => false),
    ]), 5000);
    if (ready !== true) {
      p.kill("SIGKILL");
      throw new Error(`the TAP relay did not start within 5 s: ${ready === "timeout" ? "no \"ready\"" : (await done).err.trim()}`);
    }
    return new Relay(p, done);
  }

  /** SIGTERM, then its exit within 3 s; throws (after SIGKILL) if it does not stop. */
  async stop(): Promise<RelayExit> {
    this.p.kill("SIGTERM");
    const d = await within(this.done, 3000);
    if (d === "timeout") { this.p.kill("SIGKILL"); throw new Error("the TAP relay did not stop within 3 s of SIGTERM"); }
    return d;
  }

  /** Whatever happened: no relay outlives its caller. */
  kill(): void {
    if (this.p.exitCode === null && this.p.signalCode === null) this.p.kill("SIGKILL");
  }
}

/** One side in front of the relay: TAP dev moved into a new namespace ns with MAC peerMac and
 *  address addr/64, its default route through gw, which is a permanent neighbour at relayMac
 *  (the relay answers no neighbour discovery). */
export function relaySide(ns: string, dev: string, addr: string, peerMac: string, gw: string, relayMac: string): void {
  const x = `ip netns exec ${ns}`;
  sh(`ip netns add ${ns} && ip link set ${dev} netns ${ns}`);
  sh(`${x} ip link set lo up && ${x} ip link set ${dev} address ${peerMac} && ${x} ip link set ${dev} up && ${x} ip -6 addr add ${addr}/64 dev ${dev} nodad`);
  sh(`${x} ip -6 route add default via ${gw} dev ${dev} && ${x} ip -6 neigh add ${gw} lladdr ${relayMac} dev ${dev} nud permanent`);
}

// `persia run <manifest> …` as a person starts it, for the end-to-end tests of the views
// it serves (spec/observe.md) and of the client role: the command in a child process (in
// a network namespace if one is named), its stderr kept, and the first match of `ready` in
// it (the address it printed) once it has printed it.
import { spawn } from "child_process";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { waitFor } from "../wait";

export interface RunningNode {
  /** The first group of `ready` in what the command printed. */
  found: string;
  stderr(): string;
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>;
}

export async function persiaRun(args: string[], ready: RegExp, what: string, timeoutMs = 30000, ns?: string): Promise<RunningNode> {
  const command = [process.execPath, path.join(ROOT, "build/ts/cli/cli.js"), "run", ...args];
  const proc = ns === undefined ? spawn(command[0], command.slice(1), { stdio: ["ignore", "ignore", "pipe"] })
    : spawn("ip", ["netns", "exec", ns, ...command], { stdio: ["ignore", "ignore", "pipe"] });
  const where = ns === undefined ? "" : ` in ${ns}`;
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await gone;
  };
  try {
    const found = await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`persia run${where} exited (${proc.exitCode}):\n${err}`);
      return ready.exec(err)?.[1];
    }, timeoutMs, () => `persia run${where} to print ${what}:\n${err}`);
    return { found, stderr: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

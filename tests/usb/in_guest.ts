// What a script running inside the USB test guest (guest.ts) uses to talk to the harness:
// `host(command)` asks for a QEMU monitor command (sendkey, device_del, device_add) and
// resolves with its output once the harness has run it; `say(key, value)` prints one result
// line the test parses ("USBT <section>.<key> <json>"); guest_main.ts runs the checks.
// Runs only in the guest, under Node; imports nothing of the node under test.
import * as fs from "fs";
import * as path from "path";

const HOST_IO = "/run/hostio";   // guest.ts HOST_IO
let asked = 0;
let prefix = "";

/** Results printed from now on are keyed "<name>.<key>". */
export function section(name: string): void {
  prefix = `${name}.`;
}

/** Prints one result line: USBT <section>.<key> <value as JSON>. */
export function say(key: string, value: unknown): void {
  process.stdout.write(`USBT ${prefix}${key} ${JSON.stringify(value)}\n`);
}

/** Runs a QEMU monitor command through the harness; its output. */
export async function host(command: string, ms = 20000): Promise<string> {
  const ack = path.join(HOST_IO, `ack-${asked++}`);
  process.stdout.write(`HOST: ${command}\n`);
  const until = Date.now() + ms;
  while (!fs.existsSync(ack)) {
    if (Date.now() > until) throw new Error(`the harness did not run "${command}" within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return fs.readFileSync(ack, "utf8");
}

/** Parses the guest's result lines: key → values in order. */
export function results(lines: string[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const line of lines) {
    const m = /USBT (\S+) (.*)$/.exec(line);
    if (m === null) continue;
    let v: unknown;
    try { v = JSON.parse(m[2]); } catch { continue; }
    out.set(m[1], [...(out.get(m[1]) ?? []), v]);
  }
  return out;
}

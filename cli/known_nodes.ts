// The nodes `persia ctl` has talked to and their keys, as ssh's known_hosts: one line per
// node address, "address ed25519:<base64>". A node's answers are signed by its key; the
// first answer from an address that is in no line and had no --node-key is taken on trust
// and its key written here; after that, an answer signed by another key is refused. The
// file is $PERSIA_KNOWN_NODES, else ~/.persia/known_nodes (tests point the variable at a
// file of their own). Used by cli/ctl.ts.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { publicKeyText } from "../loader/control/message";

export function knownNodesFile(): string {
  return process.env.PERSIA_KNOWN_NODES ?? path.join(os.homedir(), ".persia", "known_nodes");
}

function lines(): string[] {
  try { return fs.readFileSync(knownNodesFile(), "utf8").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")); } catch { return []; }
}

/** The key known for the node at addr, or null. */
export function knownKey(addr: string): Uint8Array | null {
  for (const l of lines()) {
    const [a, k] = l.trim().split(/\s+/);
    if (a === addr && k?.startsWith("ed25519:")) {
      const b = Buffer.from(k.slice(8), "base64");
      if (b.length === 32) return new Uint8Array(b);
    }
  }
  return null;
}

/** Remember key as the node at addr's (first use). */
export function rememberKey(addr: string, key: Uint8Array): void {
  const file = knownNodesFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${addr} ${publicKeyText(key)}\n`, { mode: 0o600 });
}

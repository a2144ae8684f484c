// `persia key`: make a key file or print a key file's public key. Two kinds: ed25519, a
// user's key for control messages (loader/control/message.ts; the public key as
// "ed25519:…" for the manifest's users:), and x25519, a WireGuard static key in the format
// of `wg genkey` (loader/wg/keys.ts; the public key as `wg pubkey` prints it, for a peer's
// `wg set … peer` and the manifest's peers:). `pub` reads an x25519 file unless told
// otherwise, since both kinds of file are one line of base64 of 32 bytes. Writes only to
// stdout (the public key) and stderr (what was done); never prints a private key.
// Called by cli/cli.ts.
import { newKeyFile, publicKeyText, readKeyFile } from "../loader/control/message";
import * as wg from "../loader/wg/keys";

export const KEY_KINDS = ["ed25519", "x25519"] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

/** The public key line to print for `action` on `file`; `say` is told what was written. */
export function keyCommand(action: "new" | "show" | "pub", file: string, kind: KeyKind | undefined, say: (s: string) => void): string {
  const k: KeyKind = kind ?? (action === "pub" ? "x25519" : "ed25519");
  if (k === "ed25519") {
    const key = action === "new" ? newKeyFile(file) : readKeyFile(file);
    if (action === "new") say(`persia: wrote ${file} (keep it secret). Put the public key in the node's manifest:\n`);
    return `${publicKeyText(key.publicKey)}\n`;
  }
  const make = `make one with \`persia key new --kind x25519 -o ${file}\``;
  const privateKey = action === "new" ? wg.newKeyFile(file) : wg.readKeyFile(file, make);
  if (action === "new") {
    say(`persia: wrote ${file} (mode 0600, keep it secret). Name it in the node's manifest (node: { key: ${file} }) ` +
      "and give this public key to its peers (`wg set <if> peer <key> …`, or a peers: entry of another node):\n");
  }
  return `${wg.encodeKey(wg.publicKeyOf(privateKey))}\n`;
}

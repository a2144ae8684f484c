// `persia sign`, `persia verify` and `persia key export --format wasmsign2`: modules signed
// in the WebAssembly tool-conventions format (spec/security.md, "Signed modules"), so that
// a module signed here passes `wasmsign2 verify` and one signed by wasmsign2 passes here
// and on a node. Keys: a PersiaOS key file (`persia key new`) or wasmsign2's own files.
// Checks with the loader's implementation (loader/modsig/verify.ts), which gives the same
// verdict and reason as the kernel. Messages are for a person. Called by cli/cli.ts.
import * as fs from "fs";
import { signModule } from "../loader/modsig/sign";
import { modsigProblem, Publisher, sha256 } from "../loader/modsig/verify";
import { readPublicKey, readSigningSeed, toWasmsign2Public, toWasmsign2Secret } from "../loader/modsig/keys";
import { keyFromSeed, publicKeyText } from "../loader/control/message";
import { loadManifest } from "../loader/manifest";

function readModule(file: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    throw new Error(`cannot read module ${file}: ${(e as Error).message}`);
  }
}

/** `persia sign module.wasm --key k [-o out]`: what to print. Without -o the module is
 *  signed in place (as its SHA-256 changes, a LOAD names it anew). */
export function signCommand(file: string, keyFile: string, out: string | undefined): string {
  const seed = readSigningSeed(keyFile);
  const signed = signModule(readModule(file), seed);
  const target = out ?? file;
  fs.writeFileSync(target, signed);
  const key = publicKeyText(keyFromSeed(seed).publicKey);
  return `signed ${target} with ${key} (tool-conventions signature; wasmsign2 verify accepts it)\n` +
    `sha256 ${Buffer.from(sha256(signed)).toString("hex")}\n` +
    `a node runs it when its manifest's domains: lists this key for the service's domain or a parent of it\n`;
}

/** `persia verify module.wasm (--key K | --manifest node.yaml) [--domain d]`: the verdict
 *  as text, and whether it passed. */
export function verifyCommand(file: string, keys: string[], manifest: string | undefined, domain: string | undefined): { text: string; ok: boolean } {
  if (keys.length === 0 && !manifest) throw new Error("name who must have signed it: --key ed25519:… (or a key file), or --manifest node.yaml");
  const m = readModule(file);
  let pubs: Publisher[] = keys.map((k) => ({ key: readPublicKey(k), domain: domain ?? "" }));
  let where = keys.length > 0 ? `the key${keys.length > 1 ? "s" : ""} given` : "";
  if (manifest) {
    const mf = loadManifest(manifest);
    if (!mf.domains) throw new Error(`${manifest} has no domains: section, so that node checks no signature; add one naming the publisher keys per domain`);
    pubs = [...pubs, ...mf.domains.flatMap((d) => d.publishers.map((key) => ({ key, domain: d.domain })))];
    where = `${where ? `${where} and ` : ""}the domains: of ${manifest}`;
  }
  const forDomain = domain ?? null;
  const why = modsigProblem(m, pubs, forDomain);
  const what = forDomain ? `for ${forDomain} ` : "";
  if (why === null) return { ok: true, text: `${file}: signature valid ${what}by ${where}\n` };
  return { ok: false, text: `${file}: refused ${what}by ${where}: ${why}\n` };
}

/** `persia key export k.key --format wasmsign2 -o prefix`: writes prefix.sk and prefix.pk
 *  in wasmsign2's formats (the secret one mode 0600); what to print. */
export function exportCommand(keyFile: string, prefix: string): string {
  const seed = readSigningSeed(keyFile);
  const sk = `${prefix}.sk`, pk = `${prefix}.pk`;
  for (const f of [sk, pk]) if (fs.existsSync(f)) throw new Error(`${f} exists already; a key file is never overwritten: name another -o`);
  fs.writeFileSync(sk, toWasmsign2Secret(seed), { mode: 0o600, flag: "wx" });
  fs.writeFileSync(pk, toWasmsign2Public(keyFromSeed(seed).publicKey), { flag: "wx" });
  return `wrote ${sk} (secret, mode 0600) and ${pk} for wasmsign2: \`wasmsign2 sign -k ${sk} -i in.wasm -o out.wasm\`, ` +
    `\`wasmsign2 verify -K ${pk} -i out.wasm\`\n`;
}

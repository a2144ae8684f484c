// `persia image` and `persia status --from`: the Node side of the wasmtime image. Builds an
// image from a manifest (loader/image/compose.ts) and prints how to run it; reads the
// status lines an image prints (abi/image.ts IMG_STATUS_PREFIX) back into the same Status
// the Node host reports, so one formatter (loader/status: format.ts, metrics.ts) serves both.
// Does not run wasmtime (tests/e2e/wasmtime.ts does, for the tests).
import * as fs from "fs";
import * as path from "path";
import { IMG_HOST_PREFIX, IMG_STATUS_PREFIX } from "../abi/image";
import { composeImage, Image, wasmtimePin } from "../loader/image/compose";
import { loadManifest } from "../loader/manifest";
import { WASM_DIR } from "../hosts/node/paths";
import { decodeStatus, Status } from "../loader/status/decode";

export function readBuilt(what: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}. Run \`persia build\` (or \`npm run build\`) first.`);
  }
}

export const SHIM_WASM = path.join(WASM_DIR, "shim.wasm");
export const KERNEL_WASM = path.join(WASM_DIR, "kernel.wasm");

/** Writes the image of `manifest` to `out`; returns what to tell the user. */
export async function buildImage(manifest: string, out: string): Promise<string> {
  const image = await composeImage(loadManifest(manifest), {
    kernel: readBuilt("the kernel", KERNEL_WASM),
    shim: readBuilt("the WASI shim", SHIM_WASM),
  });
  // A WireGuard NIC's private key, or the node's identity seed, is in the boot manifest
  // inside: the image is a key file.
  const sealed = image.plan.nics.filter((n) => n.wireguard);
  const identity = image.plan.node.identity !== undefined;
  const secret = sealed.length > 0 || identity;
  fs.writeFileSync(out, image.bytes, secret ? { mode: 0o600 } : {});
  if (secret) fs.chmodSync(out, 0o600);
  const vxlan = image.plan.nics.length - sealed.length;
  const lines = [
    `persia: wrote ${out} (${image.bytes.length} bytes): node ${image.plan.node.name}, ` +
      `${image.plan.services.length} service(s), ${vxlan} VXLAN NIC(s), ${sealed.length > 0 ? `${sealed.length} WireGuard NIC(s), ` : ""}` +
      `${image.plan.disks.length} disk(s)`,
    ...(sealed.length > 0 ? [`  it holds the private key of ${sealed.map((n) => n.name).join(", ")} (mode 0600): keep it as secret as the key file`] : []),
    ...(identity ? [`  it holds the node's identity seed (node.identity, ${image.plan.node.identity}; mode 0600): keep it as secret as the seed file`] : []),
    ...storeLines(image),
    `  kernel.wasm sha256 ${image.kernelSha256} (unchanged inside the image)`,
    `  boot manifest sha256 ${image.bootSha256}`,
    `Run it with wasmtime ${wasmtimePin().version} (python3 -m pip install ${wasmtimePin().pip}):`,
    ...mkdirLine(image),
    `  wasmtime ${image.wasmtimeFlags.map(shellWord).join(" ")} ${shellWord(out)} [--for <ms>] [--status-every <ms>] [--quiet] [--capture]`,
    "Status: the image prints `status <base64>` lines on stdout; `persia status --from <file>` shows the last one.",
    `Capture: with --capture it prints a \`capture\` line per packet; \`persia capture --from <file> --manifest ${shellWord(manifest)} -o out.pcapng\` writes them for Wireshark.`,
  ];
  return lines.join("\n") + "\n";
}

/** A word as a POSIX shell reads it back: as it is when it has no special character, else
 *  in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_.\/:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The command that makes the disks' directories, for an image with disks: wasmtime stops
 *  with a bare "No such file or directory" at a --dir that does not exist. */
function mkdirLine(image: Image): string[] {
  if (image.diskDirs.length === 0) return [];
  return [`  mkdir -p ${image.diskDirs.map(shellWord).join(" ")}    # each --dir must exist; the image creates missing disk files`];
}

/** One line per store entry (manifest store:): the service ids a LOAD of its module may get. */
function storeLines(image: Image): string[] {
  const ids = image.slots.filter((s) => !s.boot);
  return image.plan.store.map((e) => {
    const mine = ids.splice(0, e.slots);
    return `  store ${path.basename(e.modulePath)}: service id(s) ${mine.map((s) => s.id).join(", ")}, RAM up to ` +
      `${e.ramMaxPages * 64} KiB, sha256 ${Buffer.from(mine[0].hash).toString("hex")}`;
  });
}

/** The last whole status line in an image's output, decoded, with the host's NIC counters
 *  of the line before it; throws if there is none. */
export function statusFromOutput(output: string): Status {
  const text = output.replace(/\r\n/g, "\n");   // a serial console (the metal host) ends lines with \r\n
  const lines = text.slice(0, text.lastIndexOf("\n") + 1).split("\n");
  const at = lines.map((l) => l.startsWith(IMG_STATUS_PREFIX)).lastIndexOf(true);
  if (at < 0) {
    throw new Error("no status line in that output: run a wasmtime image with `--status-every <ms>` (or `--for <ms>`, " +
      "which prints one at the end) and save its stdout, or a metal image with `status-every=<ms>` (or `for=<ms>`) on its " +
      "command line and save its serial console");
  }
  return statusFromLines(lines[at], at > 0 && lines[at - 1].startsWith(IMG_HOST_PREFIX) ? lines[at - 1] : null);
}

/** One `status <base64>` line, decoded, with what its `status-host <json>` line (the one
 *  printed just before it, or null) adds: the host's NIC counters and each service's
 *  memory now. Throws on a line that is not a status line or does not decode. */
export function statusFromLines(statusLine: string, hostLine: string | null): Status {
  if (!statusLine.startsWith(IMG_STATUS_PREFIX)) throw new Error(`not a status line: ${statusLine.slice(0, 40)}`);
  const s = decodeStatus(Buffer.from(statusLine.slice(IMG_STATUS_PREFIX.length).trim(), "base64"));
  if (hostLine === null) return s;
  const host = JSON.parse(hostLine.slice(IMG_HOST_PREFIX.length)) as {
    nics: NonNullable<Status["host"]>["nics"]; services?: { id: number; ram_pages: number }[] };
  s.host = { nics: host.nics };
  for (const svc of s.services) {
    const pages = host.services?.find((x) => x.id === svc.id)?.ram_pages;
    const grant = s.grants.find((g) => g.service === svc.id);
    if (pages !== undefined) svc.ramPages = pages;
    if (grant !== undefined) svc.ramMaxPages = grant.ramMaxPages;
  }
  return s;
}

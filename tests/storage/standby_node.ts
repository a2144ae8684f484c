// A Node-host node that starts when told, for the crash test (crash.test.ts): run as
// `node standby_node.js <manifest>`, it loads the host's code and binaryen at once, then
// waits for a line on stdin, then boots the manifest with launch() — the PersiaNode,
// disks, NICs and kernel that `persia run` boots — and prints "running" on stdout. The
// test starts the next node's process while the current one is under load, so a cycle
// does not wait for module loading (about a second of CPU here); only the boot itself
// (metering kv, opening the disk and the TAP) lies between a SIGKILL and the next check.
// Not a CLI: no status socket, logs go to stderr.
import { launch } from "../../hosts/node/launch";
import { loadManifest } from "../../loader/manifest";
import { loadBinaryen } from "../../loader/instrument/binaryen";

async function main(): Promise<void> {
  const file = process.argv[2];
  const m = loadManifest(file);
  await loadBinaryen();
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  await launch(m, { log: (level, line) => { if (level <= 2) process.stderr.write(`${line}\n`); } });
  process.stdout.write("running\n");
}

main().catch((e) => {
  process.stderr.write(`standby node: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

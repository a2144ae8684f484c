// `persia run --metrics/--dashboard` as a person meets its mistakes (spec/observe.md): a
// bad address or a dashboard with no address is refused before the node boots; a port
// in use stops the node it booted and leaves no status socket behind, saying where the
// address came from; an address that is not loopback is served with a warning.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { freePorts } from "../ports";
import { persiaRun } from "../e2e/persia_run";
import { waitFor } from "../wait";

const CLI = path.join(ROOT, "build/ts/cli/cli.js");

async function setup(observe = "") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-run-views-"));
  const [a, b] = await freePorts(2);
  const file = path.join(dir, "node.yaml");
  fs.writeFileSync(file, `
node: { name: views.sabz.city, role: server }
${observe}
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[::1]:${a}", remote: "[::1]:${b}", vni: 5 } }
services:
  - { domain: echo.sabz.city, module: ${path.join(ROOT, "build/wasm/services/echo.wasm")}, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
`);
  return { dir, file, sockets: path.join(dir, "sock") };
}

function run(args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [CLI, "run", ...args], { encoding: "utf8", timeout: 30000 });
  return { code: r.status, err: r.stderr };
}

test("a bad address, and a dashboard without one, are refused before the node boots", async () => {
  const { dir, file, sockets } = await setup();
  try {
    for (const [args, why] of [[["--metrics", "[::1]:99999"], /"\[::1\]:99999" is not an address to listen on; write it as \[::1\]:9464/],
      [["--dashboard"], /--dashboard needs an HTTP address to be served on: give --metrics ADDR/]] as const) {
      const r = run([file, "--socket-dir", sockets, ...args]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, why);
      assert.doesNotMatch(r.err, /is running/, "refused before boot");
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a port in use stops the booted node, removes its status socket, and says where the address came from", async () => {
  const held = net.createServer().listen(0, "::1");
  await new Promise((r) => held.once("listening", r));
  const port = (held.address() as net.AddressInfo).port;
  const { dir, file, sockets } = await setup(`observe: { metrics: "[::1]:${port}" }`);
  try {
    const r = run([file, "--socket-dir", sockets]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, new RegExp(`cannot serve metrics on \\[::1\\]:${port}: something else listens there; choose another port ` +
      `\\(the address came from observe\\.metrics in the manifest\\)`));
    assert.deepEqual(fs.readdirSync(sockets), [], "no status socket left behind");
  } finally {
    held.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an address that is not loopback is served, with a warning that says who can read it", async () => {
  const { dir, file, sockets } = await setup();
  const node = await persiaRun([file, "--socket-dir", sockets, "--metrics", ":0"], /metrics of views\.sabz\.city: (http:\/\/\S+)\/metrics/,
    "its metrics address");
  try {
    assert.match(node.found, /^http:\/\/\[::\]:\d+$/);
    await waitFor(() => /is not a loopback address: anyone who can reach it reads this node's counters, domains and log/.test(node.stderr()),
      10000, () => `the warning:\n${node.stderr()}`);
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

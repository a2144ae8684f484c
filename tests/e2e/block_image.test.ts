// Block signals in the wasmtime image, as tests/integration/block.test.ts shows them on the
// Node host (issue #15: the kernel checks certificates and block signals on every host). A
// router image with an identity key and echo.sabz.city, owned by alice, behind a Linux
// namespace over VXLAN; everything else is done from the namespace, as a user would, with
// `persia`: `persia ctl certs` shows echo's certificate held by alice's key and issued by the
// image's; `persia ctl cert` certifies the namespace's own address to a host key; a BLOCK
// signed by another key is refused (EACCES, exit 1) and installs nothing; alice's BLOCK of
// one of the namespace's two addresses drops that address's pings to echo at ingress
// (BLOCKED) while the other's pass, `persia status --from` the image's output shows the
// filter and the drops, and after its 10 s the pings pass again. Needs root, iproute2, ping,
// ethtool and wasmtime; under CI=true a missing one fails the file.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { addressFromMac, formatAddr, parseAddr, parseMac } from "../../loader/ip6";
import { missing, sh, shAsync, skipOrFail, vxlanNamespace, VxlanNs } from "./linux";
import { imageOf, RunningImage, wasmtimeOrSkip } from "./wasmtime";
import { statusFromOutput } from "../../cli/image";

const skipLinux = skipOrFail(missing(["ip", "ping", "ethtool"]));
const wt = skipLinux ? { file: "", skip: skipLinux } : wasmtimeOrSkip();

const NODE_MAC = "02:00:00:00:00:01";
const NODE = formatAddr(addressFromMac(parseAddr("fd00:5ab2:1::"), parseMac(NODE_MAC)));   // the router on vx0
const ECHO = "fd00:5ab2:1::7";
const A = "fd00:5ab2:1::100";   // the namespace's first address: never blocked
const B = "fd00:5ab2:1::101";   // its second: alice blocks it
// The filter's life. The steps between asking for it and the first address's pings (a CLI
// start, a status with a drop, three pings) must fit inside it: on a loaded CI machine they
// took over 4 s, so it is 10, and the wait for the status is capped at a quarter of it.
const SECONDS = 10;
const INTERVAL_S = 0.05;        // the watching ping's interval
const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

function manifest(vx: VxlanNs, identity: string, alice: string): string {
  return `
node: { name: edge.sabz.city, role: router, identity: ${identity} }
nics:
  - { name: vx0, kind: vxlan, mac: "${NODE_MAC}", prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[${vx.hostAddr}]:4789", remote: "[${vx.peerAddr}]:4789", vni: ${vx.vni} } }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
users:
  - { name: alice, key: "${alice}", domains: [sabz.city] }
`;
}

/** `persia <args>` in the namespace, as its user runs it: exit status and output. */
async function persia(vx: VxlanNs, args: string): Promise<{ code: number | null; out: string }> {
  // Trust on first use, in a file of this run's (each image boots with a key of its own).
  const known = path.join(os.tmpdir(), `persia-known-${process.pid}-${Date.now()}-${Math.random()}`);
  const r = await shAsync(`ip netns exec ${vx.ns} env PERSIA_KNOWN_NODES=${known} ${process.execPath} ${path.join(ROOT, "cli/bin/persia.js")} ${args}`);
  fs.rmSync(known, { force: true });
  return { code: r.code, out: r.out.split("\n").filter((l) => !l.startsWith("note: first answer")).join("\n") };
}

async function pings(vx: VxlanNs, from: string, count: number): Promise<number> {
  const r = await shAsync(`ip netns exec ${vx.ns} ping -6 -c ${count} -i 0.2 -W 1 -I ${from} ${ECHO}`);
  return Number((/(\d+) received/.exec(r.out) ?? [])[1] ?? 0);
}

/** A ping from B every INTERVAL_S until stopped: when each reply came, and when ping saw
 *  each request unanswered (-O: as it sent the next), in Unix seconds (-D). */
class Watch {
  readonly replies: { seq: number; at: number }[] = [];
  readonly lost: { seq: number; at: number }[] = [];
  private readonly proc;
  private rest = "";
  constructor(vx: VxlanNs) {
    this.proc = spawn("ip", ["netns", "exec", vx.ns, "ping", "-6", "-D", "-O", "-n", "-i", String(INTERVAL_S), "-I", B, ECHO],
      { stdio: ["ignore", "pipe", "ignore"] });
    this.proc.stdout!.on("data", (d) => {
      const text = this.rest + d;
      this.rest = text.slice(text.lastIndexOf("\n") + 1);
      for (const line of text.slice(0, text.length - this.rest.length).split("\n")) {
        const m = /^\[(\d+\.\d+)\] (?:.*icmp_seq=(\d+) ttl|no answer yet for icmp_seq=(\d+))/.exec(line);
        if (m) (m[2] ? this.replies : this.lost).push({ seq: Number(m[2] ?? m[3]), at: Number(m[1]) });
      }
    });
  }
  stop(): void {
    if (this.proc.exitCode === null) this.proc.kill("SIGINT");
  }
}

test("block signals in the wasmtime image: certs, a refused BLOCK, alice's BLOCK drops one source at ingress until it expires",
  { skip: wt.skip, timeout: 120000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-block-image-"));
    const vx = vxlanNamespace(0x100 + ((process.pid + 13) % 0xe00), 4315, `${A}/64`, { mac: "02:00:00:00:00:99", quiet: true });
    let run: RunningImage | null = null;
    let watch: Watch | null = null;
    try {
      sh(`ip netns exec ${vx.ns} ip -6 addr add ${B}/64 dev ${vx.dev} nodad`);
      const key = (name: string) => {
        const file = path.join(dir, `${name}.key`);
        const made = sh(`${process.execPath} ${path.join(ROOT, "cli/bin/persia.js")} key new -o ${file}`).trim();
        assert.equal(sh(`${process.execPath} ${path.join(ROOT, "cli/bin/persia.js")} key show ${file}`).trim(), made);
        return { file, pub: made };
      };
      const router = key("router"), alice = key("alice"), mallory = key("mallory");
      const image = path.join(dir, "node.wasm");
      const { flags } = await imageOf(manifest(vx, router.file, alice.pub), image);
      run = new RunningImage(wt.file, flags, image, ["--status-every", "100"]);
      await run.until(() => run!.stderr.includes("is running"), 30000, "the image to boot");

      // The chain of echo's address: one certificate, alice's, issued by the image's key.
      const certs = await persia(vx, `ctl certs ${ECHO} --node ${NODE} --key ${alice.file}`);
      assert.equal(certs.code, 0, certs.out);
      assert.match(certs.out, /^ok: /);
      const lines = certs.out.split("\n").filter((l) => l.startsWith("  "));
      assert.equal(lines.length, 1, certs.out);
      assert.ok(lines[0].startsWith(`  ${ECHO}/128 held by ${alice.pub}, issued by ${router.pub}, until `),
        `held by alice, issued by the router's identity:\n${certs.out}`);

      // A host's own address: `persia ctl cert` certifies the address it asks from (Linux picks
      // it among the namespace's) to the host's key, and `certs` hands that chain to anyone.
      const host = key("host");
      const cert = await persia(vx, `ctl cert --node ${NODE} --key ${host.file}`);
      assert.equal(cert.code, 0, cert.out);
      const mine = new RegExp(`^  (\\S+)/128 held by ${esc(host.pub)}, issued by ${esc(router.pub)}, until `, "m").exec(cert.out);
      assert.ok(mine, `the host's certificate:\n${cert.out}`);
      t.diagnostic(`persia ctl cert certified ${mine[1]}`);
      assert.ok(sh(`ip netns exec ${vx.ns} ip -6 addr show dev ${vx.dev}`).includes(`inet6 ${mine[1]}/`), `${mine[1]} is the namespace's`);
      const its = await persia(vx, `ctl certs ${mine[1]} --node ${NODE} --key ${alice.file}`);
      assert.match(its.out, new RegExp(`^  ${mine[1]}/128 held by ${esc(host.pub)}, issued by ${esc(router.pub)}`, "m"));

      assert.equal(await pings(vx, A, 2), 2, "echo answers the first address");
      assert.equal(await pings(vx, B, 2), 2, "echo answers the second address");

      // A key that does not hold echo's address: refused, nothing installed.
      const refused = await persia(vx, `ctl block --to ${ECHO} --from ${B} --for ${SECONDS} --node ${NODE} --key ${mallory.file}`);
      assert.equal(refused.code, 1, refused.out);
      assert.match(refused.out, /^refused, EACCES .*not signed by the key the destination's certificate names/);
      let s = await run.freshStatus();
      assert.deepEqual([s.filters?.active, s.filters?.refused], [0, 1], "nothing installed; one request refused");
      const blockedBefore = s.drops.BLOCKED ?? 0;

      watch = new Watch(vx);
      const w = watch;
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(w.replies.length >= 5, `the watching ping is answered before the block: ${JSON.stringify(w)}`);
      const asked = Date.now() / 1000;
      const block = await persia(vx, `ctl block --to ${ECHO} --from ${B} --for ${SECONDS} --node ${NODE} --key ${alice.file}`);
      const answered = Date.now() / 1000;
      assert.equal(block.code, 0, block.out);
      assert.match(block.out, new RegExp(`^ok: .*1 filters installed, 0 refreshed, for ${SECONDS} s`));
      // The output the image's user reads below: from a status that shows the filter and a
      // ping of the watch dropped by it (the first status after the answer may come before
      // the next watching ping does).
      const blockedNow = (st: ReturnType<typeof statusFromOutput>) => (st.drops.BLOCKED ?? 0) - blockedBefore;
      await run.until(() => { const st = statusFromOutput(run!.stdout); return st.filters?.active === 1 && blockedNow(st) > 0; },
        SECONDS * 250, "a status with the filter active and a BLOCKED drop");
      const during = path.join(dir, "during.txt");
      fs.writeFileSync(during, run.stdout);
      const ms = (at: number) => ((at - asked) * 1000).toFixed(0);   // since the block was asked
      const timeline = () => `asked at 0, answered at ${ms(answered)} ms, now ${ms(Date.now() / 1000)} ms; the filter lasts ${SECONDS * 1000} ms`;
      assert.equal(await pings(vx, A, 3), 3, `the first address still reaches echo (${timeline()})`);
      assert.ok(Date.now() / 1000 < asked + SECONDS, `while the filter lasts (it was installed after \`asked\`): ${timeline()}`);

      // Wait for the filter to run out and the watching ping to be answered again.
      const back = () => w.replies.find((r) => r.at > answered + 1);
      const end = Date.now() + (SECONDS + 5) * 1000;
      while (!back() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      w.stop();
      const again = back();
      assert.ok(again, `pings from ${B} pass again after ${SECONDS} s (${timeline()}): the last replies ${JSON.stringify(w.replies.slice(-5))}`);
      const last = w.replies.filter((r) => r.seq < again.seq).pop()!;
      const lost = again.seq - last.seq - 1;
      assert.ok(last.at < answered && lost > 0,
        `the last reply before the block (seq ${last.seq}, at ${ms(last.at)} ms) came before the answer; ${timeline()}`);
      assert.ok(again.at >= asked + SECONDS - 0.02 && again.at <= answered + SECONDS + 0.5,
        `the first reply after the block (seq ${again.seq}) came at ${ms(again.at)} ms; ${timeline()}`);
      t.diagnostic(`persia ctl block took ${((answered - asked) * 1000).toFixed(0)} ms; the last ping answered before ` +
        `it was sent ${((answered - last.at) * 1000).toFixed(0)} ms before its answer, the next ${INTERVAL_S * 1000} ms later was lost; ` +
        `pings pass again ${((again.at - answered) * 1000).toFixed(0)} ms after the answer; ${lost} pings lost`);

      s = await run.freshStatus();
      assert.deepEqual([s.filters?.active, s.filters?.expired, s.filters?.installed], [0, 1, 1], "the filter ran out");
      // Each lost request is one BLOCKED drop; Linux may add a unicast neighbor probe of echo from B.
      const blocked = (s.drops.BLOCKED ?? 0) - blockedBefore;
      assert.ok(blocked >= lost && blocked <= lost + 3, `BLOCKED ${blocked}: the ${lost} lost pings (seq ${last.seq + 1} to ${again.seq - 1})`);

      // What the image's user sees: the filter and the drops, from the output saved during the block.
      assert.equal(statusFromOutput(fs.readFileSync(during, "utf8")).filters?.active, 1);
      const shown = await persia(vx, `status --from ${during}`);
      assert.equal(shown.code, 0, shown.out);
      assert.match(shown.out, /Block filters: 1 active, 1 installed, 0 refreshed, 0 expired, 0 removed, 1 requests refused, .*; 3 signing keys remembered\n/,
        "the host's and mallory's keys count among the signers: their signatures verified, though they hold no filter");
      const row = new RegExp(`${ECHO} +${B}/128 +any +(\\d+) s`).exec(shown.out);
      assert.ok(row && Number(row[1]) <= SECONDS, `the filter's row, with at most ${SECONDS} s left:\n${shown.out}`);
      assert.match(shown.out, /^ *[1-9]\d* +BLOCKED /m, "BLOCKED drops");
    } finally {
      watch?.stop();
      await run?.stop();
      vx.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

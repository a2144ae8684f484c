// The drops between the network and the services, and of what services send
// (spec/kernel.md, "Services"; kernel/svc/queue.ts and syscall.ts), on a real node with
// echo and the hostile test services trap and sender (tests/services/): a packet for a
// service that is restarting (SVC_DOWN), a burst past a service's queue (SVC_QUEUE_FULL),
// a spoofed source (SVC_SRC), an oversize send (TOO_BIG) and bytes that are not a packet
// (SVC_MALFORMED). Each counts exactly its
// packets, and echo still answers.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { parseAddr } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Bench, PING_ID, svc } from "./bench";
import { SVC_RXQ } from "../../abi/limits";

const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const TRAP = parseAddr("fd00:5ab2:1::9");
const SENDER = parseAddr("fd00:5ab2:1::5");

const YAML = `
node: { name: services.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
${svc("trap.sabz.city", "build/wasm/tests/trap.wasm", "fd00:5ab2:1::9")}
${svc("sender.sabz.city", "build/wasm/tests/sender.wasm", "fd00:5ab2:1::5")}
`;

const command = (dst: Uint8Array, text: string) => P.udp(PEER, dst, 40009, 9, new TextEncoder().encode(text));

describe("a server with echo, trap and sender: service drops", () => {
  let b: Bench;
  before(async () => {
    b = await Bench.boot(YAML, [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }]);
    assert.ok(await b.introduce("lan0", ECHO), "the node advertises echo's address");
  });
  after(() => b?.close());

  function send(pkt: Uint8Array): void {
    b.peer("lan0").sendIp(b.nodeMac("lan0"), pkt);
  }

  it("SVC_DOWN: a ping to trap while it restarts after a crash, from a peer and from a service", async () => {
    assert.ok(await b.ping("lan0", TRAP), "trap answers before the crash");
    const before = b.drops();
    send(command(TRAP, "crash"));
    assert.ok(await b.until(() => b.service("trap.sabz.city").state === "RESTARTING", 20), "trap faulted");
    await b.dropped(before, {});
    const faulted = b.now;
    assert.equal(await b.ping("lan0", TRAP, 20), false, "no reply from a restarting service");
    await b.dropped(before, { SVC_DOWN: 1 });
    b.logs.length = 0;
    send(command(SENDER, "to trap.sabz.city"));
    assert.ok(await b.until(() => b.logs.some((l) => l.includes("sender: to trap.sabz.city")), 20));
    await b.dropped(before, { SVC_DOWN: 2 });
    assert.ok(b.logs.includes(`sender.sabz.city: sender: to trap.sabz.city failed=-${Errno.EHOSTUNREACH}`),
      "a send to a restarting service is dropped and the sender is told (queue.ts)");
    assert.ok(await b.ping("lan0", ECHO), "echo answers meanwhile");
    assert.ok(b.now - faulted < 100n && b.service("trap.sabz.city").state === "RESTARTING", "all within the restart window");
    assert.deepEqual(b.peer("lan0").received.filter((p) => p.icmpType! < 128).length, 0, "no ICMPv6 error for SVC_DOWN");
    assert.ok(await b.until(() => b.service("trap.sabz.city").state === "RUNNING", 200), "trap restarted");
    assert.ok(await b.ping("lan0", TRAP), "trap answers again");
  });

  it("SVC_QUEUE_FULL: 70 pings to echo before a poll; 64 are queued and answered, 6 dropped", async () => {
    await b.tick(10);
    b.peer("lan0").received.length = 0;
    const before = b.drops();
    const rx = b.service("echo.sabz.city").rxPackets;
    for (let seq = 1; seq <= 70; seq++) send(P.echoRequest(PEER, ECHO, PING_ID + 1, seq, Uint8Array.of(seq)));
    await b.deliver();
    assert.equal(b.service("echo.sabz.city").queue, SVC_RXQ, "echo's queue is full before any poll");
    const isReply = (p: P.Parsed) => p.icmpType === P.ICMP.ECHO_REP && p.icmpWord! >>> 16 === PING_ID + 1;
    await b.dropped(before, { SVC_QUEUE_FULL: 70 - SVC_RXQ });
    await b.until(() => b.peer("lan0").received.filter(isReply).length >= SVC_RXQ, 50);
    const replies = (await b.quiet(b.peer("lan0"))).filter(isReply);
    assert.deepEqual(replies.map((p) => p.icmpWord! & 0xffff), Array.from({ length: SVC_RXQ }, (_, i) => i + 1),
      "the first 64 are answered, in order");
    assert.ok(replies.every((p) => p.checksumOk));
    assert.equal(b.service("echo.sabz.city").rxPackets - rx, SVC_RXQ);
    assert.ok(await b.ping("lan0", ECHO));
  });

  /** sender's command is refused with -errno and counted under reason (and as a refused
   *  send); nothing reaches the link, and echo still answers. */
  async function refusedCommand(cmd: string, reason: string, errno: Errno): Promise<void> {
    await b.tick(10);
    b.peer("lan0").received.length = 0;
    const before = b.drops();
    const refused = b.service("sender.sabz.city").sendRefused;
    send(command(SENDER, cmd));
    await b.dropped(before, { [reason]: 1 });
    assert.equal(b.service("sender.sabz.city").sendRefused - refused, 1);
    assert.ok(b.logs.includes(`sender.sabz.city: sender: ${cmd} send=-${errno}`));
    assert.deepEqual(await b.quiet(b.peer("lan0")), [], "nothing reaches the link");
    assert.ok(await b.ping("lan0", ECHO));
  }

  it("SVC_SRC: sender's spoofed source (2001:db8::bad) is refused with -EADDRNOTAVAIL and never leaves", async () => {
    await refusedCommand("spoof", "SVC_SRC", Errno.EADDRNOTAVAIL);
  });

  for (const cmd of ["na", "ra", "hop255"]) {
    it(`SVC_LINK_CONTROL: sender's ${cmd} (the link's control plane is the kernel's) is refused with -EPERM and never leaves`, async () => {
      await refusedCommand(cmd, "SVC_LINK_CONTROL", Errno.EPERM);
    });
  }

  it("TOO_BIG: sender's 2000-byte packet for a 1500-byte link is refused with -EMSGSIZE", async () => {
    await refusedCommand("big", "TOO_BIG", Errno.EMSGSIZE);
  });

  it("SVC_MALFORMED: sender's datagram with hop limit 0, which could reach no one, is refused with -EINVAL", async () => {
    await refusedCommand("hop0", "SVC_MALFORMED", Errno.EINVAL);
  });

  it("SVC_MALFORMED: sender's 30 bytes that are not an IPv6 packet are refused with -EINVAL", async () => {
    await refusedCommand("malformed", "SVC_MALFORMED", Errno.EINVAL);
  });
});

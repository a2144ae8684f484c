// Syscalls from a hostile service (issue #10, "Proof"): k_sys with random syscall numbers
// and arguments biased to edges (zero, negative, the end of memory, huge lengths), called
// as kv and sender and as ids that are none; echo is the witness that the others go on
// (a service may revoke its own capabilities and so silence itself, not another). To reach past the argument
// checks it also plays along now and then: packets — valid, mutated, from the service's
// own address or another's, the link's control plane among them — are placed in the
// service's memory and sent by their pointer and length, and handles that cap_find and
// cap_derive returned are passed back to the cap and disk calls (revoke gets derived ones). Throughout: no trap,
// nothing malformed sent by the kernel, the node and echo answer pings; at the end no
// buffer is lost, however many a service sent and left queued.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { Sys } from "../../abi/syscalls";
import { parseAddr } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { announce, SCALE } from "./rng";
import { corpus, mutate } from "./corpus";
import { drained, healthy, withFuzzNode } from "./node";

const CALLS = 200_000 * SCALE;
const NUMBERS = Sys.COUNT + 2;     // every syscall, and two that are none (ENOSYS)

it(`${CALLS} random syscalls from the services: no trap, nothing malformed sent, pings answered, no buffer lost`, async () => {
  const r = announce("syscalls");
  const packets = corpus().map((f) => f.subarray(14));
  await withFuzzNode(async (f) => {
    const b = f.b, host = b.node.services, sys = b.node.kernel.sys;
    const ids = b.node.status().services.filter((s) => s.name !== "echo.sabz.city").map((s) => s.id);
    const own = new Map(b.node.status().routes.filter((x) => x.kind === "SERVICE").map((x) => [x.service, parseAddr(x.prefix.split("/")[0])]));
    const handles = new Map<number, number[]>(ids.map((id) => [id, []]));   // cap_find's and cap_derive's
    const derived = new Map<number, number[]>(ids.map((id) => [id, []]));   // cap_derive's only: revoke takes these
    const ok = new Array(NUMBERS).fill(0);
    for (let i = 0; i < CALLS; i++) {
      const svc = r.int(20) === 0 ? r.pick([-1, 15, 16, 255, 1 << 20]) : r.pick(ids);
      const mem = host.memoryOf(svc);
      const size = mem?.length ?? 65536;
      const a = [r.arg(size), r.arg(size), r.arg(size), r.arg(size), r.arg(size)];
      const nr = r.int(NUMBERS);
      if (mem && nr === Sys.SEND && r.int(2) === 0) {          // a packet at a place, sent by its pointer and length
        let pkt = r.int(2) === 0 ? r.pick(packets) : mutate(r, P.ether(new Uint8Array(6), new Uint8Array(6), P.ETH_IPV6, r.pick(packets))).subarray(14);
        pkt = Uint8Array.from(pkt.subarray(0, 1600));
        if (pkt.length >= 24 && r.int(3) !== 0 && own.has(svc)) pkt.set(own.get(svc)!, 8);
        a[0] = r.int(Math.max(1, size - pkt.length));
        mem.set(pkt, a[0]);
        a[1] = pkt.length;
      }
      const known = handles.get(svc);
      const along = r.int(2) === 0;                            // half the time, arguments a call could succeed with
      if (along && nr === Sys.CAP_FIND) { a[0] = r.int(4); a[1] = r.int(3); }
      const pool = nr === Sys.CAP_REVOKE ? derived.get(svc) : known;    // a service that revokes its roots only silences itself
      if (along && pool && pool.length > 0 && nr >= Sys.CAP_INFO && nr <= Sys.DISK_FLUSH) a[0] = r.pick(pool);
      if (along && (nr === Sys.DISK_READ || nr === Sys.DISK_WRITE)) { a[1] = r.int(1 << 20); a[2] = 0; a[3] = r.int(size - 4096); a[4] = r.int(4097); }
      const rv = sys(svc, nr, a[0], a[1], a[2], a[3], a[4]);
      if (rv >= 0) ok[nr]++;
      if (rv >= 0 && (nr === Sys.CAP_FIND || nr === Sys.CAP_DERIVE) && known) known.push(rv);
      if (rv >= 0 && nr === Sys.CAP_DERIVE) derived.get(svc)?.push(rv);
      if (i % 500 === 499) { await b.tick(r.int(3) === 0 ? 100 : 1); b.peer("lan0").received.length = 0; b.peer("lan1").received.length = 0; }
      if (i % 10_000 === 9_999) await healthy(f, `${i + 1} syscalls`);
    }
    console.log(`fuzz syscalls: succeeded, by number: ${ok.map((n, i) => `${Sys[i] ?? i}:${n}`).join(" ")}`);
    for (const nr of [Sys.SEND, Sys.CAP_FIND, Sys.CAP_INFO, Sys.DISK_READ]) {
      assert.ok(ok[nr] > 0, `some ${Sys[nr]} calls succeeded: the fuzzer reached past the argument checks`);
    }
    await drained(f);
  });
});

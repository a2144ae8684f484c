// The demo's traffic, as a list of checks: what the peer sends, what must come back, and
// for packets that must be dropped, which drop counter must move. Each check waits for
// its answer (or for the counter) with a timeout, so a missing reply is a failed check,
// never a hang. Also used by tests/hosts/demo.test.ts.
import { HostPlan } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { PersiaNode } from "../../hosts/node/node";
import { Peer } from "../peer/peer";
import * as P from "../peer/packets";

export interface Check { what: string; ok: boolean; detail: string }

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until a drop counter has grown by at least n, or ms pass. */
async function dropped(node: PersiaNode, reason: string, before: number, n = 1, ms = 500): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const now = Number(node.status().drops[reason] ?? 0);
    if (now - before >= n || Date.now() - t0 > ms) return now - before;
    await sleep(5);
  }
}

export async function runChecks(node: PersiaNode, peer: Peer, plan: HostPlan, serviceLog: () => string[]): Promise<Check[]> {
  const checks: Check[] = [];
  const nodeMac = parseMac(plan.nics[0].mac);
  const addr = (domain: string) => parseAddr(plan.services.find((s) => s.domain === domain)!.addresses[0]);

  for (const s of plan.services) {
    const a = parseAddr(s.addresses[0]);
    const mac = await peer.resolve(a);
    checks.push({ what: `neighbor discovery for ${s.domain}`, ok: mac !== null && P.equalBytes(mac, nodeMac),
      detail: mac ? `answered with ${plan.nics[0].mac}` : "no advertisement" });
  }

  for (const domain of ["echo.sabz.city", "probe.sabz.city"]) {
    let replies = 0;
    for (let seq = 1; seq <= 3; seq++) {
      peer.sendIp(nodeMac, P.echoRequest(peer.addr, addr(domain), 0x5ab2, seq, enc.encode("persia-demo")));
      const r = await peer.expect((p) => p.icmpType === P.ICMP.ECHO_REP && p.checksumOk === true &&
        P.equalBytes(p.src, addr(domain)) && (p.icmpWord! & 0xffff) === seq);
      if (r) replies++;
    }
    checks.push({ what: `ping ${domain}`, ok: replies === 3, detail: `${replies}/3 echo replies` });
  }

  peer.sendIp(nodeMac, P.udp(peer.addr, addr("echo.sabz.city"), 40000, 7, enc.encode("hello, echo")));
  const u = await peer.expect((p) => p.dport === 40000 && p.sport === 7);
  checks.push({ what: "UDP echo, port 7, echo.sabz.city", ok: !!u && dec.decode(u.data) === "hello, echo" && u.checksumOk === true,
    detail: u ? `"${dec.decode(u.data)}" came back` : "no reply" });

  const kv = async (req: string): Promise<string> => {
    peer.sendIp(nodeMac, P.udp(peer.addr, addr("kv.sabz.city"), 40001, 7070, enc.encode(req)));
    const r = await peer.expect((p) => p.dport === 40001 && p.sport === 7070);
    return r ? dec.decode(r.data) : "(no reply)";
  };
  const put = await kv("PUT city sabz");
  const get = await kv("GET city");
  checks.push({ what: "kv.sabz.city PUT then GET (on its disk extent)", ok: put === "OK" && get === "VALUE sabz",
    detail: `${put}, ${get}` });

  await bad(checks, node, peer, nodeMac, addr("echo.sabz.city"));

  const t0 = Date.now();
  while (!serviceLog().some((l) => l.includes("probe: reply from echo.sabz.city")) && Date.now() - t0 < 3000) await sleep(20);
  const line = serviceLog().find((l) => l.includes("probe: reply from echo.sabz.city"));
  checks.push({ what: "service to service: probe.sabz.city pings echo", ok: !!line,
    detail: line ? line.replace(/^probe\.sabz\.city: /, "") : "no reply logged within 3 s" });
  return checks;
}

/** Packets that must be dropped, each for its own reason. */
async function bad(checks: Check[], node: PersiaNode, peer: Peer, nodeMac: Uint8Array, echo: Uint8Array): Promise<void> {
  const good = P.echoRequest(peer.addr, echo, 1, 1, enc.encode("x"));
  const cases: { what: string; reason: string; frame: Uint8Array; answer?: (p: P.Parsed) => boolean }[] = [
    { what: "truncated IPv6 header (20 bytes)", reason: "IP_SHORT",
      frame: P.ether(nodeMac, peer.mac, P.ETH_IPV6, good.subarray(0, 20)) },
    { what: "IP version 4 in an IPv6 frame", reason: "IP_VERSION",
      frame: P.ether(nodeMac, peer.mac, P.ETH_IPV6, Uint8Array.from(good, (b, i) => (i === 0 ? 0x45 : b))) },
    { what: "payload length past the end", reason: "IP_LENGTH",
      frame: P.ether(nodeMac, peer.mac, P.ETH_IPV6, Uint8Array.from(good, (b, i) => (i === 4 ? 0x05 : b))) },
    { what: "IPv4 packet", reason: "ETHERTYPE_IPV4",
      frame: P.ether(nodeMac, peer.mac, 0x0800, new Uint8Array(40).fill(0x45, 0, 1)) },
    { what: "oversize frame (1600 bytes on MTU 1500)", reason: "FRAME_OVERSIZE",
      frame: P.ether(nodeMac, peer.mac, P.ETH_IPV6, P.echoRequest(peer.addr, echo, 1, 2, new Uint8Array(1538))) },
    { what: "unknown destination 2001:db8::1", reason: "NO_ROUTE",
      frame: P.ether(nodeMac, peer.mac, P.ETH_IPV6, P.echoRequest(peer.addr, parseAddr("2001:db8::1"), 1, 3, enc.encode("x"))),
      answer: (p) => p.icmpType === P.ICMP.UNREACH && p.checksumOk === true },
    { what: "frame for another station's MAC", reason: "NOT_OUR_MAC",
      frame: P.ether(parseMac("02:00:00:00:00:99"), peer.mac, P.ETH_IPV6, good) },
  ];
  for (const c of cases) {
    const before = Number(node.status().drops[c.reason] ?? 0);
    peer.send(c.frame);
    const n = await dropped(node, c.reason, before);
    let detail = n >= 1 ? `dropped: ${c.reason}` : `not counted as ${c.reason}`;
    let ok = n >= 1;
    if (c.answer) {
      const a = await peer.expect(c.answer);
      ok = ok && !!a;
      detail += a ? ", ICMPv6 destination unreachable came back" : ", no ICMPv6 error came back";
    }
    checks.push({ what: c.what, ok, detail });
  }
}

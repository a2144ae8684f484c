// A signed-control-message client for the integration tests (spec/control.md): it sends
// requests as the bench's peer on lan0 to the node's own address, signs them with tweetnacl
// keys (loader/control/message.ts) and the user's next sequence number, and decodes the
// kernel's answer. Also the users the tests sign as, a node with a disk in a temporary
// directory, and what status says a service was granted. Used by control.test.ts and
// authority.test.ts; builds no packet but the UDP datagram around a message.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CTL_PORT, Op } from "../../abi/control";
import { parseAddr, addressFromMac, parseMac } from "../../loader/ip6";
import { parseManifest } from "../../loader/manifest";
import { keyFromSeed, hello, signed, decodeReply, Reply, UserKey } from "../../loader/control/message";
import { CTL_KEY } from "../../abi/control";
import { loadRequest, grantRequest } from "../../loader/control/request";
import { ROOT } from "../../hosts/node/paths";
import * as P from "../../cli/peer/packets";
import { Bench, withBench } from "./bench";

export const MAC = "02:00:00:00:00:01";
export const NODE = addressFromMac(parseAddr("fd00:5ab2:1::"), parseMac(MAC));
export const PEER = parseAddr("fd00:5ab2:1::100");
export const PEERS = [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }];
export const ALICE = keyFromSeed(new Uint8Array(32).fill(1));
export const BOB = keyFromSeed(new Uint8Array(32).fill(2));
export const MALLORY = keyFromSeed(new Uint8Array(32).fill(3));
const KNOWN: UserKey[] = [ALICE, BOB, MALLORY];

/** Let askNode open answers to requests signed (or claimed) by key. */
export function knowUser(key: UserKey): void { if (!KNOWN.includes(key)) KNOWN.push(key); }

/** The test key whose public key msg carries: the answer is sealed to it. */
export function userOf(msg: Uint8Array): UserKey {
  const k = KNOWN.find((u) => P.equalBytes(u.publicKey, msg.subarray(CTL_KEY, CTL_KEY + 32)));
  if (!k) throw new Error("the request's key is none of the test users' (knowUser)");
  return k;
}

/** Send msg as a UDP datagram from src, port sport, by the peer on nic, to the control
 *  port of the node's address `node`; its reply (checksum and source checked, opened with
 *  the key of the request's user and checked against nodeKey, if given), or null when
 *  none came within ms. */
export async function askNode(b: Bench, nic: string, src: Uint8Array, node: Uint8Array, sport: number, msg: Uint8Array,
  ms = 50, nodeKey: Uint8Array | null = null): Promise<Reply | null> {
  const peer = b.peer(nic);
  peer.sendIp(b.nodeMac(nic), P.udp(src, node, sport, CTL_PORT, msg));
  const f = await b.frame(peer, (p) => p.sport === CTL_PORT && p.dport === sport, ms);
  if (!f) return null;
  assert.equal(f.checksumOk, true, "the reply's UDP checksum");
  assert.ok(P.equalBytes(f.src, node), "the reply comes from the address the request went to");
  return decodeReply(f.data!, { user: userOf(msg), request: msg, node: nodeKey });
}

export class Ctl {
  private port = 41000;
  private seqs = new Map<UserKey, bigint>();
  readonly manifest;
  constructor(readonly b: Bench, yaml: string) { this.manifest = parseManifest(yaml, "ctl.yaml", ROOT); }

  /** Send raw UDP payload to the control port from `from` (the peer's address by default);
   *  the reply, or null. */
  raw(msg: Uint8Array, ms = 50, from = PEER): Promise<Reply | null> {
    return askNode(this.b, "lan0", from, NODE, ++this.port, msg, ms);
  }

  /** The node's answer in clear to a first HELLO from `from`: its epoch and that address's
   *  cookie. */
  async hello(from = PEER): Promise<Reply> { return (await this.raw(hello(ALICE.publicKey), 50, from))!; }

  /** HELLO with the cookie of `from`: the sealed answer, with key's last sequence number. */
  async sealedHello(key: UserKey = ALICE, from = PEER): Promise<Reply> {
    const h = await this.hello(from);
    return (await this.raw(hello(key.publicKey, h.cookie), 50, from))!;
  }

  /** A signed request with the user's next sequence number, the node's epoch and the
   *  peer's cookie. The clock moves 250 ms first: more than the source's budget of checks
   *  needs to refill one (kernel/param.ts CTL_SRC_PER_S), as a person typing would. */
  async send(user: UserKey, op: Op, body: Uint8Array): Promise<Reply> {
    const seq = (this.seqs.get(user) ?? 0n) + 1n;
    this.seqs.set(user, seq);
    await this.b.tick(250);
    const h = await this.hello();
    const r = await this.raw(signed(op, h.epoch, seq, user, body, h.cookie));
    assert.ok(r, "the node answered");
    assert.equal(r.seq, seq);
    return r;
  }

  load(user: UserKey, yaml: string) { return this.send(user, Op.LOAD, loadRequest(yaml, "load.yaml", ROOT, this.manifest).body); }
  grant(user: UserKey, yaml: string) { return this.send(user, Op.GRANT, grantRequest(yaml, "grant.yaml", ROOT, this.manifest).body); }
}

/** A service entry of a LOAD request: echo (or `module`) at addr, with `extra` YAML fields. */
export function svcYaml(domain: string, addr: string, extra = "", module = "build/wasm/services/echo.wasm"): string {
  return `{ domain: ${domain}, module: ${module}, addresses: ["${addr}"], ram: { min: 128KiB, max: 256KiB }${extra} }`;
}

/** A node from yaml(disk), with a 1 MiB-sized disk file in a fresh temporary directory. */
export async function withCtl(yaml: (disk: string) => string, body: (c: Ctl, b: Bench) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-ctl-"));
  const disk = path.join(dir, "data.img");
  try {
    await withBench(yaml(disk), PEERS, (b) => body(new Ctl(b, yaml(disk)), b));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What status says service `domain` was granted. */
export function granted(b: Bench, domain: string) {
  const id = b.service(domain).id;
  const g = b.node.status().grants.find((x) => x.service === id);
  assert.ok(g, `grants of ${domain} in status`);
  return g;
}

// kv.sabz.city (services/kv) against the fake kernel of tests/sdk/guest.ts, with one or
// two Buffers as its disk extents: a request helper, the slot layout of spec/services.md
// read back from the bytes (its own code, sharing nothing with the service), and a
// CRC-32C computed bit by bit (checked against RFC 3720's vectors in format.test.ts).
// Used by tests/kv/*.test.ts.
import * as assert from "node:assert/strict";
import { Guest, GuestOptions } from "../sdk/guest";
import { udp, udpText, checksumOk } from "../sdk/packets";

export const WASM = "build/wasm/services/kv.wasm";
export const SLOT = 1024;
const KV = "2001:db8::70";
const KV_HEX = "20010db8000000000000000000000070";
const CLIENT = "2001:db8::1";

/** A request to kv from the client's port, as a packet (for several in one call). */
export function udpTo(req: string, port: number): Buffer {
  return udp(CLIENT, KV, port, 7070, req);
}

export interface Kv {
  g: Guest;
  ask(req: string): string;
  /** Advance the fake clock by ms and run the event the timer asked for. */
  wait(ms: number): void;
}

/** Start kv on the given extents (one: single copy, two: a mirror). */
export function kv(disks: Buffer[], o: Partial<GuestOptions> = {}): Kv {
  let now = 0;
  const g = new Guest(WASM, { addrs: [KV_HEX], disks, now: () => now, ...o });
  let port = 40000;
  return {
    g,
    ask(req: string): string {
      const before = g.sent.length;
      g.deliver(udp(CLIENT, KV, port++ & 0xffff || 1, 7070, req));
      assert.equal(g.sent.length, before + 1, `no reply to ${req}`);
      const r = g.sent[g.sent.length - 1];
      assert.ok(checksumOk(r), "reply checksum");
      return udpText(r);
    },
    wait(ms: number): void {
      now += ms;
      g.event();
    },
  };
}

/** CRC-32C, one bit at a time (RFC 3720 B.4: reflected 0x82f63b78). */
export function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return h;
}

export interface Record { slot: number; state: number; key: string; value: string; seq: bigint }

/** The records of a disk image whose check holds (empty and torn slots left out). */
export function records(disk: Buffer): Record[] {
  const out: Record[] = [];
  for (let i = 1; i < disk.readUInt32LE(12); i++) {
    const s = disk.subarray(i * SLOT, (i + 1) * SLOT);
    if (s.every((x) => x === 0) || s.readUInt32LE(1020) !== crc32c(s.subarray(0, 1020))) continue;
    out.push({
      slot: i, state: s[0], key: s.toString("latin1", 16, 16 + s[1]),
      value: s.toString("latin1", 80, 80 + s.readUInt16LE(2)), seq: s.readBigUInt64LE(8),
    });
  }
  return out;
}

// The requests waiting for the disk: a ring of QUEUE_MAX fixed entries, oldest first. An
// entry keeps what its answer needs: the request's IPv6 and UDP headers (to answer from the
// address it was sent to, to its sender's address and port), the parsed request, and a
// WRITE's data. The head is the request in flight. Nothing is allocated. Used by main.ts.
import * as udp from "../sdk/udp";
import { UNIT_MAX } from "./disk";

/** Requests held at once, the one in flight included; beyond it a request gets "ERR busy". */
export const QUEUE_MAX: i32 = 8;

// Entry layout: headers [udp.DATA], op u32, lba u32, part i32, length i32, data [UNIT_MAX].
const E_HDR: i32 = 0;
const E_OP: i32 = udp.DATA;
const E_LBA: i32 = E_OP + 4;
const E_PART: i32 = E_LBA + 4;
const E_LEN: i32 = E_PART + 4;
const E_DATA: i32 = E_LEN + 4;
const E_SIZE: i32 = E_DATA + UNIT_MAX;

const RING = memory.data(QUEUE_MAX * E_SIZE);
let first: i32 = 0;
let count: i32 = 0;

export function empty(): bool { return count == 0; }
export function full(): bool { return count == QUEUE_MAX; }

/** Append a request (the caller checked full()); rx is the received packet. */
export function push(rx: usize, op: i32, lba: u32, part: i32, data: usize, len: i32): void {
  let e = entry((first + count) % QUEUE_MAX);
  memory.copy(e + E_HDR, rx, <usize>udp.DATA);
  store<i32>(e + E_OP, op);
  store<u32>(e + E_LBA, lba);
  store<i32>(e + E_PART, part);
  store<i32>(e + E_LEN, len);
  memory.copy(e + E_DATA, data, <usize>len);
  count++;
}

/** Drop the head (it has been answered). */
export function pop(): void {
  first = (first + 1) % QUEUE_MAX;
  count--;
}

/** The head's fields. */
export function head(): usize { return entry(first); }
export function headers(e: usize): usize { return e + E_HDR; }
export function op(e: usize): i32 { return load<i32>(e + E_OP); }
export function lba(e: usize): u32 { return load<u32>(e + E_LBA); }
export function part(e: usize): i32 { return load<i32>(e + E_PART); }
export function len(e: usize): i32 { return load<i32>(e + E_LEN); }
export function data(e: usize): usize { return e + E_DATA; }

function entry(i: i32): usize { return RING + <usize>(i * E_SIZE); }

// WireGuard's constants (the whitepaper §6.1 and wireguard-go's device/constants.go), the
// Noise construction's names, and the small hashing helpers every part of kernel/wg uses.
// Times are in the kernel's ms.
import { blake2s, blake2sInit, blake2sUpdate, blake2sFinal } from "../crypto/blake2s";
import { WG_KEY, WG_MAC } from "../../wire/layout/wireguard";

export const REKEY_AFTER_MESSAGES: u64 = (<u64>1) << 60;
export const REJECT_AFTER_MESSAGES: u64 = U64.MAX_VALUE - ((<u64>1) << 13);  // 2^64 − 2^13 − 1 is the last one sent
export const REKEY_AFTER_TIME: i64 = 120_000;
export const REJECT_AFTER_TIME: i64 = 180_000;
export const REKEY_ATTEMPT_TIME: i64 = 90_000;
export const REKEY_TIMEOUT: i64 = 5_000;
export const KEEPALIVE_TIMEOUT: i64 = 10_000;
export const COOKIE_REFRESH_TIME: i64 = 120_000;
export const HANDSHAKE_INITIATION_RATE: i64 = 20;    // ms: initiations from one peer closer than this are a flood
export const REKEY_TIMEOUT_JITTER_MAX: i64 = 334;    // ms of jitter on each handshake retransmission
export const MAX_TIMER_HANDSHAKES: i32 = <i32>(REKEY_ATTEMPT_TIME / REKEY_TIMEOUT);
export const UNDER_LOAD_AFTER_TIME: i64 = 1_000;     // ms the node stays "under load" after it was

// When the node is under load (wg/cookie.ts): handshake messages past mac1 are counted in a
// bucket of this rate and size; past half of it, a message without a valid mac2 gets a
// cookie reply (whitepaper §5.3), and one with a valid mac2 is limited per source.
export const HANDSHAKES_PER_S: i32 = 100;
export const HANDSHAKE_BURST: i32 = 40;
export const SOURCE_PER_S: i32 = 20;     // wireguard-go's ratelimiter: per source /64 (or IPv4 address)
export const SOURCE_BURST: i32 = 5;
export const SOURCE_MAX: i32 = 64;       // sources remembered; the least recently refilled makes room

export const STAGED_MAX: i32 = 8;        // packets held per peer while its handshake completes
export const STAGED_NODE_MAX: i32 = 64;  // ... and over all peers (of the pool's 512 buffers)

// UTF-8 bytes of the names the construction hashes.
export const CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
export const IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";
export const LABEL_MAC1 = "mac1----";
export const LABEL_COOKIE = "cookie--";

const LABEL: usize = memory.data(64, 8);

/** out = HASH(a ‖ b): BLAKE2s-256 over two pieces. out may be a. */
export function hash2(out: usize, a: usize, an: i32, b: usize, bn: i32): void {
  blake2sInit(WG_KEY, 0, 0);
  blake2sUpdate(a, an);
  blake2sUpdate(b, bn);
  blake2sFinal(out);
}

/** out = HASH(label ‖ key): the mac1 and cookie keys of a public key. */
export function labelled(out: usize, label: string, key: usize): void {
  let n = String.UTF8.encodeUnsafe(changetype<usize>(label), label.length, LABEL);
  hash2(out, LABEL, <i32>n, key, WG_KEY);
}

/** out = MAC(key, p[0..n)): keyed BLAKE2s-128. */
export function mac(out: usize, key: usize, keyLen: i32, p: usize, n: i32): void {
  blake2s(out, WG_MAC, key, keyLen, p, n);
}

/** The hash and chaining key every handshake starts from: Ci = HASH(CONSTRUCTION),
 *  Hi = HASH(Ci ‖ IDENTIFIER). Computed once. */
export const CHAIN0: usize = memory.data(WG_KEY, 8);
export const HASH0: usize = memory.data(WG_KEY, 8);
let ready = false;

export function protoInit(): void {
  if (ready) return;
  let n = String.UTF8.encodeUnsafe(changetype<usize>(CONSTRUCTION), CONSTRUCTION.length, LABEL);
  blake2s(CHAIN0, WG_KEY, 0, 0, LABEL, <i32>n);
  n = String.UTF8.encodeUnsafe(changetype<usize>(IDENTIFIER), IDENTIFIER.length, LABEL);
  hash2(HASH0, CHAIN0, WG_KEY, LABEL, <i32>n);
  ready = true;
}

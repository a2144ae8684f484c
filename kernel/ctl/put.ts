// Modules delivered over the network (spec/control.md "Module transfer (PUT)"). A user's
// signed PUT names a module by SHA-256, its size and the domain it is for; the kernel
// checks the user may act on the domain and has quota left, asks the host to stage the
// bytes (mod_stage) and answers with a transfer id from the host's randomness. CHUNKs are
// not signed (one ed25519 check each would cost ~2 ms): control.ts has checked the cookie
// of their source (the sender receives there), and here they must name a live transfer's
// id; each is written through to the host (mod_write), and its answer's text says what is
// held (control.ts sends it, sealed, only for chunks that ask, within a budget).
// When the last chunk arrives the kernel reads the staged module back (mod_read), checks
// its SHA-256 and the publisher's signature for the domain, and only then has the host
// commit it (mod_commit); any failure discards the staged bytes. An on-path attacker who
// sees an id can make a transfer fail, never store a byte the PUT's signer did not name.
// Bounded: PUT_MAX transfers, MODULE_MAX bytes each, forgotten after PUT_IDLE_S idle;
// STORED_MAX (user, module) pairs for the per-user quota (USER_STORE records).
// Called by ctl/control.ts (opPut, chunkInput) and boot.ts (putQuota).
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import * as C from "../../abi/control";
import { MODULE_MAX, PUT_MAX, PUT_PER_USER, PUT_CHUNK, PUT_WINDOW, PUT_IDLE_S, STORED_MAX, STORED_PER_USER, USER_MAX } from "../../abi/limits";
import { NAME_MAX } from "../../abi/manifest";
import { le32 } from "../../wire/bytes";
import { now } from "../clock";
import { logStart, logStr, logBytes, logInt, logHex, logEnd, logKeep, lastLine, lastLineLen } from "../log";
import { sha256Init, sha256Update, sha256Final } from "../crypto/sha256";
import { validDomain } from "../svc/registry";
import { modsigVerify } from "../svc/modsig";
import { publisherCount } from "../svc/publishers";
import { userByKey, userKey, userMay, userName, userNameLen } from "./users";
import { host_mod_stage, host_mod_write, host_mod_read, host_mod_commit, host_mod_abort, host_random } from "../../abi/gen/host";

const FREE: u8 = 0, RECEIVING: u8 = 1, DONE: u8 = 2;
const MAP_BYTES: i32 = MODULE_MAX / PUT_CHUNK / 8;   // one bit per chunk
const FINAL_TEXT: i32 = 256;                          // the answer a finished transfer repeats
const IDLE_MS: i64 = <i64>PUT_IDLE_S * 1000;
const READ_BYTES: i32 = 4096;                         // the check reads the module this much at a time

// Per transfer slot (host_mod_* take the slot number).
const state = new StaticArray<u8>(PUT_MAX);
const owner = new StaticArray<i32>(PUT_MAX);          // the user's first row (users.ts userByKey)
const size = new StaticArray<u32>(PUT_MAX);
const have = new StaticArray<u32>(PUT_MAX);           // chunks held
const base = new StaticArray<u32>(PUT_MAX);           // the first chunk not held
const last = new StaticArray<i64>(PUT_MAX);           // when it last received something
const result = new StaticArray<i32>(PUT_MAX);         // DONE: 0 or -Errno
const finalLen = new StaticArray<i32>(PUT_MAX);
const domainLen = new StaticArray<u8>(PUT_MAX);
const IDS: usize = memory.data(PUT_MAX * C.PUT_ID_BYTES, 8);
const HASHES: usize = memory.data(PUT_MAX * 32, 8);
const DOMAINS: usize = memory.data(PUT_MAX * NAME_MAX);
const MAPS: usize = memory.data(PUT_MAX * MAP_BYTES, 8);
const FINALS: usize = memory.data(PUT_MAX * FINAL_TEXT);
const READ: usize = memory.data(READ_BYTES, 8);
const DIGEST: usize = memory.data(32, 8);
const BITS: usize = memory.data(8, 8);

// The quota: bytes each user (first row of its key) may have PUT, and what it has.
const quota = new StaticArray<u32>(USER_MAX);
const storedUser = new StaticArray<i32>(STORED_MAX);
const storedSize = new StaticArray<u32>(STORED_MAX);
const STORED_HASH: usize = memory.data(STORED_MAX * 32, 8);
let storedCount = 0;

function ids(t: i32): usize { return IDS + <usize>(t * C.PUT_ID_BYTES); }
function hashOf(t: i32): usize { return HASHES + <usize>(t * 32); }
function mapOf(t: i32): usize { return MAPS + <usize>(t * MAP_BYTES); }
function chunksOf(t: i32): u32 { return (unchecked(size[t]) + <u32>PUT_CHUNK - 1) / <u32>PUT_CHUNK; }
function held(t: i32, i: u32): bool { return (load<u8>(mapOf(t) + <usize>(i >> 3)) >> (i & 7) & 1) != 0; }

/** USER_STORE: the user with this key may PUT `bytes`; -1 if no USER record has the key. */
export function putQuota(key: usize, bytes: u32): i32 {
  let u = userByKey(key);
  if (u < 0) return -1;
  unchecked(quota[u] = bytes);
  return 0;
}

/** Forget every transfer, quota and charge (a boot, or a refused one). */
export function putReset(): void {
  for (let t = 0; t < PUT_MAX; t++) unchecked(state[t] = FREE);
  for (let u = 0; u < USER_MAX; u++) unchecked(quota[u] = 0);
  storedCount = 0;
}

/** The (user, module) charge's index, or -1. */
function charged(u: i32, hash: usize): i32 {
  for (let s = 0; s < storedCount; s++) {
    if (unchecked(storedUser[s]) == u && memory.compare(STORED_HASH + <usize>(s * 32), hash, 32) == 0) return s;
  }
  return -1;
}

/** Modules user u has stored. */
function storedOf(u: i32): i32 {
  let k = 0;
  for (let s = 0; s < storedCount; s++) if (unchecked(storedUser[s]) == u) k++;
  return k;
}

/** Bytes user u has stored, and is sending now (a transfer in progress holds its size). */
function used(u: i32): u64 {
  let sum: u64 = 0;
  for (let s = 0; s < storedCount; s++) if (unchecked(storedUser[s]) == u) sum += unchecked(storedSize[s]);
  for (let t = 0; t < PUT_MAX; t++) {
    if (unchecked(state[t]) == RECEIVING && unchecked(owner[t]) == u && charged(u, hashOf(t)) < 0) sum += unchecked(size[t]);
  }
  return sum;
}

/** Forget transfers idle for PUT_IDLE_S: their staged bytes are discarded. */
export function putExpire(): void {
  for (let t = 0; t < PUT_MAX; t++) {
    if (unchecked(state[t]) != FREE && now - unchecked(last[t]) >= IDLE_MS) {
      if (unchecked(state[t]) == RECEIVING) host_mod_abort(t);
      unchecked(state[t] = FREE);
    }
  }
}

function say(u: i32, what: string): void {
  logStart();
  logStr("control: ");
  logBytes(userName(u), userNameLen(u));
  logStr(what);
}

function refuse(u: i32, err: Errno, why: string): i32 {
  say(u, " PUT refused: ");
  logStr(why);
  logEnd(LogLevel.WARN);
  return -err;
}

/** Append "have <H> of <T> chunks; all before <B>; from <B>: <a u64 in 16 hex digits>" (abi/control.ts PUT_HAVE_TEXT). */
function haveText(t: i32): void {
  let b = unchecked(base[t]), n = chunksOf(t);
  let bits: u64 = 0;
  for (let i: u32 = 0; i < <u32>PUT_WINDOW && b + i < n; i++) if (held(t, b + i)) bits |= <u64>1 << i;
  logStr(C.PUT_HAVE_TEXT); logInt(unchecked(have[t])); logStr(" of "); logInt(n);
  logStr(" chunks; all before "); logInt(b); logStr("; from "); logInt(b); logStr(": ");
  store<u64>(BITS, bswap(bits));       // most significant first: the hex reads as the number
  logHex(BITS, 8);
}

/** PUT (authenticated, from user u): body n bytes (abi/control.ts PT_*). Begins a transfer,
 *  resumes the user's transfer of the same module, or — when the store holds the module —
 *  checks and records it at once. Ends with the log line the answer quotes. */
export function opPut(u: i32, body: usize, n: i32): i32 {
  u = userByKey(userKey(u));
  if (n < C.PT_NAME) return refuse(u, Errno.EBADMSG, "a PUT is a SHA-256, a size and a domain");
  let nl = <i32>load<u8>(body + C.PT_NAME_LEN);
  let name = body + C.PT_NAME;
  if (C.PT_NAME + nl != n || !validDomain(name, nl)) return refuse(u, Errno.EBADMSG, "the domain is not a valid domain name, or bytes follow it");
  let bytes = le32(body + C.PT_SIZE);
  if (bytes == 0 || bytes > <u32>MODULE_MAX) return refuse(u, Errno.EINVAL, "the size is 0 or over MODULE_MAX (1 MiB, the most the loader validates)");
  if (!userMay(u, name, nl)) return refuse(u, Errno.EACCES, "the domain is not under any of the user's domains");
  let hash = body + C.PT_HASH;
  putExpire();
  for (let t = 0; t < PUT_MAX; t++) {
    if (unchecked(state[t]) == DONE && unchecked(owner[t]) == u && memory.compare(hashOf(t), hash, 32) == 0) unchecked(state[t] = FREE);
    if (unchecked(state[t]) != RECEIVING || unchecked(owner[t]) != u || memory.compare(hashOf(t), hash, 32) != 0) continue;
    if (unchecked(size[t]) != bytes) { host_mod_abort(t); unchecked(state[t] = FREE); break; }
    setDomain(t, name, nl);
    unchecked(last[t] = now);
    say(u, " resumes transfer "); logHex(ids(t), C.PUT_ID_BYTES); logStr(" of "); logHex(hash, 32);
    logStr("; "); haveText(t); logEnd(LogLevel.INFO);
    return 0;
  }
  let already = charged(u, hash) >= 0;
  if (!already && used(u) + <u64>bytes > <u64>unchecked(quota[u])) {
    return refuse(u, Errno.EDQUOT, "over the user's store quota (users[].store in the node's manifest)");
  }
  if (!already && storedOf(u) >= STORED_PER_USER) return refuse(u, Errno.EDQUOT, "the user has PUT as many modules as one user may (STORED_PER_USER, 8)");
  if (!already && storedCount >= STORED_MAX) return refuse(u, Errno.ENOSPC, "the node keeps no more modules for its users (STORED_MAX)");
  // One transfer at a time per user: PUT_MAX is shared by the whole node, and one user
  // holding every transfer (renewing each before it idles out) would stop everyone else's.
  let mine = 0;
  for (let k = 0; k < PUT_MAX; k++) if (unchecked(state[k]) == RECEIVING && unchecked(owner[k]) == u) mine++;
  if (mine >= PUT_PER_USER) return refuse(u, Errno.EDQUOT, "the user has a transfer in progress already (PUT_PER_USER, 1): finish it, or let it idle out, first");
  let t = 0;
  while (t < PUT_MAX && unchecked(state[t]) != FREE) t++;
  if (t == PUT_MAX) return refuse(u, Errno.ENOSPC, "PUT_MAX transfers are in progress; try again when one ends");
  memory.copy(hashOf(t), hash, 32);
  let r = host_mod_stage(t, <i32>hashOf(t), <i32>bytes);
  if (r == -Errno.ENOTSUP) {
    return refuse(u, Errno.ENOTSUP, "this host cannot take a module at run time (a wasmtime image composes every module when it is built): add the module to the manifest's store: and rebuild the image with persia image");
  }
  if (r == -Errno.ENODEV) return refuse(u, Errno.ENODEV, "the node's manifest has no store for modules sent over the network (store: - { network: dir, ram, slots })");
  if (r == -Errno.ENOSPC) return refuse(u, Errno.ENOSPC, "the host has no room to stage the module");
  if (r < 0) return refuse(u, Errno.EIO, "the host could not stage the module");
  unchecked(owner[t] = u);
  unchecked(size[t] = bytes);
  setDomain(t, name, nl);
  if (r == C.MS_HELD) {
    r = finish(t);
    if (r == 0) { say(u, " PUT "); logHex(hash, 32); logStr(": the store holds it already (stored once); LOAD it by this SHA-256"); logEnd(LogLevel.INFO); }
    return r;
  }
  host_random(<i32>ids(t), C.PUT_ID_BYTES);
  memory.fill(mapOf(t), 0, MAP_BYTES);
  unchecked(have[t] = 0);
  unchecked(base[t] = 0);
  unchecked(last[t] = now);
  unchecked(state[t] = RECEIVING);
  say(u, " begins transfer "); logHex(ids(t), C.PUT_ID_BYTES); logStr(" of "); logHex(hash, 32);
  logStr(" ("); logInt(bytes); logStr(" bytes) for "); logBytes(name, nl); logStr("; "); haveText(t);
  logEnd(LogLevel.INFO);
  return 0;
}

function setDomain(t: i32, name: usize, nl: i32): void {
  memory.copy(DOMAINS + <usize>(t * NAME_MAX), name, <usize>nl);
  unchecked(domainLen[t] = <u8>nl);
}

/** The transfer a CHUNK names (its id, and the key in its header), or -1. */
export function chunkTransfer(m: usize): i32 {
  let id = m + C.CTL_HEADER + C.CK_ID;
  for (let t = 0; t < PUT_MAX; t++) {
    if (unchecked(state[t]) == FREE) continue;
    let d: u8 = 0;
    for (let i = 0; i < C.PUT_ID_BYTES; i++) d |= load<u8>(ids(t) + <usize>i) ^ load<u8>(id + <usize>i);
    if (d == 0 && memory.compare(userKey(unchecked(owner[t])), m + C.CTL_KEY, 32) == 0) return t;
  }
  return -1;
}

/** A CHUNK of transfer t (chunkTransfer) in the message at m, n bytes: written through and
 *  acknowledged, or the transfer's end. Returns 0 or -Errno, the answer's text in log.ts's
 *  last line (a log line only when the transfer ends). */
export function chunkInput(t: i32, m: usize, n: i32): i32 {
  if (unchecked(state[t]) == DONE) {
    logStart(); logBytes(FINALS + <usize>(t * FINAL_TEXT), unchecked(finalLen[t])); logKeep();
    return unchecked(result[t]);
  }
  let b = m + C.CTL_HEADER;
  let i = le32(b + C.CK_INDEX), len = <i32>load<u16>(b + C.CK_LEN);
  let chunks = chunksOf(t);
  let want = i + 1 < chunks ? PUT_CHUNK : <i32>(unchecked(size[t]) - (chunks - 1) * <u32>PUT_CHUNK);
  if (i >= chunks || len != want || C.CTL_HEADER + C.CK_DATA + len > n) {
    logStart(); logStr("a chunk past the module's end, of the wrong length, or longer than its datagram; "); haveText(t); logKeep();
    return -Errno.EINVAL;
  }
  if (!held(t, i)) {
    // Only a new chunk keeps the transfer alive: a replayed one (its id is in clear on the
    // path) must not hold one of PUT_MAX transfers for ever.
    unchecked(last[t] = now);
    if (host_mod_write(t, <i32>(i * <u32>PUT_CHUNK), <i32>(b + C.CK_DATA), len) < 0) {
      host_mod_abort(t);
      return end(t, refuse(unchecked(owner[t]), Errno.EIO, "the host could not write a chunk; nothing was stored: PUT it again"));
    }
    let at = mapOf(t) + <usize>(i >> 3);
    store<u8>(at, load<u8>(at) | <u8>(<u32>1 << (i & 7)));
    unchecked(have[t] = unchecked(have[t]) + 1);
    let bb = unchecked(base[t]);
    while (bb < chunks && held(t, bb)) bb++;
    unchecked(base[t] = bb);
    if (unchecked(have[t]) == chunks) return end(t, finish(t));
  }
  logStart(); haveText(t); logKeep();
  return 0;
}

/** Transfer t ended with r: it answers its chunks with r and this line until it idles out. */
function end(t: i32, r: i32): i32 {
  unchecked(state[t] = DONE);
  unchecked(result[t] = r);
  let l = min(lastLineLen(), FINAL_TEXT);
  memory.copy(FINALS + <usize>(t * FINAL_TEXT), lastLine(), <usize>l);
  unchecked(finalLen[t] = l);
  return r;
}

/** Transfer t's module is whole at the host (staged, or held by the store): check it and
 *  have the host commit it, or discard it. 0 after logging what was stored, or -Errno. */
function finish(t: i32): i32 {
  let u = unchecked(owner[t]);
  let bytes = <i32>unchecked(size[t]);
  sha256Init();
  for (let off = 0; off < bytes; off += READ_BYTES) {
    let k = min(READ_BYTES, bytes - off);
    if (host_mod_read(t, off, <i32>READ, k) != k) { host_mod_abort(t); return refuse(u, Errno.EIO, "the host could not read the staged module back; nothing was stored"); }
    sha256Update(READ, k);
  }
  sha256Final(DIGEST);
  if (memory.compare(DIGEST, hashOf(t), 32) != 0) {
    host_mod_abort(t);
    return refuse(u, Errno.EBADMSG, "the module's SHA-256 is not the one the PUT named (a chunk was changed on the way, or the file changed): nothing was stored; PUT it again");
  }
  let s = publisherSigned(t);
  if (s < 0) { host_mod_abort(t); return s; }
  // Transfers that began while the table had room may end together: the last finds it full.
  let known = charged(u, hashOf(t)) >= 0;
  if (!known && storedCount >= STORED_MAX) { host_mod_abort(t); return refuse(u, Errno.ENOSPC, "the node keeps no more modules for its users (STORED_MAX); nothing was stored"); }
  let r = host_mod_commit(t);
  if (r == -Errno.EBADMSG) { host_mod_abort(t); return refuse(u, Errno.EBADMSG, "the node's loader refused the module as a service (its log says why); nothing was stored"); }
  if (r < 0) { host_mod_abort(t); return refuse(u, Errno.EIO, "the host could not store the module; nothing was stored"); }
  if (!known) {
    let c = storedCount++;
    unchecked(storedUser[c] = u);
    unchecked(storedSize[c] = <u32>bytes);
    memory.copy(STORED_HASH + <usize>(c * 32), hashOf(t), 32);
  }
  say(u, " stored module "); logHex(hashOf(t), 32); logStr(" ("); logInt(bytes); logStr(" bytes) for ");
  logBytes(DOMAINS + <usize>(t * NAME_MAX), <i32>unchecked(domainLen[t]));
  logStr(": SHA-256 checked; LOAD it by this SHA-256");
  logEnd(LogLevel.INFO);
  return 0;
}

/** The publisher's signature over transfer t's module, for its domain (svc/modsig.ts, the
 *  tool-conventions format; the keys of the manifest's domains:): 0, or -EACCES after
 *  logging why not. A node whose manifest trusts no publisher checks no signature, as at
 *  boot and LOAD (svc/publishers.ts). */
function publisherSigned(t: i32): i32 {
  if (publisherCount == 0) return 0;
  let why = modsigVerify(readStaged, t, <i32>unchecked(size[t]), 0,
    DOMAINS + <usize>(t * NAME_MAX), <i32>unchecked(domainLen[t]));
  if (why === null) return 0;
  say(unchecked(owner[t]), " PUT refused: the module is not signed for ");
  logBytes(DOMAINS + <usize>(t * NAME_MAX), <i32>unchecked(domainLen[t]));
  logStr(": "); logStr(why); logStr("; nothing was stored");
  logEnd(LogLevel.WARN);
  return -Errno.EACCES;
}

/** modsig.ts's ModRead over a transfer's module at the host: the module's size, or -EIO. */
function readStaged(t: i32, off: i32, dst: usize, len: i32): i32 {
  if (len > 0 && host_mod_read(t, off, <i32>dst, len) != len) return -Errno.EIO;
  return <i32>unchecked(size[t]);
}

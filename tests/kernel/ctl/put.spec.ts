// kernel/ctl/put.ts with the mock host's store (tests/kernel/mock-host.mjs mod_*): a PUT
// checks domain and quota before the host stages anything; each CHUNK is written once
// however often it comes and acknowledged with exactly what is held; the last one makes
// the kernel read the module back and commit it only if its SHA-256 is the PUT's; a
// transfer idle for PUT_IDLE_S is forgotten and its bytes discarded; a host that takes no
// module at run time (the image) is refused with what to do instead.
import { Errno } from "../../../abi/errno";
import * as C from "../../../abi/control";
import { PUT_MAX, PUT_CHUNK, PUT_IDLE_S, STORED_PER_USER } from "../../../abi/limits";
import { now, setNow } from "../../../kernel/clock";
import { lastLine, lastLineLen } from "../../../kernel/log";
import { sha256 } from "../../../kernel/crypto/sha256";
import { userAdd, usersReset } from "../../../kernel/ctl/users";
import { opPut, putQuota, putReset, putExpire, chunkTransfer, chunkInput } from "../../../kernel/ctl/put";
import { modMode, modCount, modHold } from "../mock";

const KEY: usize = memory.data(32, 8);
const NAME: usize = memory.data(8);
const BODY: usize = memory.data(64, 8);
const MOD: usize = memory.data(2500, 8);
const SIZE = 2500;                                   // three chunks: 1024, 1024, 452
const MSG: usize = memory.data(C.CTL_HEADER + C.CK_DATA + PUT_CHUNK, 8);
const ID: usize = memory.data(16, 8);

function text(): string { return String.UTF8.decodeUnsafe(lastLine(), <usize>lastLineLen()); }

const OTHER: usize = memory.data(32, 8);

/** Alice (row 0, key KEY) and `others` more users (rows 1.., keys 0xb0 + k), each with the
 *  domain a.sabz.city and `quota` bytes of store. */
function setup(quota: u32, others: i32 = 0): void {
  usersReset(); putReset();
  memory.fill(KEY, 0xa1, 32);
  String.UTF8.encodeUnsafe(changetype<usize>("alice"), 5, NAME);
  let d = "a.sabz.city";
  let dp = memory.data(16);
  String.UTF8.encodeUnsafe(changetype<usize>(d), d.length, dp);
  userAdd(KEY, NAME, 5, dp, d.length);
  putQuota(KEY, quota);
  for (let k = 0; k < others; k++) {
    memory.fill(OTHER, <u8>(0xb0 + k), 32);
    store<u8>(NAME, <u8>(0x61 + k));                  // names "blice", "clice", ...: unique
    userAdd(OTHER, NAME, 5, dp, d.length);
    putQuota(OTHER, quota);
  }
  store<u8>(NAME, 0x61);
  for (let i = 0; i < SIZE; i++) store<u8>(MOD + <usize>i, <u8>(i * 7 + 3));
  setNow(1000);
}

/** A PUT body for the module at MOD (its SHA-256, or a wrong one) for `domain`. */
function put(domain: string, wrongHash: bool = false, user: i32 = 0): i32 {
  sha256(MOD, SIZE, BODY + C.PT_HASH);
  if (wrongHash) store<u8>(BODY, load<u8>(BODY) ^ 1);
  store<u32>(BODY + C.PT_SIZE, SIZE);
  store<u8>(BODY + C.PT_NAME_LEN, <u8>domain.length);
  String.UTF8.encodeUnsafe(changetype<usize>(domain), domain.length, BODY + C.PT_NAME);
  return opPut(user, BODY, C.PT_NAME + domain.length);
}

/** The transfer id in the last line ("transfer <32 hex>") into ID. */
function idFromText(): void {
  let t = text();
  let at = t.indexOf("transfer ") + 9;
  for (let i = 0; i < 16; i++) store<u8>(ID + <usize>i, <u8>I32.parseInt(t.substr(at + 2 * i, 2), 16));
}

/** CHUNK i of the module at MOD (len bytes, default the right one) into MSG; its length. */
function chunk(i: i32, len: i32 = -1): i32 {
  memory.fill(MSG, 0, C.CTL_HEADER);
  memory.copy(MSG + C.CTL_KEY, KEY, 32);
  let b = MSG + C.CTL_HEADER;
  memory.copy(b + C.CK_ID, ID, 16);
  if (len < 0) len = min(PUT_CHUNK, SIZE - i * PUT_CHUNK);
  store<u32>(b + C.CK_INDEX, i);
  store<u16>(b + C.CK_LEN, <u16>len);
  memory.copy(b + C.CK_DATA, MOD + <usize>(i * PUT_CHUNK), <usize>len);
  return C.CTL_HEADER + C.CK_DATA + len;
}

function send(i: i32): i32 {
  let n = chunk(i);
  let t = chunkTransfer(MSG);
  expect(t).toBeGreaterThanOrEqual(0, "the chunk names a live transfer");
  return chunkInput(t, MSG, n);
}

describe("PUT", () => {
  it("a host that takes no module at run time refuses, and the answer says what to do instead", () => {
    setup(1 << 20);
    modMode(-Errno.ENOTSUP);
    expect(put("echo.a.sabz.city")).toBe(-Errno.ENOTSUP);
    expect(text()).toBe("control: alice PUT refused: this host cannot take a module at run time (a wasmtime image composes every module when it is built): add the module to the manifest's store: and rebuild the image with persia image");
  });

  it("chunks in any order, duplicated, are written once and acknowledged with exactly what is held; the whole is committed", () => {
    setup(1 << 20);
    modMode(C.MS_STAGED);
    let writes = modCount(0), commits = modCount(1);
    expect(put("echo.a.sabz.city")).toBe(0);
    expect(text().includes("(2500 bytes) for echo.a.sabz.city; have 0 of 3 chunks; all before 0; from 0: 0000000000000000")).toBe(true, text());
    idFromText();
    expect(send(2)).toBe(0);
    expect(text()).toBe("have 1 of 3 chunks; all before 0; from 0: 0000000000000004");
    expect(send(2)).toBe(0, "a duplicate");
    expect(text()).toBe("have 1 of 3 chunks; all before 0; from 0: 0000000000000004");
    expect(modCount(0) - writes).toBe(1, "a duplicate is not written again");
    expect(send(0)).toBe(0);
    expect(text()).toBe("have 2 of 3 chunks; all before 1; from 1: 0000000000000002");
    let n = chunk(1, 1000);
    expect(chunkInput(chunkTransfer(MSG), MSG, n)).toBe(-Errno.EINVAL, "a chunk of the wrong length");
    expect(modCount(1) - commits).toBe(0, "nothing committed before the last chunk");
    expect(send(1)).toBe(0);
    expect(text().includes("control: alice stored module ")).toBe(true, text());
    expect(text().includes("(2500 bytes) for echo.a.sabz.city: SHA-256 checked")).toBe(true, text());
    expect(modCount(1) - commits).toBe(1);
    expect(send(0)).toBe(0, "a chunk after the end is answered with the end");
    expect(text().includes("stored module ")).toBe(true, text());
  });

  it("bytes that are not the PUT's SHA-256 are discarded, not committed", () => {
    setup(1 << 20);
    modMode(C.MS_STAGED);
    let commits = modCount(1), aborts = modCount(2);
    expect(put("x.a.sabz.city", true)).toBe(0);
    idFromText();
    send(0); send(1);
    expect(send(2)).toBe(-Errno.EBADMSG);
    expect(text().includes("SHA-256 is not the one the PUT named")).toBe(true, text());
    expect(modCount(1) - commits).toBe(0);
    expect(modCount(2) - aborts).toBe(1);
  });

  it("domain, quota, a user's one transfer and PUT_MAX are checked before the host stages anything; an idle transfer is forgotten", () => {
    setup(2000);
    modMode(C.MS_STAGED);
    let staged = modCount(3);
    expect(put("x.b.sabz.city")).toBe(-Errno.EACCES);
    expect(put("x.a.sabz.city")).toBe(-Errno.EDQUOT, "2500 bytes over a quota of 2000");
    expect(modCount(3)).toBe(staged);
    setup(1 << 20, PUT_MAX);
    expect(put("x.a.sabz.city")).toBe(0);
    store<u8>(MOD, 0x77);
    expect(put("y.a.sabz.city")).toBe(-Errno.EDQUOT, "one transfer at a time per user (PUT_PER_USER)");
    expect(text().includes("transfer in progress already")).toBe(true, text());
    for (let k = 1; k < PUT_MAX; k++) {
      store<u8>(MOD, <u8>k);                         // another module, another user, each time
      expect(put("x.a.sabz.city", false, k)).toBe(0);
    }
    store<u8>(MOD, 0xee);
    expect(put("x.a.sabz.city", false, PUT_MAX)).toBe(-Errno.ENOSPC, "PUT_MAX transfers over the node");
    store<u8>(MOD, 3);                               // alice's first module again (byte 0 was 3)
    expect(put("x.a.sabz.city")).toBe(0, "alice resumes her own");
    idFromText();
    let aborts = modCount(2);
    setNow(now + <i64>PUT_IDLE_S * 1000);
    putExpire();
    expect(modCount(2) - aborts).toBe(PUT_MAX, "every idle transfer's bytes are discarded");
    chunk(0);
    expect(chunkTransfer(MSG)).toBe(-1);
    expect(put("x.a.sabz.city", false, PUT_MAX)).toBe(0, "room again");
  });

  it("a replayed chunk the node holds does not keep a transfer alive; only a new one does", () => {
    setup(1 << 20);
    modMode(C.MS_STAGED);
    expect(put("x.a.sabz.city")).toBe(0);
    idFromText();
    expect(send(0)).toBe(0);
    let aborts = modCount(2);
    setNow(now + <i64>PUT_IDLE_S * 1000 - 1);
    expect(send(0)).toBe(0, "held already: answered, not written");
    setNow(now + 1);
    putExpire();
    expect(modCount(2) - aborts).toBe(1, "idled out despite the replay");
  });

  it("a module the store holds is answered at once and charged; a user stores at most STORED_PER_USER modules", () => {
    setup(1 << 30);
    modMode(C.MS_HELD);
    let commits = modCount(1);
    for (let k = 0; k < STORED_PER_USER; k++) {
      store<u32>(MOD, k);
      modHold(MOD, SIZE);
      expect(put("x.a.sabz.city")).toBe(0);
    }
    expect(text().includes("the store holds it already (stored once)")).toBe(true, text());
    expect(modCount(1) - commits).toBe(STORED_PER_USER, "each checked, then committed (a held module stays)");
    store<u32>(MOD, 0xaaaa);
    modHold(MOD, SIZE);
    expect(put("x.a.sabz.city")).toBe(-Errno.EDQUOT, "over the count one user may PUT");
    expect(text().includes("STORED_PER_USER")).toBe(true, text());
    store<u32>(MOD, 0);
    modHold(MOD, SIZE);
    expect(put("x.a.sabz.city")).toBe(0, "one it has PUT already is charged once");
  });
});

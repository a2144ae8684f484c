// The bodies of the control messages that kernel specs hand straight to kernel/ctl/ops.ts
// (opLoad, opUnload), signature and header already taken off: a LOAD is 32 bytes of module
// hash (zero: the mock host takes any module) and then manifest records, an UNLOAD the name.
import { Buf } from "../../../abi/kernel";
import { k_boot, k_buf } from "../../../kernel/main";
import { userByKey } from "../../../kernel/ctl/users";
import { hexBuf } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfCpu, mfUser, mfUserPrefix } from "../manifest";
import { TEST_2 } from "../crypto/rfc8032";

const REC: usize = memory.data(1024, 16);
const BOOT: usize = memory.data(1024, 16);
/** The body the helpers below build; pass it to opLoad/opUnload. */
export const BODY: usize = memory.data(512, 16);
/** Where a LOAD body's service name starts: after the hash, the SERVICE record's 4-byte
 *  header and its 13 bytes of fields (tests/kernel/manifest.ts mfService). */
export const LOAD_NAME: usize = BODY + 32 + 4 + 13;

/** A LOAD body: a SERVICE with one address and, if cpuMin > 0, a CPU grant (max 1000). */
export function loadBody(name: string, a: string, cpuMin: u32 = 0): i32 {
  mfStart(REC);
  mfService(0, name);
  mfSvcAddr(0, a);
  if (cpuMin > 0) mfCpu(0, cpuMin, 1000);
  let n = mfEnd() - 8;
  memory.fill(BODY, 0, 32);
  memory.copy(BODY + 32, REC + 8, <usize>n);
  return 32 + n;
}

/** An UNLOAD body: the name after its length. */
export function unloadBody(name: string): i32 {
  store<u8>(BODY, <u8>name.length);
  for (let i = 0; i < name.length; i++) store<u8>(BODY + 1 + <usize>i, <u8>name.charCodeAt(i));
  return 1 + name.length;
}

/** Boot n1.test with one NIC on fd00:b::/64 and one user, alice (RFC 8032's TEST_2 key),
 *  who may name services under a.n1.test and addresses in fd00:b::a:0/112, and a service
 *  s.n1.test at fd00:b::8 if `service`. k_boot's answer; `alice` is her user index after. */
export function bootAlice(service: bool): i32 {
  mfStart(BOOT);
  mfNode(0, "n1.test");
  mfUser(TEST_2.pk, "alice", "a.n1.test");
  mfNic(0, 1500, "02:00:00:00:00:01");
  mfPrefix(0, 64, "fd00:b::");
  mfUserPrefix(TEST_2.pk, 112, "fd00:b::a:0");
  if (service) { mfService(0, "s.n1.test"); mfSvcAddr(0, "fd00:b::8"); }
  let len = mfEnd();
  memory.copy(<usize>k_buf(Buf.BOOT), BOOT, <usize>len);
  let r = k_boot(len, 1000);
  alice = r == 0 ? userByKey(hexBuf(TEST_2.pk)) : -1;
  return r;
}

/** alice's user index after bootAlice. */
export let alice: i32 = -1;

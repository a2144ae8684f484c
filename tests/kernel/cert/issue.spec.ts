// kernel/cert/issue.ts on a router booted through k_boot with a key (RFC 8032 TEST 1's
// seed) and a wall clock: each service address is certified to its owner's key — alice's
// (TEST 2's key) for her service, the node's own for the owner's — and the first is
// byte for byte spec/wire.md's example; each chain verifies at the node. A LOAD certifies
// the new service's address, an UNLOAD forgets it. Hosts are served first come, first
// served: another key is refused while the first one's certificate lasts, the same key
// renews, a node or service address is never a host's, hosts fill their share of the table
// and the services still find room. The poll renews a service's certificate at half its
// life, and forgets a host's when it expires; a host's ask finds the room of expired ones
// before the poll does.
import { Errno } from "../../../abi/errno";
import { Buf } from "../../../abi/kernel";
import { CERT_BYTES, CERT_NOT_BEFORE, CERT_NOT_AFTER, CERT_HOLDER } from "../../../wire/layout/cert";
import { CERT_HOST_MAX } from "../../../kernel/param";
import { k_boot, k_buf, k_epoch, k_poll } from "../../../kernel/main";
import { setNow, now } from "../../../kernel/clock";
import { certIssueHost, certChainFor } from "../../../kernel/cert/issue";
import { certVerifyChain } from "../../../kernel/cert/verify";
import { opLoad, opUnload } from "../../../kernel/ctl/ops";
import { userByKey } from "../../../kernel/ctl/users";
import { prefixNodeAddr } from "../../../kernel/net/iface";
import { addr, hexBuf, firstDiff, putAddr } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfUser, mfUserPrefix, mfNodeKey } from "../manifest";
import { TEST_1, TEST_2 } from "../crypto/rfc8032";
import { pk } from "./make";
import { BODY, loadBody, unloadBody, LOAD_NAME } from "../ctl/bodies";

// spec/wire.md "Address certificates": fd00:b::7 held by TEST 2's key, issued by TEST 1's at
// 2026-12-06T00:00:00Z (Unix 1796515200), valid from a minute before for CERT_LIFETIME_S.
const EXAMPLE = "504352540180000044a5146b0000000000f7156b00000000fd00000b000000000000000000000007" +
  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c" +
  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" +
  "1657101412a1b6c38c1ac70b4606ba6584785548cfa269f59a4d67b603796333" +
  "df5fbcd99cb25dcdfacbc8fd7fb3901e617130f457948103757a7138ce79f900";
const T: i64 = 1796515200;

const M: usize = memory.data(4096, 16);
const OUT: usize = memory.data(CERT_BYTES * 4, 16);
const A: usize = memory.data(16, 16);

function chain(a: string): i32 { return certChainFor(addr(a), OUT, 4); }
function holderIs(key: usize): bool { return firstDiff(OUT + CERT_HOLDER, key, 32) == -1; }

describe("a router with a key", () => {
  it("boots at kernel time 1 s, the wall clock saying 2026-12-06T00:00:00Z", () => {
    k_epoch(T * 1000 - 1000);
    mfStart(M);
    mfNode(2, "r1.test");
    mfUser(TEST_2.pk, "alice", "a.r1.test");
    mfNodeKey(hexBuf(TEST_1.seed));
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:b::");
    mfUserPrefix(TEST_2.pk, 112, "fd00:b::a:0");
    mfService(0, "x.a.r1.test");
    mfSvcAddr(0, "fd00:b::7");
    mfService(1, "s.r1.test");
    mfSvcAddr(1, "fd00:b::8");
    mfSvcAddr(1, "fd00:b::9");
    let len = mfEnd();
    memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>len);
    expect(k_boot(len, 1000)).toBe(0);
  });

  it("certifies alice's service's address to her key: spec/wire.md's example, byte for byte", () => {
    expect(chain("fd00:b::7")).toBe(1);
    expect(firstDiff(OUT, hexBuf(EXAMPLE), CERT_BYTES)).toBe(-1);
    expect(certVerifyChain(OUT, 1, addr("fd00:b::7"))).toBe(0, "the node's key, for its service's address");
  });

  it("certifies the owner's service's addresses to the node's own key", () => {
    expect(chain("fd00:b::8")).toBe(1);
    expect(holderIs(hexBuf(TEST_1.pk))).toBe(true);
    expect(certVerifyChain(OUT, 1, addr("fd00:b::8"))).toBe(0);
    expect(chain("fd00:b::9")).toBe(1);
    expect(chain("fd00:b::10")).toBe(0, "no certificate for an address nobody has");
  });

  it("certifies a host that asks first, renews it for the same key, refuses another key", () => {
    expect(certIssueHost(addr("fd00:b::20"), pk(1))).toBeGreaterThanOrEqual(0);
    expect(chain("fd00:b::20")).toBe(1);
    expect(holderIs(pk(1))).toBe(true);
    expect(certIssueHost(addr("fd00:b::20"), pk(2))).toBe(-Errno.EEXIST, "first come, first served");
    expect(certIssueHost(addr("fd00:b::20"), pk(1))).toBeGreaterThanOrEqual(0, "renewed");
    expect(certVerifyChain(OUT, 1, addr("fd00:b::20"))).toBe(0, "the node's key, for its connected prefix");
  });

  it("never certifies a service's or the node's own address to a host, nor a key anyone signs as", () => {
    expect(certIssueHost(addr("fd00:b::7"), pk(1))).toBe(-Errno.EEXIST);
    expect(certIssueHost(prefixNodeAddr(0), pk(1))).toBe(-Errno.EEXIST);
    let identity = memory.data(32, 8);
    store<u8>(identity, 1);
    expect(certIssueHost(addr("fd00:b::21"), identity)).toBe(-Errno.EINVAL);
  });

  it("fills the hosts' share of the table, then says -ENOSPC", () => {
    let issued = 1;                        // fd00:b::20's
    for (let i = 0; i < CERT_HOST_MAX; i++) {
      putAddr(A, "fd00:b::1:0");
      store<u16>(A + 14, bswap<u16>(<u16>i));
      let r = certIssueHost(A, pk(3));
      if (r < 0) { expect(r).toBe(-Errno.ENOSPC); break; }
      issued++;
    }
    expect(issued).toBe(CERT_HOST_MAX);
  });

  it("certifies a loaded service's address to its loader, though hosts filled their share, and forgets it when unloaded", () => {
    let alice = userByKey(hexBuf(TEST_2.pk));
    let n = loadBody("y.a.r1.test", "fd00:b::a:1");
    expect(opLoad(alice, BODY, n)).toBe(0);
    expect(chain("fd00:b::a:1")).toBe(1);
    expect(holderIs(hexBuf(TEST_2.pk))).toBe(true);
    let name = "y.a.r1.test";
    expect(opUnload(alice, BODY, unloadBody(name))).toBe(0);
    expect(chain("fd00:b::a:1")).toBe(0);
  });

  it("renews a service's certificate at half its life, from the poll's deadline", () => {
    expect(chain("fd00:b::7")).toBe(1);
    let renewAt: i64 = (T - 60 + 43230) * 1000 - (T * 1000 - 1000);   // the middle of [T - 60, T + 86400)
    expect(k_poll(renewAt - 1)).toBeLessThanOrEqual(renewAt);
    chain("fd00:b::7");
    expect(load<i64>(OUT + CERT_NOT_AFTER)).toBe(T + 86400, "not yet");
    k_poll(renewAt);
    chain("fd00:b::7");
    let wall = T + 43170;
    expect(load<i64>(OUT + CERT_NOT_BEFORE)).toBe(wall - 60);
    expect(load<i64>(OUT + CERT_NOT_AFTER)).toBe(wall + 86400);
    expect(holderIs(hexBuf(TEST_2.pk))).toBe(true);
  });

  it("forgets a host's certificate when it expires: the address is free for another key", () => {
    expect(chain("fd00:b::20")).toBe(1);
    let expires = load<i64>(OUT + CERT_NOT_AFTER);
    k_poll(expires * 1000 - (T * 1000 - 1000));
    expect(chain("fd00:b::20")).toBe(0);
    expect(certIssueHost(addr("fd00:b::20"), pk(2))).toBeGreaterThanOrEqual(0);
    expect(chain("fd00:b::7")).toBe(1, "the services' were renewed on the way");
    expect(certVerifyChain(OUT, 1, addr("fd00:b::7"))).toBe(0);
  });

  it("makes room for a host's ask where hosts' certificates expired, before the poll forgets them", () => {
    let t = 0;
    for (let i = 0; i < CERT_HOST_MAX; i++) {
      putAddr(A, "fd00:b::2:0");
      store<u16>(A + 14, bswap<u16>(<u16>i));
      if (certIssueHost(A, pk(4)) < 0) break;
      t++;
    }
    expect(t).toBe(CERT_HOST_MAX - 1, "fd00:b::20 holds the other entry");
    expect(certIssueHost(addr("fd00:b::30"), pk(4))).toBe(-Errno.ENOSPC);
    setNow(now + 86400 * 1000);            // a day later, no poll between
    expect(certIssueHost(addr("fd00:b::30"), pk(4))).toBeGreaterThanOrEqual(0);
    expect(chain("fd00:b::2:0")).toBe(0, "the expired ones are gone");
  });
});

// kernel/net/filter.ts and filterheap.ts: filters are installed, refreshed (the later
// expiry wins, the holder stays) and removed by their exact fields; a holder's quota and
// the node's FILTER_MAX (all 65,536 installed) are refused with EDQUOT and ENOSPC; source
// prefixes of /0, /48, /64, /127 and /128 match exactly their sources; protocol and port
// filters match behind extension headers, and a packet whose headers cannot be walked, or
// whose port is cut off, does not slip past them; expiry takes filters out in order, and
// the heap stays a heap through seeded random refreshes and removals; and the work of a
// lookup, counted in probes of the hash indexes, stays flat from 1 to 65,536 filters.
// The clock only moves forward, so each test works from the `now` it finds.
import { Errno } from "../../../abi/errno";
import { FILTER_MAX, FILTER_PER_HOLDER } from "../../../abi/limits";
import { HOLDER_MAX, FILTER_EXPIRE_PER_POLL } from "../../../kernel/param";
import { now, setNow } from "../../../kernel/clock";
import { filterActive, filterAdd, filterRemove, filterMatch, filterExpire, filterNext, filterHolderCount,
  filterDropHolder, filtersReset, filterLengths, filterInstalled, filterRefreshed, filterExpired, filterRemoved } from "../../../kernel/net/filter";
import { heapValid } from "../../../kernel/net/filterheap";
import { probes } from "../../../kernel/hashidx";
import { addr, putAddr, ip6, be16 } from "../frames";

const P: usize = memory.data(256, 8);     // the packet being matched
const A: usize = memory.data(16, 8);      // addresses made by number
const B: usize = memory.data(16, 8);
const NH_HOP = 0, NH_TCP = 6, NH_UDP = 17, NH_ROUTING = 43, NH_FRAG = 44, NH_ESP = 50, NH_ICMP = 58, NH_DST = 60;

/** P := src → dst, its payload: the extension headers named in ext (each 8 bytes, Pad
 *  options), then an upper-layer header of `body` bytes: TCP/UDP with destination port
 *  `port`, ICMPv6 of type port >> 8. Returns its length. */
function pkt(src: string, dst: string, proto: i32, port: i32, ext: i32[] = [], body: i32 = 8): i32 {
  let plen = ext.length * 8 + body;
  ip6(P, plen, ext.length > 0 ? <u32>ext[0] : <u32>proto, 64, src, dst);
  let off = 40;
  for (let i = 0; i < ext.length; i++) {
    memory.fill(P + <usize>off, 0, 8);
    store<u8>(P + <usize>off, <u8>(i + 1 < ext.length ? ext[i + 1] : proto));
    if (ext[i] == NH_HOP || ext[i] == NH_DST) { store<u8>(P + <usize>off + 2, 1); store<u8>(P + <usize>off + 3, 4); }   // PadN
    off += 8;
  }
  memory.fill(P + <usize>off, 0, <usize>body);
  if (proto == NH_ICMP && body >= 1) store<u8>(P + <usize>off, <u8>(port >> 8));
  if ((proto == NH_TCP || proto == NH_UDP) && body >= 4) { be16(P + <usize>off, 40000); be16(P + <usize>off + 2, <u32>port); }
  return 40 + plen;
}

function blocked(src: string, dst: string, proto: i32 = NH_UDP, port: i32 = 7, ext: i32[] = [], body: i32 = 8): bool {
  return filterMatch(P, pkt(src, dst, proto, port, ext, body));
}

/** X := the address fd00:<hi>:<lo>:: + n, for filling tables. */
function numbered(x: usize, hi: u32, n: u32): usize {
  putAddr(x, "fd00::");
  store<u16>(x + 2, bswap<u16>(<u16>hi));
  store<u32>(x + 12, bswap<u32>(n));
  return x;
}

/** Probes per lookup, on average, of n packets from fd00:5:: + i to fd00:<hi>:: + i. */
function probesPer(hi: u32, n: i32): f64 {
  let before = probes;
  for (let i = 0; i < n; i++) {
    pkt("::", "::", NH_UDP, 7);
    numbered(P + 8, 5, <u32>i);
    numbered(P + 24, hi, <u32>i);
    filterMatch(P, 48);
  }
  return <f64>(probes - before) / <f64>n;
}

describe("filters are added, refreshed and removed", () => {
  beforeEach(() => { filtersReset(); });

  it("installs a filter, and refreshes it to the later expiry with its first holder", () => {
    let t = now;
    expect(filterAdd(addr("fd00:9::1"), addr("2001:db8::"), 64, 0, 0, t + 1000, 0)).toBe(0);
    expect(filterActive).toBe(1);
    expect(filterAdd(addr("fd00:9::1"), addr("2001:db8::"), 64, 0, 0, t + 500, 1)).toBe(1);
    expect(filterNext()).toBe(t + 1000);
    expect(filterAdd(addr("fd00:9::1"), addr("2001:db8::ffff:1"), 64, 0, 0, t + 2000, 1)).toBe(1); // bits past /64
    expect(filterNext()).toBe(t + 2000);
    expect(filterActive).toBe(1);
    expect(filterHolderCount(0)).toBe(1);
    expect(filterHolderCount(1)).toBe(0);
    expect(filterInstalled).toBe(1);
    expect(filterRefreshed).toBe(2);
  });
  it("removes only the filter with exactly its fields", () => {
    let t = now;
    filterAdd(addr("fd00:9::1"), addr("2001:db8::"), 64, 17, 53, t + 1000, 2);
    expect(filterRemove(addr("fd00:9::1"), addr("2001:db8::"), 64, 17, 0)).toBe(false);
    expect(filterRemove(addr("fd00:9::1"), addr("2001:db8::"), 48, 17, 53)).toBe(false);
    expect(filterRemove(addr("fd00:9::2"), addr("2001:db8::"), 64, 17, 53)).toBe(false);
    expect(blocked("2001:db8::5", "fd00:9::1", NH_UDP, 53)).toBe(true);
    expect(filterRemove(addr("fd00:9::1"), addr("2001:db8::77"), 64, 17, 53)).toBe(true);
    expect(filterActive).toBe(0);
    expect(filterHolderCount(2)).toBe(0);
    expect(filterNext()).toBe(-1);
    expect(filterRemoved).toBe(1);
    expect(blocked("2001:db8::5", "fd00:9::1", NH_UDP, 53)).toBe(false);
  });
  it("refuses fields out of range before changing anything", () => {
    let d = addr("fd00:9::1"), s = addr("2001:db8::");
    expect(filterAdd(d, s, 129, 0, 0, now + 1, 0)).toBe(-Errno.EINVAL);
    expect(filterAdd(d, s, 64, 0, 53, now + 1, 0)).toBe(-Errno.EINVAL);        // a port needs TCP, UDP or ICMPv6
    expect(filterAdd(d, s, 64, 50, 53, now + 1, 0)).toBe(-Errno.EINVAL);
    expect(filterAdd(d, s, 64, 58, 0x8001, now + 1, 0)).toBe(-Errno.EINVAL);   // ICMPv6: the type << 8
    expect(filterAdd(d, s, 64, 256, 0, now + 1, 0)).toBe(-Errno.EINVAL);
    expect(filterAdd(d, s, 64, 6, 0x10000, now + 1, 0)).toBe(-Errno.EINVAL);
    expect(filterAdd(d, s, 64, 0, 0, now + 1, HOLDER_MAX)).toBe(-Errno.EINVAL);
    expect(filterAdd(d, s, 64, 0, 0, now + 1, -1)).toBe(-Errno.EINVAL);
    expect(filterActive).toBe(0);
  });
});

describe("quotas", () => {
  beforeEach(() => { filtersReset(); });

  it("refuses a holder's filter past FILTER_PER_HOLDER, but not its refresh or another holder's", () => {
    let t = now + 1000;
    let d = addr("fd00:9::1");
    for (let i = 0; i < FILTER_PER_HOLDER; i++) expect(filterAdd(d, numbered(A, 1, <u32>i), 128, 0, 0, t, 3)).toBe(0);
    expect(filterHolderCount(3)).toBe(FILTER_PER_HOLDER);
    expect(filterAdd(d, numbered(A, 1, <u32>FILTER_PER_HOLDER), 128, 0, 0, t, 3)).toBe(-Errno.EDQUOT);
    expect(filterAdd(d, numbered(A, 1, 7), 128, 0, 0, t + 1, 3)).toBe(1);
    expect(filterAdd(d, numbered(A, 1, <u32>FILTER_PER_HOLDER), 128, 0, 0, t, 4)).toBe(0);
    expect(filterActive).toBe(FILTER_PER_HOLDER + 1);
  });
  it("forgets every filter of a holder, and only those", () => {
    let t = now + 1000;
    for (let i = 0; i < 100; i++) filterAdd(numbered(B, 9, <u32>(i % 7)), numbered(A, 1, <u32>i), 128, 0, 0, t + i, i % 2);
    filterDropHolder(1);
    expect(filterHolderCount(1)).toBe(0);
    expect(filterHolderCount(0)).toBe(50);
    expect(filterActive).toBe(50);
    expect(heapValid()).toBe(true);
    pkt("::", "::", NH_UDP, 7);
    for (let i = 0; i < 100; i++) {
      numbered(P + 8, 1, <u32>i);
      numbered(P + 24, 9, <u32>(i % 7));
      expect(filterMatch(P, 48)).toBe(i % 2 == 0);
    }
  });
  it("holds FILTER_MAX filters, refuses one more with ENOSPC, and still matches each", () => {
    let t = now + 100000;
    let holders = FILTER_MAX / FILTER_PER_HOLDER;
    for (let i = 0; i < FILTER_MAX; i++) {
      let r = filterAdd(numbered(B, 7, <u32>i), numbered(A, 5, <u32>i), 128, 0, 0, t, i % holders);
      if (r != 0) expect(r).toBe(0, `filter ${i}`);
    }
    expect(filterActive).toBe(FILTER_MAX);
    expect(filterAdd(numbered(B, 7, 1), numbered(A, 5, 2), 128, 0, 0, t, holders)).toBe(-Errno.ENOSPC);
    expect(filterAdd(numbered(B, 7, 1), numbered(A, 5, 1), 128, 0, 0, t + 1, holders)).toBe(1);  // a refresh still goes
    pkt("::", "::", NH_UDP, 7);
    let missed = 0;
    for (let i = 0; i < FILTER_MAX; i += 7) {
      numbered(P + 8, 5, <u32>i);
      numbered(P + 24, 7, <u32>i);
      if (!filterMatch(P, 48)) missed++;
      numbered(P + 8, 5, <u32>(i + 1));                       // another source: not blocked
      if (filterMatch(P, 48)) missed++;
    }
    expect(missed).toBe(0);
    expect(heapValid()).toBe(true);
    // All of them run out at once: a poll takes out FILTER_EXPIRE_PER_POLL and asks for the
    // next poll at once (filterNext() is due), until none is left.
    setNow(t + 1);
    let polls = 0;
    while (filterActive > 0 && polls < 100) {
      let n = filterExpire();
      expect(n).toBeLessThanOrEqual(FILTER_EXPIRE_PER_POLL);
      if (filterActive > 0) expect(filterNext()).toBeLessThanOrEqual(now);
      polls++;
    }
    expect(filterActive).toBe(0);
    expect(polls).toBe(FILTER_MAX / FILTER_EXPIRE_PER_POLL);
    expect(filterNext()).toBe(-1);
  });
});

describe("the work of a lookup", () => {
  beforeAll(() => { filtersReset(); });

  it("stays flat from 1 to 65,536 filters (probes of the hash indexes)", () => {
    let t = now + 100000;
    let holders = FILTER_MAX / FILTER_PER_HOLDER;
    let n = 0;
    let sizes: i32[] = [1, 1000, FILTER_MAX];
    for (let k = 0; k < sizes.length; k++) {
      for (; n < sizes[k]; n++) filterAdd(numbered(B, 7, <u32>n), numbered(A, 5, <u32>n), 128, 0, 0, t, n % holders);
      // To destinations with no filter (most packets), and to filtered ones from their
      // blocked sources: the load of each index rises to 1/2, the work does not follow.
      let miss = probesPer(8, 2000);
      let hit = probesPer(7, min(n, 2000));
      log<string>(`${n} filters: ${miss} probes per packet to a destination without filters, ${hit} to a filtered one`);
      expect(miss).toBeLessThan(3.0);
      expect(hit).toBeLessThan(4.0);
    }
  });
  it("costs one probe of the destinations, and one of the sources per source length used", () => {
    filtersReset();
    let t = now + 100000;
    let d = addr("fd00:9::1");
    let lengths: i32[] = [0, 48, 64, 127, 128];
    for (let i = 0; i < lengths.length; i++) filterAdd(d, addr("2001:db8::"), lengths[i], 6, 0, t, 0);
    let before = probes;
    expect(blocked("3000::1", "fd00:9::1", NH_UDP, 7)).toBe(false);
    expect(<i32>(probes - before)).toBeLessThanOrEqual(2 * (1 + lengths.length));
  });
});

describe("source prefixes", () => {
  beforeAll(() => {
    filtersReset();
    let t = now + 100000;
    filterAdd(addr("fd00:9::0"), addr("::"), 0, 0, 0, t, 0);
    filterAdd(addr("fd00:9::48"), addr("2001:db8:1::"), 48, 0, 0, t, 0);
    filterAdd(addr("fd00:9::64"), addr("2001:db8:1:2::"), 64, 0, 0, t, 0);
    filterAdd(addr("fd00:9::127"), addr("2001:db8::2"), 127, 0, 0, t, 0);
    filterAdd(addr("fd00:9::128"), addr("2001:db8::5"), 128, 0, 0, t, 0);
  });

  it("/0 blocks every source", () => {
    expect(blocked("2001:db8::1", "fd00:9::0")).toBe(true);
    expect(blocked("fe80::1", "fd00:9::0")).toBe(true);
  });
  it("/48 blocks its /48 and no other", () => {
    expect(blocked("2001:db8:1:ffff:ffff:ffff:ffff:ffff", "fd00:9::48")).toBe(true);
    expect(blocked("2001:db8:1::", "fd00:9::48")).toBe(true);
    expect(blocked("2001:db8:0:ffff::1", "fd00:9::48")).toBe(false);
    expect(blocked("2001:db8:2::", "fd00:9::48")).toBe(false);
  });
  it("/64 blocks its /64 and no other", () => {
    expect(blocked("2001:db8:1:2:ffff::1", "fd00:9::64")).toBe(true);
    expect(blocked("2001:db8:1:3::", "fd00:9::64")).toBe(false);
    expect(blocked("2001:db8:1:1:ffff:ffff:ffff:ffff", "fd00:9::64")).toBe(false);
  });
  it("/127 blocks its two addresses", () => {
    expect(blocked("2001:db8::2", "fd00:9::127")).toBe(true);
    expect(blocked("2001:db8::3", "fd00:9::127")).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::127")).toBe(false);
    expect(blocked("2001:db8::4", "fd00:9::127")).toBe(false);
  });
  it("/128 blocks its one address", () => {
    expect(blocked("2001:db8::5", "fd00:9::128")).toBe(true);
    expect(blocked("2001:db8::4", "fd00:9::128")).toBe(false);
    expect(blocked("2001:db8::5:0", "fd00:9::128")).toBe(false);
  });
  it("blocks nothing to another destination", () => {
    expect(blocked("2001:db8::5", "fd00:9::129")).toBe(false);
    expect(blocked("2001:db8::5", "fd00:9::1")).toBe(false);
  });
  it("keeps a destination's other lengths when one goes, and counts them exactly", () => {
    let t = now + 100000;
    let d = addr("fd00:9::77");
    filterAdd(d, addr("2001:db8:1::"), 48, 0, 0, t, 0);
    filterAdd(d, addr("2001:db8:2::"), 48, 6, 0, t, 0);
    filterAdd(d, addr("2001:db8:1::9"), 128, 0, 0, t, 0);
    expect(filterLengths(d)).toBe(2);
    expect(filterRemove(d, addr("2001:db8:1::"), 48, 0, 0)).toBe(true);
    expect(filterLengths(d)).toBe(2);                     // 2001:db8:2::/48 is still there
    expect(filterRemove(d, addr("2001:db8:2::"), 48, 6, 0)).toBe(true);
    expect(filterLengths(d)).toBe(1);
    expect(blocked("2001:db8:1::8", "fd00:9::77")).toBe(false);
    expect(blocked("2001:db8:1::9", "fd00:9::77")).toBe(true);
    expect(filterRemove(d, addr("2001:db8:1::9"), 128, 0, 0)).toBe(true);
    expect(filterLengths(d)).toBe(0);
    expect(blocked("2001:db8:1::9", "fd00:9::77")).toBe(false);
  });
});

describe("protocols and ports", () => {
  beforeAll(() => {
    filtersReset();
    let t = now + 100000;
    let d = addr("fd00:9::1"), s = addr("2001:db8::");
    filterAdd(d, s, 32, NH_UDP, 53, t, 0);
    filterAdd(d, s, 32, NH_TCP, 0, t, 0);
    filterAdd(d, s, 32, NH_ICMP, 128 << 8, t, 0);   // echo request
    filterAdd(addr("fd00:9::2"), s, 32, NH_UDP, 53, t, 0);
  });

  it("matches the protocol and port named, and no other", () => {
    expect(blocked("2001:db8::1", "fd00:9::1", NH_UDP, 53)).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_UDP, 54)).toBe(false);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_TCP, 54)).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_TCP, 53)).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_ICMP, 128 << 8)).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_ICMP, 129 << 8)).toBe(false);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_ESP, 0)).toBe(false);
    expect(blocked("2001:db9::1", "fd00:9::1", NH_UDP, 53)).toBe(false);   // another source
  });
  it("finds the upper layer behind extension headers", () => {
    let e: i32[] = [NH_HOP, NH_DST];
    expect(blocked("2001:db8::1", "fd00:9::1", NH_UDP, 53, e)).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_UDP, 54, e)).toBe(false);
    let r: i32[] = [NH_HOP, NH_ROUTING, NH_DST];
    expect(blocked("2001:db8::1", "fd00:9::1", NH_TCP, 80, r)).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_ESP, 0, r)).toBe(false);
  });
  it("matches a packet whose headers cannot be walked to the upper layer", () => {
    let frag: i32[] = [NH_HOP, NH_FRAG];
    expect(blocked("2001:db8::1", "fd00:9::1", NH_UDP, 54, frag)).toBe(true);
    let many: i32[] = [NH_DST, NH_DST, NH_DST, NH_DST, NH_DST, NH_DST, NH_DST, NH_DST, NH_DST, NH_DST];
    expect(blocked("2001:db8::1", "fd00:9::1", NH_UDP, 54, many)).toBe(true);
    expect(blocked("2001:db9::1", "fd00:9::1", NH_UDP, 54, frag)).toBe(false);   // not its source
  });
  it("matches a packet whose port is cut off", () => {
    expect(blocked("2001:db8::1", "fd00:9::2", NH_UDP, 54, [], 3)).toBe(true);
    expect(blocked("2001:db8::1", "fd00:9::2", NH_UDP, 54, [], 4)).toBe(false);
    expect(blocked("2001:db8::1", "fd00:9::1", NH_ICMP, 129 << 8, [], 0)).toBe(true);
  });
});

describe("expiry", () => {
  beforeEach(() => { filtersReset(); });

  it("takes filters out in the order they expire, and none early", () => {
    let t = now;
    filterAdd(addr("fd00:9::3"), addr("::"), 0, 0, 0, t + 300, 0);
    filterAdd(addr("fd00:9::1"), addr("::"), 0, 0, 0, t + 100, 0);
    filterAdd(addr("fd00:9::2"), addr("::"), 0, 0, 0, t + 200, 0);
    expect(filterNext()).toBe(t + 100);
    setNow(t + 99);
    expect(filterExpire()).toBe(0);
    expect(blocked("2001:db8::1", "fd00:9::1")).toBe(true);
    setNow(t + 100);
    expect(blocked("2001:db8::1", "fd00:9::1")).toBe(false);   // run out before it is taken out
    expect(filterExpire()).toBe(1);
    expect(filterNext()).toBe(t + 200);
    setNow(t + 350);
    expect(filterExpire()).toBe(2);
    expect(filterNext()).toBe(-1);
    expect(filterActive).toBe(0);
    expect(filterExpired).toBe(3);
  });
  it("keeps the heap a heap through seeded random adds, refreshes and removals", () => {
    const N = 600;
    let exp = new StaticArray<i64>(N);            // each filter's expiry, 0: not installed
    let seed: u32 = 0x5eed;
    let t = now;
    let d = addr("fd00:9::1");
    for (let i = 0; i < 6000; i++) {
      seed = seed * 1103515245 + 12345;
      let k = <i32>((seed >> 8) % <u32>N);
      let e = t + 1 + <i64>((seed >> 4) % 5000);
      let op = (seed >> 28) & 3;
      numbered(A, 1, <u32>k);
      if (exp[k] == 0) {
        expect(filterAdd(d, A, 128, 0, 0, e, 0)).toBe(0);
        exp[k] = e;
      } else if (op == 0) {
        expect(filterRemove(d, A, 128, 0, 0)).toBe(true);
        exp[k] = 0;
      } else {
        expect(filterAdd(d, A, 128, 0, 0, e, 0)).toBe(1);
        if (e > exp[k]) exp[k] = e;
      }
      if (i % 50 == 0) expect(heapValid()).toBe(true);
    }
    expect(heapValid()).toBe(true);
    // Time runs out step by step: each step takes out exactly the filters due.
    for (let step = 0; step <= 5000; step += 250) {
      setNow(t + <i64>step);
      let due = 0, left = 0, first: i64 = -1;
      for (let k = 0; k < N; k++) {
        if (exp[k] == 0) continue;
        if (exp[k] <= now) { due++; exp[k] = 0; continue; }
        left++;
        if (first < 0 || exp[k] < first) first = exp[k];
      }
      expect(filterExpire()).toBe(due);
      expect(filterActive).toBe(left);
      expect(filterNext()).toBe(first);
      expect(heapValid()).toBe(true);
    }
  });
});

// TCP super-frames end to end through kernel/main.ts (k_rx_gso, net/gso.ts, spec/abi.md
// "Super-frames"): a router with NIC 0 (TAP, MTU 1500) towards A, NIC 1 (TAP, 1500) towards
// B, NIC 2 (VIRTUAL, 1500) towards C, NIC 3 (TAP, 1280) towards D, and NICs 4 and 5 (TAP) whose
// line, or forwarding class, has a rate. A super-frame from A
// to B leaves whole through nic_send_gso with its hop limit one lower and every other byte
// unchanged; any other way out gets the segments Linux's tcp_gso_segment would have made,
// each checked here byte for byte against one built field by field (frames.ts's checksum,
// never the kernel's). Needs its own kernel: the role is fixed at boot.
import { Drop } from "../../abi/drop";
import { Buf, NicKind, GSO_SEGS_MAX } from "../../abi/kernel";
import { k_poll, k_buf, k_buf_size, k_rx_gso, k_capture } from "../../kernel/main";
import { CapturePoint } from "../../abi/capture";
import { rxFrames, rxBytes, txFrames, txBytes, txErrors } from "../../kernel/net/iface";
import { poolFree, poolGsoFree } from "../../kernel/pool";
import { ETH, IP6, be16, be32, rd16, rd32, firstDiff, upperSum, eth, ip6, nsFrame, putAddr as putAddrAt } from "./frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfNet } from "./manifest";
import { rx, bootFrom, sentNic, dropped } from "./drive";
import { frameCount, framesClear, frameLen, frameCopy, frameGso, gsoNext, gsoCalls, sendFail, captureCount, captureField, captureCopy, capturesClear } from "./mock";

const MAC_0 = "02:00:00:00:00:01";
const MAC_1 = "02:00:00:00:00:02";
const MAC_2 = "02:00:00:00:00:03";
const MAC_3 = "02:00:00:00:00:04";
const MAC_A = "02:00:00:00:00:aa";
const MAC_B = "02:00:00:00:00:bb";
const MAC_C = "02:00:00:00:00:cc";
const MAC_D = "02:00:00:00:00:dd";
const A = "fd00:1::aa";
const B = "fd00:2::bb";
const C = "fd00:3::cc";
const D = "fd00:4::dd";
const MAC_4 = "02:00:00:00:00:05";
const MAC_5 = "02:00:00:00:00:06";
const MAC_E = "02:00:00:00:00:ee";
const MAC_G = "02:00:00:00:00:ff";
const E4 = "fd00:5::ee";                   // behind NIC 4, whose line has a rate
const G5 = "fd00:6::ff";                   // behind NIC 5, whose forwarding class has a max rate
const R0 = "fd00:1::ff:fe00:1";            // the router on NIC 0
const S = "fd00:9::1";                     // service 0's address
const TCP: u32 = 6;
const PARTIAL: u32 = 0xabcd;               // what a CHECKSUM_PARTIAL frame's checksum field holds
const SEQ: u32 = 0xfffff000;               // wraps within the frame

const F: usize = memory.data(70000, 16);
const E: usize = memory.data(70000, 16);
const G: usize = memory.data(70000, 16);
const M: usize = memory.data(1024, 16);
const t: i64 = 5000;

/** A super-frame from A (on NIC 0) to dst: a 20-byte TCP header with these flags, n bytes of
 *  payload (byte i is i*7+3), its checksum field PARTIAL; written at f, returns its length. */
function superFrame(f: usize, dst: string, hops: u32, n: i32, flags: u32, dstMac: string = MAC_0): i32 {
  eth(f, dstMac, MAC_A);
  ip6(f + ETH, 20 + n, TCP, hops, A, dst);
  let h = f + ETH + IP6;
  be16(h, 40000); be16(h + 2, 5201);
  be32(h + 4, SEQ); be32(h + 8, 0x01020304);
  store<u8>(h + 12, 0x50); store<u8>(h + 13, <u8>flags);
  be16(h + 14, 512); be16(h + 16, PARTIAL); be16(h + 18, 0);
  for (let i = 0; i < n; i++) store<u8>(h + 20 + <usize>i, <u8>(i * 7 + 3));
  return ETH + IP6 + 20 + n;
}

/** Hand the super-frame at f to the kernel as a host does: Buf.GSO, then k_rx_gso. */
function rxGso(nic: i32, f: usize, len: i32, gso: i32): void {
  memory.copy(<usize>k_buf(Buf.GSO), f, <usize>len);
  k_rx_gso(nic, len, gso, t);
}

/** Segment k of the super-frame at f (n payload bytes, gso a segment) as it should leave
 *  towards dstMac from srcMac with hop limit hops: written at E, returns its length. */
function segment(f: usize, n: i32, gso: i32, k: i32, dstMac: string, srcMac: string, hops: u32): i32 {
  let off = k * gso;
  let m = n - off < gso ? n - off : gso;
  let last = off + m == n;
  memory.copy(E, f, <usize>(ETH + IP6 + 20));
  eth(E, dstMac, srcMac);
  let p = E + ETH;
  be16(p + 4, <u32>(20 + m));
  store<u8>(p + 7, <u8>hops);
  let h = p + IP6;
  be32(h + 4, SEQ + <u32>off);
  let flags = <u32>load<u8>(h + 13);
  if (!last) flags &= ~<u32>0x09;         // FIN, PSH: the last segment's
  if (k > 0) flags &= ~<u32>0x80;         // CWR: the first's
  store<u8>(h + 13, <u8>flags);
  memory.copy(h + 20, f + ETH + IP6 + 20 + <usize>off, <usize>m);
  be16(h + 16, 0);
  be16(h + 16, upperSum(p, IP6, 20 + m, TCP));
  return ETH + IP6 + 20 + m;
}

/** Every frame sent since the last framesClear is segment k of the super-frame at f, in
 *  order, out of NIC nic to dstMac; -1 if so, else the first one that is not. */
function segmentsSent(f: usize, n: i32, gso: i32, nic: i32, dstMac: string, srcMac: string, hops: u32): i32 {
  let segs = (n + gso - 1) / gso;
  if (frameCount() != segs) return 1000 + frameCount();
  for (let k = 0; k < segs; k++) {
    let len = segment(f, n, gso, k, dstMac, srcMac, hops);
    if (sentNic(k) != nic || frameLen(k) != len || frameGso(k) != 0) return k;
    frameCopy(k, G);
    if (firstDiff(G, E, len) != -1) return k;
  }
  return -1;
}

describe("TCP super-frames through a router", () => {
  beforeEach(() => { framesClear(); gsoNext(0); });

  it("boots with five TAP NICs and a virtual one, and learns a neighbor on each", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfNic(0, 1500, MAC_0, NicKind.TAP);
    mfPrefix(0, 64, "fd00:1::");
    mfNic(1, 1500, MAC_1, NicKind.TAP);
    mfPrefix(1, 64, "fd00:2::");
    mfNic(2, 1500, MAC_2, NicKind.VIRTUAL);
    mfPrefix(2, 64, "fd00:3::");
    mfNic(3, 1280, MAC_3, NicKind.TAP);
    mfPrefix(3, 64, "fd00:4::");
    mfNic(4, 1500, MAC_4, NicKind.TAP);
    mfPrefix(4, 64, "fd00:5::");
    mfNic(5, 1500, MAC_5, NicKind.TAP);
    mfPrefix(5, 64, "fd00:6::");
    mfService(0, "s.test");
    mfSvcAddr(0, S);
    mfNet(4, 0xfe, 0, 100_000_000);                       // NIC 4's line: 100 Mbit/s
    mfNet(5, 0xff, 0, 100_000_000);                       // NIC 5's forwarded traffic: 100 Mbit/s at most
    expect(bootFrom(M, mfEnd(), t)).toBe(0);
    k_poll(t);
    rx(0, F, nsFrame(F, "33:33:ff:00:00:01", MAC_A, 255, A, "ff02::1:ff00:1", "fd00:1::ff:fe00:1", MAC_A));
    rx(1, F, nsFrame(F, "33:33:ff:00:00:02", MAC_B, 255, B, "ff02::1:ff00:2", "fd00:2::ff:fe00:2", MAC_B));
    rx(2, F, nsFrame(F, "33:33:ff:00:00:03", MAC_C, 255, C, "ff02::1:ff00:3", "fd00:3::ff:fe00:3", MAC_C));
    rx(3, F, nsFrame(F, "33:33:ff:00:00:04", MAC_D, 255, D, "ff02::1:ff00:4", "fd00:4::ff:fe00:4", MAC_D));
    rx(4, F, nsFrame(F, "33:33:ff:00:00:05", MAC_E, 255, E4, "ff02::1:ff00:5", "fd00:5::ff:fe00:5", MAC_E));
    rx(5, F, nsFrame(F, "33:33:ff:00:00:06", MAC_G, 255, G5, "ff02::1:ff00:6", "fd00:6::ff:fe00:6", MAC_G));
    k_poll(t);
    expect(frameCount()).toBe(6);
  });

  it("forwards one from A to B whole: nic_send_gso, hop limit one lower, every other byte the same", () => {
    let n = 64000, gso = 1440;
    let len = superFrame(F, B, 64, n, 0x18);
    let rx0 = rxFrames[0], rxb = rxBytes[0], tx1 = txFrames[1], txb = txBytes[1];
    rxGso(0, F, len, gso);
    k_poll(t);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(1);
    expect(frameGso(0)).toBe(gso);
    expect(frameLen(0)).toBe(len);
    frameCopy(0, G);
    memory.copy(E, F, <usize>len);
    eth(E, MAC_B, MAC_1);
    store<u8>(E + ETH + 7, 63);
    expect(firstDiff(G, E, len)).toBe(-1);
    // Counted as the 45 segments it is: 44 of 1,440 bytes and one of 640, each with headers.
    let segs = (n + gso - 1) / gso;
    expect(segs).toBe(45);
    let wire = <u64>(n + segs * (ETH + IP6 + 20));
    expect(rxFrames[0] - rx0).toBe(<u64>segs);
    expect(rxBytes[0] - rxb).toBe(wire);
    expect(txFrames[1] - tx1).toBe(<u64>segs);
    expect(txBytes[1] - txb).toBe(wire);
    expect(poolGsoFree()).toBe(8);
  });

  it("cuts one to a virtual NIC into the segments tcp_gso_segment makes: sequence, flags, checksums", () => {
    let n = 5000, gso = 1440;
    let len = superFrame(F, C, 64, n, 0x80 | 0x18 | 0x01);   // CWR, ACK, PSH, FIN
    rxGso(0, F, len, gso);
    k_poll(t);
    expect(segmentsSent(F, n, gso, 2, MAC_C, MAC_2, 63)).toBe(-1);
    expect(poolGsoFree()).toBe(8);
  });

  it("cuts one whose segments do not fit the outgoing MTU: each too big is answered, the short last one goes", () => {
    let n = 4000, gso = 1440;                               // 1,440, 1,440, 1,120: 40 + 20 + 1,120 fits 1,280
    let before = dropped(Drop.TOO_BIG);
    let len = superFrame(F, D, 64, n, 0x10);
    rxGso(0, F, len, gso);
    k_poll(t);
    expect(dropped(Drop.TOO_BIG)).toBe(before + 2);
    expect(frameCount()).toBe(3);
    for (let i = 0; i < 2; i++) {
      frameCopy(i, G);
      expect(sentNic(i)).toBe(0);
      expect(load<u8>(G + ETH + IP6)).toBe(2);              // packet too big
      expect(rd32(G + ETH + IP6 + 4)).toBe(1280);
    }
    let last = segment(F, n, gso, 2, MAC_D, MAC_3, 63);
    expect(sentNic(2)).toBe(3);
    expect(frameLen(2)).toBe(last);
    frameCopy(2, G);
    expect(firstDiff(G, E, last)).toBe(-1);
  });

  it("forwards one whose segments fit a smaller MTU whole", () => {
    let n = 3000, gso = 1200;                               // 40 + 20 + 1,200 = 1,260 <= 1,280
    let len = superFrame(F, D, 64, n, 0x10);
    rxGso(0, F, len, gso);
    k_poll(t);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(3);
    expect(frameGso(0)).toBe(gso);
  });

  it("cuts one towards a NIC whose line has a rate (4) or whose forwarding class has a max (5): a credit checks each frame's size, and 64 KiB would wait for ever", () => {
    let n = 3000, gso = 1440;
    for (let k = 0; k < 2; k++) {
      framesClear();
      let len = superFrame(F, k == 0 ? E4 : G5, 64, n, 0x18);
      rxGso(0, F, len, gso);
      k_poll(t + 100 * (k + 1));                           // credit for the three segments
      expect(segmentsSent(F, n, gso, 4 + k, k == 0 ? MAC_E : MAC_G, k == 0 ? MAC_4 : MAC_5, 63)).toBe(-1);
    }
  });

  it("holds one whole for a neighbour being resolved, and when none answers drops it counting each segment, its buffer freed", () => {
    let before = dropped(Drop.NEIGH_UNRESOLVED);
    let len = superFrame(F, "fd00:2::99", 64, 3000, 0x10);
    rxGso(0, F, len, 1440);
    k_poll(t + 200);
    expect(poolGsoFree()).toBe(7);                         // held while the neighbour is solicited
    for (let ms: i64 = 1000; ms <= 5000; ms += 1000) k_poll(t + 200 + ms);
    expect(dropped(Drop.NEIGH_UNRESOLVED)).toBe(before + 3);
    expect(poolGsoFree()).toBe(8);
  });

  it("counts a super-frame the host could not send (-EIO) as each of its segments dropped, NIC_DOWN", () => {
    let before = dropped(Drop.NIC_DOWN);
    let len = superFrame(F, B, 64, 3000, 0x10);
    gsoNext(-5);
    rxGso(0, F, len, 1440);
    k_poll(t + 6000);
    expect(dropped(Drop.NIC_DOWN)).toBe(before + 3);
    expect(poolGsoFree()).toBe(8);
  });

  it("ignores a length over GSO_FRAME_MAX, as k_rx ignores one over its buffer", () => {
    let bad = dropped(Drop.GSO_BAD);
    k_rx_gso(0, k_buf_size(Buf.GSO) + 1, 1440, t + 6000);
    k_rx_gso(0, -1, 1440, t + 6000);
    expect(dropped(Drop.GSO_BAD)).toBe(bad);
    expect(frameCount()).toBe(0);
  });

  it("cuts one with hop limit 1, and answers each segment with time exceeded", () => {
    let before = dropped(Drop.HOP_LIMIT);
    let len = superFrame(F, B, 1, 3000, 0x10);
    rxGso(0, F, len, 1440);
    k_poll(t);
    expect(dropped(Drop.HOP_LIMIT)).toBe(before + 3);
    expect(frameCount()).toBe(3);
    for (let i = 0; i < 3; i++) {
      frameCopy(i, G);
      expect(load<u8>(G + ETH + IP6)).toBe(3);              // time exceeded
    }
  });

  it("cuts one not to this NIC's MAC before taking it, and drops each segment as such", () => {
    let before = dropped(Drop.NOT_OUR_MAC);
    let len = superFrame(F, B, 64, 3000, 0x10, "02:00:00:00:00:99");
    rxGso(0, F, len, 1440);
    k_poll(t);
    expect(dropped(Drop.NOT_OUR_MAC)).toBe(before + 3);
    expect(frameCount()).toBe(0);
  });

  it("cuts one when every super-frame buffer is taken, and loses nothing", () => {
    let n = 3000, gso = 1440;
    let len = superFrame(F, B, 64, n, 0x10);
    for (let i = 0; i < 9; i++) rxGso(0, F, len, gso);   // no poll between: the first 8 wait in the queue
    expect(poolGsoFree()).toBe(0);
    k_poll(t);
    expect(frameCount()).toBe(8 + 3);
    let supers = 0;
    for (let i = 0; i < frameCount(); i++) if (frameGso(i) == gso) supers++;
    expect(supers).toBe(8);
    expect(poolGsoFree()).toBe(8);
  });

  it("drops what is no super-frame it takes, counted as GSO_BAD, and never traps", () => {
    let before = dropped(Drop.GSO_BAD);
    let len = superFrame(F, B, 64, 3000, 0x10);
    rxGso(0, F, len, 0);                                   // no segment size
    rxGso(0, F, superFrame(F, B, 64, 1440, 0x10), 1440);  // one segment only, exactly
    rxGso(0, F, superFrame(F, B, 64, 1000, 0x10), 1440);  // one segment only, shorter
    len = superFrame(F, B, 64, 3000, 0x10);
    rxGso(0, F, len, 1461);                                // a segment over NIC 0's MTU: 40 + 20 + 1,461
    rxGso(0, F, len, 23);                                  // 131 segments: over GSO_SEGS_MAX
    expect((3000 + 22) / 23).toBeGreaterThan(GSO_SEGS_MAX);
    rxGso(0, F, len - 1, 1440);                            // the payload length says one byte more
    store<u8>(F + ETH + 6, 17);
    rxGso(0, F, len, 1440);                                // UDP
    store<u8>(F + ETH + 6, 6);
    store<u8>(F + ETH + IP6 + 12, 0x40);
    rxGso(0, F, len, 1440);                                // a TCP header of 16 bytes
    store<u8>(F + ETH + IP6 + 12, 0x50);
    rxGso(0, F, 40, 1440);                                 // shorter than the headers
    k_poll(t);
    expect(dropped(Drop.GSO_BAD)).toBe(before + 9);
    expect(frameCount()).toBe(0);
    rxGso(0, F, len, 1440);                                // and the frame itself is fine
    k_poll(t);
    expect(frameCount()).toBe(1);
    expect(poolGsoFree()).toBe(8);
    expect(poolFree()).toBe(512);
  });

  it("drops one whole from a source that is the node's own, counting each of its segments", () => {
    let before = dropped(Drop.MARTIAN);
    let len = superFrame(F, B, 64, 3000, 0x10);
    putAddrAt(F + ETH + 8, R0);
    rxGso(0, F, len, 1440);
    k_poll(t);
    expect(dropped(Drop.MARTIAN)).toBe(before + 3);
    expect(frameCount()).toBe(0);
    expect(poolGsoFree()).toBe(8);
  });

  it("takes one whole where the host wrote it, and moves Buf.GSO; one it cuts leaves Buf.GSO where it is", () => {
    let at = k_buf(Buf.GSO);
    rxGso(0, F, superFrame(F, B, 64, 3000, 0x10), 1440);
    expect(k_buf(Buf.GSO)).not.toBe(at);
    let whole = k_buf(Buf.GSO);
    rxGso(0, F, superFrame(F, C, 64, 3000, 0x10, "02:00:00:00:00:99"), 1440);   // cut as it arrives
    expect(k_buf(Buf.GSO)).toBe(whole);
    k_poll(t);
  });

  it("cuts one to the router itself: each segment gets its own port unreachable, quoting it", () => {
    let n = 3000, gso = 1440;
    let len = superFrame(F, R0, 64, n, 0x10);
    rxGso(0, F, len, gso);
    k_poll(t);
    expect(frameCount()).toBe(3);
    for (let k = 0; k < 3; k++) {
      let seg = segment(F, n, gso, k, MAC_B, MAC_1, 64) - ETH;   // the packet as it arrived: hop limit 64
      frameCopy(k, G);
      expect(sentNic(k)).toBe(0);
      expect(load<u8>(G + ETH + IP6)).toBe(1);                  // destination unreachable
      expect(load<u8>(G + ETH + IP6 + 1)).toBe(4);              // port unreachable
      expect(firstDiff(G + ETH + IP6 + 8, E + ETH, seg < 1232 ? seg : 1232)).toBe(-1);   // RFC 4443's quote: 1,280 bytes in all
    }
  });

  it("cuts one to a service: each segment is queued for it, as captured at DELIVER", () => {
    let n = 3000, gso = 1440;
    let len = superFrame(F, S, 64, n, 0x10);
    capturesClear();
    expect(k_capture(1 << CapturePoint.DELIVER, -1, -1)).toBe(0);
    rxGso(0, F, len, gso);
    k_capture(0, -1, -1);
    expect(captureCount()).toBe(3);
    for (let k = 0; k < 3; k++) {
      let seg = segment(F, n, gso, k, MAC_B, MAC_1, 64) - ETH;
      expect(captureField(k, 4)).toBe(seg);
      captureCopy(k, G);
      expect(firstDiff(G, E + ETH, seg)).toBe(-1);
    }
  });

  it("cuts one to a link-local address before taking it, and drops each segment as not forwarded", () => {
    let before = dropped(Drop.LINK_LOCAL_FWD);
    let len = superFrame(F, "fe80::bb", 64, 3000, 0x10);
    rxGso(0, F, len, 1440);
    k_poll(t);
    expect(dropped(Drop.LINK_LOCAL_FWD)).toBe(before + 3);
    expect(frameCount()).toBe(0);
  });

  it("is captured whole where it is received and sent whole, with its real length", () => {
    let len = superFrame(F, B, 64, 20000, 0x10);
    capturesClear();
    expect(k_capture((1 << CapturePoint.RX) | (1 << CapturePoint.TX), -1, -1)).toBe(0);
    rxGso(0, F, len, 1440);
    k_poll(t);
    k_capture(0, -1, -1);
    expect(captureCount()).toBe(2);
    expect(captureField(0, 0)).toBe(CapturePoint.RX);
    expect(captureField(0, 4)).toBe(len);
    captureCopy(0, G);
    expect(firstDiff(G, F, len)).toBe(-1);
    expect(captureField(1, 0)).toBe(CapturePoint.TX);
    expect(captureField(1, 1)).toBe(1);
    expect(captureField(1, 4)).toBe(len);
  });

  it("cuts what it sends when the host takes no super-frames (-ENOTSUP), each segment captured and counted, then cuts before queueing", () => {
    let n = 3000, gso = 1440;
    let len = superFrame(F, B, 64, n, 0x18);
    gsoNext(-20);
    sendFail(1);                                              // and the first segment's write fails
    let calls = gsoCalls();
    let down = dropped(Drop.NIC_DOWN), errs = txErrors[1], sent = txFrames[1];
    capturesClear();
    expect(k_capture((1 << CapturePoint.TX) | (1 << CapturePoint.DROP_FRAME), 1, -1)).toBe(0);
    rxGso(0, F, len, gso);
    rxGso(0, F, len, gso);                                    // both queued whole before the host says -ENOTSUP
    k_poll(t);
    k_capture(0, -1, -1);
    expect(gsoCalls()).toBe(calls + 1);                        // the second not offered again
    expect(dropped(Drop.NIC_DOWN)).toBe(down + 1);
    expect(txErrors[1] - errs).toBe(1);
    expect(txFrames[1] - sent).toBe(5);
    expect(frameCount()).toBe(5);
    let tx = 0, dropFrames = 0;
    for (let i = 0; i < captureCount(); i++) {
      expect(captureField(i, 4)).toBeLessThanOrEqual(1514);   // segments, never the super-frame
      if (captureField(i, 0) == CapturePoint.TX) tx++;
      if (captureField(i, 0) == CapturePoint.DROP_FRAME) dropFrames++;
    }
    expect(tx).toBe(6);
    expect(dropFrames).toBe(1);
    framesClear();
    rxGso(0, F, len, gso);
    k_poll(t);
    expect(segmentsSent(F, n, gso, 1, MAC_B, MAC_1, 63)).toBe(-1);
    expect(gsoCalls()).toBe(calls + 1);                        // not asked again: cut before it was queued
  });

  it("cuts one from a link-local source: each segment is refused as not forwarded (and answered)", () => {
    let before = dropped(Drop.LINK_LOCAL_FWD);
    let len = superFrame(F, B, 64, 3000, 0x10);
    putAddrAt(F + ETH + 8, "fe80::aa");
    rxGso(0, F, len, 1440);
    k_poll(t + 6000);
    expect(dropped(Drop.LINK_LOCAL_FWD)).toBe(before + 3);
    for (let i = 0; i < frameCount(); i++) expect(frameGso(i)).toBe(0);
    for (let ms: i64 = 7000; ms <= 12000; ms += 1000) k_poll(t + ms);   // the answers' neighbour (fe80::aa) gives up
  });

  it("leaves no buffer held but the three segments queued for the service", () => {
    expect(poolGsoFree()).toBe(8);
    expect(poolFree()).toBe(512 - 3);
    expect(rd16(F + 12)).toBe(0x86dd);
  });
});

// Packet capture (kernel/capture.ts) through the kernel's exports, as a host drives it: a
// router with two NICs (fd00:1::/64 on NIC 0, fd00:2::/64 on NIC 1) and service 0 at
// fd00:1::7. Each capture point must hand the mock host's capture() exactly the bytes the
// kernel had there — the frame as received or as sent, the IPv6 packet delivered, sent or
// dropped — with the right point, NIC, service and drop reason; nothing while capture is
// off (the default) or for points and records the filter leaves out.
import { Drop } from "../../abi/drop";
import { Errno } from "../../abi/errno";
import { Sys } from "../../abi/syscalls";
import { CapturePoint, CAPTURE_ALL, CAPTURE_NONE } from "../../abi/capture";
import { k_poll, k_sys, k_capture } from "../../kernel/main";
import { ETH, IP6, put, firstDiff, nsFrame, echoFrame, udpFrame } from "./frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr } from "./manifest";
import { rx, bootFrom, sent, sentLen, sentNic, dropped } from "./drive";
import { frameCount, framesClear, captureCount, captureField, captureCopy, capturesClear, svcMemory, svcPut } from "./mock";

const MAC_N0 = "02:00:00:00:00:01";
const MAC_N1 = "02:00:00:00:00:02";
const MAC_A = "02:00:00:00:00:aa";   // neighbor A on NIC 0
const MAC_B = "02:00:00:00:00:bb";   // neighbor B on NIC 1
const SVC = "fd00:1::7";
const A = "fd00:1::aa";
const B = "fd00:2::bb";
const ROUTER = 2;                    // Role.ROUTER in the manifest's NODE record

const F: usize = memory.data(16384, 16);   // the frame going in
const C: usize = memory.data(16384, 16);   // a captured record's bytes
const M: usize = memory.data(1024, 16);
const PKT: i32 = 256;                      // where service 0's packet sits in its memory
let t: i64 = 1000;

function field(i: i32, which: i32): i32 { return captureField(i, which); }

/** Record i is (point, nic, svc, reason) with exactly the len bytes at p. */
function expectRecord(i: i32, point: CapturePoint, nic: i32, svc: i32, reason: i32, p: usize, len: i32): void {
  expect(captureCount()).toBeGreaterThan(i, "a record " + i.toString());
  expect(field(i, 0)).toBe(<i32>point, "point of record " + i.toString());
  expect(field(i, 1)).toBe(nic, "nic of record " + i.toString());
  expect(field(i, 2)).toBe(svc, "svc of record " + i.toString());
  expect(field(i, 3)).toBe(reason, "reason of record " + i.toString());
  expect(field(i, 4)).toBe(len, "length of record " + i.toString());
  captureCopy(i, C);
  expect(firstDiff(C, p, len)).toBe(-1, "bytes of record " + i.toString());
}

/** Neighbors A and B solicit the node, so it knows their MACs; the answers are forgotten. */
function introduce(): void {
  rx(0, F, nsFrame(F, "33:33:ff:00:00:01", MAC_A, 255, A, "ff02::1:ff00:1", "fd00:1::ff:fe00:1", MAC_A));
  rx(1, F, nsFrame(F, "33:33:ff:00:00:02", MAC_B, 255, B, "ff02::1:ff00:2", "fd00:2::ff:fe00:2", MAC_B));
  k_poll(t);
  framesClear();
}

describe("packet capture", () => {
  beforeEach(() => { framesClear(); capturesClear(); });

  it("boots a router whose capture is off", () => {
    mfStart(M);
    mfNode(ROUTER, "cap.test");
    mfNic(0, 1500, MAC_N0);
    mfNic(1, 1500, MAC_N1);
    mfPrefix(0, 64, "fd00:1::");
    mfPrefix(1, 64, "fd00:2::");
    mfService(0, "echo.cap.test");
    mfSvcAddr(0, SVC);
    expect(bootFrom(M, mfEnd(), t)).toBe(0);
    k_poll(t);
    introduce();
    svcMemory(0, 4096);
  });

  it("reports nothing while off: a forwarded, a delivered and a dropped packet", () => {
    rx(0, F, udpFrame(F, MAC_N0, MAC_A, 64, A, B, 8));
    rx(0, F, echoFrame(F, MAC_N0, MAC_A, 64, A, SVC, 128, 1, 1, "00"));
    rx(0, F, put(F, "0123456789"));
    k_poll(t);
    expect(frameCount()).toBe(1);            // the forwarded frame left
    expect(captureCount()).toBe(0);
  });

  it("refuses a mask with unknown points or an id out of range, and keeps what it had", () => {
    expect(k_capture(CAPTURE_ALL + 1, CAPTURE_NONE, CAPTURE_NONE)).toBe(-Errno.EINVAL);
    expect(k_capture(CAPTURE_ALL, 16, CAPTURE_NONE)).toBe(-Errno.EINVAL);
    expect(k_capture(CAPTURE_ALL, CAPTURE_NONE, -2)).toBe(-Errno.EINVAL);
    rx(0, F, udpFrame(F, MAC_N0, MAC_A, 64, A, B, 8));
    k_poll(t);
    expect(captureCount()).toBe(0);
  });

  it("RX is the frame as received and TX the frame as sent, with their NICs", () => {
    expect(k_capture(CAPTURE_ALL, CAPTURE_NONE, CAPTURE_NONE)).toBe(0);
    let len = udpFrame(F, MAC_N0, MAC_A, 64, A, B, 8);
    rx(0, F, len);
    expectRecord(0, CapturePoint.RX, 0, CAPTURE_NONE, CAPTURE_NONE, F, len);
    expect(captureCount()).toBe(1);
    k_poll(t);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(1);
    expectRecord(1, CapturePoint.TX, 1, CAPTURE_NONE, CAPTURE_NONE, sent(0), sentLen(0));
    expect(captureCount()).toBe(2);
  });

  it("a frame dropped before it is a packet is reported whole, after its RX, with the reason", () => {
    let before = dropped(Drop.FRAME_SHORT);
    let len = put(F, "02 00 00 00 00 01 02 00 00 00 00 aa 86");   // 13 bytes: no whole Ethernet header
    rx(0, F, len);
    expect(dropped(Drop.FRAME_SHORT)).toBe(before + 1);
    expectRecord(0, CapturePoint.RX, 0, CAPTURE_NONE, CAPTURE_NONE, F, len);
    expectRecord(1, CapturePoint.DROP_FRAME, 0, CAPTURE_NONE, <i32>Drop.FRAME_SHORT, F, len);
    expect(captureCount()).toBe(2);
    capturesClear();
    len = echoFrame(F, MAC_N0, MAC_A, 64, A, SVC, 128, 1, 1, "00");
    put(F + ETH, "40");                                             // IP version 4 in an IPv6 frame
    rx(0, F, len);
    expectRecord(1, CapturePoint.DROP_FRAME, 0, CAPTURE_NONE, <i32>Drop.IP_VERSION, F, len);
  });

  it("a packet dropped on its way is reported without its Ethernet header, with the NIC it came in on", () => {
    let len = udpFrame(F, MAC_N0, MAC_A, 1, A, B, 8);             // hop limit 1: cannot be forwarded
    rx(0, F, len);
    expectRecord(1, CapturePoint.DROP_PACKET, 0, CAPTURE_NONE, <i32>Drop.HOP_LIMIT, F + ETH, len - ETH);
    k_poll(t);                                                      // the time exceeded error leaves
    expect(field(2, 0)).toBe(<i32>CapturePoint.TX);
    expect(captureCount()).toBe(3);
  });

  it("DELIVER is the packet queued for the service; SEND the packet the service sent, then its frame", () => {
    let len = echoFrame(F, MAC_N0, MAC_A, 64, A, SVC, 128, 7, 1, "0102");
    rx(0, F, len);
    expectRecord(1, CapturePoint.DELIVER, 0, 0, CAPTURE_NONE, F + ETH, len - ETH);
    capturesClear();
    let plen = echoFrame(F, MAC_A, MAC_N0, 64, SVC, A, 129, 7, 1, "0102") - ETH;
    svcPut(0, PKT, F + ETH, plen);
    expect(k_sys(0, Sys.SEND, PKT, plen, 0, 0, 0)).toBe(0);
    expectRecord(0, CapturePoint.SEND, CAPTURE_NONE, 0, CAPTURE_NONE, F + ETH, plen);
    k_poll(t);
    expectRecord(1, CapturePoint.TX, 0, 0, CAPTURE_NONE, sent(0), sentLen(0));
    expect(firstDiff(sent(0) + ETH, F + ETH, plen)).toBe(-1);
  });

  it("a service's packet the kernel refuses is reported as a drop of that service", () => {
    let plen = echoFrame(F, MAC_A, MAC_N0, 64, "fd00:1::99", A, 129, 7, 1, "0102") - ETH;   // not its address
    svcPut(0, PKT, F + ETH, plen);
    expect(k_sys(0, Sys.SEND, PKT, plen, 0, 0, 0)).toBe(-Errno.EADDRNOTAVAIL);
    expectRecord(0, CapturePoint.SEND, CAPTURE_NONE, 0, CAPTURE_NONE, F + ETH, plen);
    expectRecord(1, CapturePoint.DROP_PACKET, CAPTURE_NONE, 0, <i32>Drop.SVC_SRC, F + ETH, plen);
    expect(captureCount()).toBe(2);
  });

  it("filters by service: only records that name it", () => {
    expect(k_capture(CAPTURE_ALL, CAPTURE_NONE, 0)).toBe(0);
    rx(0, F, udpFrame(F, MAC_N0, MAC_A, 64, A, B, 8));             // forwarded: names no service
    let len = echoFrame(F, MAC_N0, MAC_A, 64, A, SVC, 128, 7, 2, "03");
    rx(0, F, len);
    k_poll(t);
    expect(captureCount()).toBe(1);
    expectRecord(0, CapturePoint.DELIVER, 0, 0, CAPTURE_NONE, F + ETH, len - ETH);
  });

  it("filters by NIC: only records that name it", () => {
    expect(k_capture(CAPTURE_ALL, 1, CAPTURE_NONE)).toBe(0);
    let len = udpFrame(F, MAC_N0, MAC_A, 64, A, B, 8);
    rx(0, F, len);
    expect(captureCount()).toBe(0);
    k_poll(t);
    expect(captureCount()).toBe(1);
    expectRecord(0, CapturePoint.TX, 1, CAPTURE_NONE, CAPTURE_NONE, sent(0), sentLen(0));
  });

  it("reports only the points of its mask", () => {
    expect(k_capture(1 << CapturePoint.DROP_FRAME | 1 << CapturePoint.DROP_PACKET, CAPTURE_NONE, CAPTURE_NONE)).toBe(0);
    rx(0, F, udpFrame(F, MAC_N0, MAC_A, 64, A, B, 8));
    let len = udpFrame(F, MAC_N0, MAC_A, 64, A, "fd00:3::1", 8);   // a router with no default route
    rx(0, F, len);
    k_poll(t);
    expect(captureCount()).toBe(1);
    expectRecord(0, CapturePoint.DROP_PACKET, 0, CAPTURE_NONE, <i32>Drop.NO_ROUTE, F + ETH, len - ETH);
  });

  it("reports nothing once turned off again", () => {
    expect(k_capture(0, CAPTURE_NONE, CAPTURE_NONE)).toBe(0);
    rx(0, F, udpFrame(F, MAC_N0, MAC_A, 64, A, B, 8));
    rx(0, F, put(F, "0123"));
    k_poll(t);
    expect(captureCount()).toBe(0);
  });
});

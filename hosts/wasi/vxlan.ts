// Frames over the NICs' UDP sockets — VXLAN (RFC 7348) here, a WireGuard NIC's endpoint
// frames in wireguard.ts, chosen per NIC by its kind: receiving a batch of
// datagrams, checking each VXLAN header and giving the inner frames to the kernel (one k_rx_batch per receive, rxbatch.ts);
// nic_send's queue of encapsulated frames, sent when the loop flushes (or when the queue
// is full) after check-send says how many may go. Every drop is counted per NIC by reason,
// as hosts/node/nic/vxlan.ts counts them, and printed by printCounters (stderr, at the end
// of a run) and printHostLine (stdout, with every status line).
// Allocates nothing per packet: frames wait in the fixed slots nic.ts allocated at open,
// received datagrams live in the arena until the batch is delivered.
// Does not learn endpoints, check the sender or retry a datagram WASI refused (dropped and
// counted, the error reported once per change). Used by main.ts (nic_send) and loop.ts.
import { wasi_udp_receive, wasi_udp_check_send, wasi_udp_send, glue_k_read, glue_svc_pages } from "../../abi/gen/shim";
import { ETH_HDR, NicKind } from "../../abi/kernel";
import { SVC_MAX } from "../../abi/limits";
import { VXLAN_FLAGS, VXLAN_FLAG_I, VXLAN_VNI } from "../../wire/layout/vxlan";
import { Errno } from "../../abi/errno";
import { IMG_HOST_PREFIX, IMG_NIC_REMOTE, IMG_NIC_RPORT } from "../../abi/image";
import {
  RES_TAG, TAG_OK, RES_AT4, RES_AT8, LIST_PTR, LIST_LEN, IN_DGRAM_DATA, IN_DGRAM_SIZE, RECV_BATCH,
  OUT_DGRAM_DATA, OUT_DGRAM_SOME, OUT_DGRAM_REMOTE, OUT_DGRAM_SIZE, ISA_SIZE, SOCK_WOULD_BLOCK, IN_DGRAM_REMOTE,
} from "./cabi";
import { WG_EP_HDR } from "../../wire/layout/wireguard";
import { wgCheck, wgDeliver, wgRemote } from "./wireguard";
import { rxQueue, rxFlush } from "./rxbatch";
import { arenaMark, arenaRelease, RET } from "./arena";
import { nicCount } from "./config";
import { Nic, nic, nicIndex, remote, endpointText, frameMax, slotSize, TXQ_DEPTH, VXLAN_HEADER, kindName } from "./nic";
import { socketErrorName } from "./names";
import { begin, end, hostLine, note, put, putU64, stdout } from "./out";

/*
 * RFC 7348, section 5: the VXLAN header, the first 8 bytes of the UDP payload.
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The I flag must be 1 for a valid VNI; R bits and Reserved fields are sent as zero and
 * ignored on receipt.
 */
const VX_FLAGS = VXLAN_FLAGS;
const VX_FLAG_I = <u8>VXLAN_FLAG_I;
const VX_VNI = VXLAN_VNI;

const SEND_BATCH: i32 = 16;   // datagrams per send call (wasmtime permits 16 at a time)
const OUT_DGRAMS: usize = memory.data(SEND_BATCH * OUT_DGRAM_SIZE, 8);

function slot(n: Nic, k: i32): usize { return n.queue + <usize>((n.head + k) % TXQ_DEPTH) * slotSize; }

/** nic_send: queue one frame from kernel memory; 0, or -ENODEV, -EMSGSIZE, -EFAULT, -ENOSPC. */
export function nicSend(id: i32, ptr: i32, len: i32): i32 {
  let i = nicIndex(id);
  if (i < 0) return -Errno.ENODEV;
  let n = nic(i);
  if (<u32>len > <u32>frameMax) return -Errno.EMSGSIZE;
  if (n.count == TXQ_DEPTH) flushNic(i);
  if (n.count == TXQ_DEPTH) { n.queueFull++; return -Errno.ENOSPC; }
  let s = slot(n, n.count);
  if (n.kind == <u32>NicKind.WIREGUARD) {            // the frame whole: its header says where (wireguard.ts)
    let k = glue_k_read(<i32>(s + 4), ptr, len);
    if (k < 0) return k;
    let bad = wgCheck(n, s + 4, len);
    if (bad < 0) return bad;
    store<u32>(s, <u32>len);
    n.count++;
    return 0;
  }
  let r = glue_k_read(<i32>(s + 4 + VXLAN_HEADER), ptr, len);
  if (r < 0) return r;
  store<u32>(s, <u32>(VXLAN_HEADER + len));
  store<u64>(s + 4, 0);
  store<u8>(s + 4 + VX_FLAGS, VX_FLAG_I);
  store<u8>(s + 4 + VX_VNI, <u8>(n.vni >> 16));
  store<u8>(s + 4 + VX_VNI + 1, <u8>(n.vni >> 8));
  store<u8>(s + 4 + VX_VNI + 2, <u8>n.vni);
  n.count++;
  return 0;
}

function sendFailed(i: i32, n: Nic, code: u8): void {
  n.sendErrors++;
  n.head = (n.head + 1) % TXQ_DEPTH;   // the datagram WASI refused is dropped, not retried
  n.count--;
  if (<i32>code == n.lastSendError) return;
  n.lastSendError = code;
  hostLine("warn", kindName(n.kind) + " NIC " + n.id.toString() + ": send error" + (n.kind == <u32>NicKind.WIREGUARD ? "" : " towards " +
    endpointText(n.rec + IMG_NIC_REMOTE, load<u32>(n.rec + IMG_NIC_RPORT))) + ": " + socketErrorName(code));
}

/** Sends what NIC i has queued, as far as check-send permits; sets n.waiting if it did not. */
export function flushNic(i: i32): void {
  let n = nic(i);
  n.waiting = false;
  while (n.count > 0) {
    wasi_udp_check_send(n.outgoing, <i32>RET);
    if (load<u8>(RET + RES_TAG) != TAG_OK) {
      let code = load<u8>(RET + RES_AT8);
      if (code == SOCK_WOULD_BLOCK) { n.waiting = true; return; }
      sendFailed(i, n, code);
      continue;
    }
    let permit = load<u64>(RET + RES_AT8);
    if (permit == 0) { n.waiting = true; return; }
    let k = <i32>min<u64>(permit, <u64>min(n.count, SEND_BATCH));
    for (let j = 0; j < k; j++) {
      let s = slot(n, j);
      let d = OUT_DGRAMS + <usize>j * OUT_DGRAM_SIZE;
      let wg = n.kind == <u32>NicKind.WIREGUARD;
      let skip: u32 = wg ? <u32>WG_EP_HDR : 0;         // a WireGuard frame's endpoint header stays behind
      store<u32>(d + OUT_DGRAM_DATA + LIST_PTR, <u32>(s + 4) + skip);
      store<u32>(d + OUT_DGRAM_DATA + LIST_LEN, load<u32>(s) - skip);
      store<u8>(d + OUT_DGRAM_SOME, 1);
      if (wg) wgRemote(s + 4, d + OUT_DGRAM_REMOTE);
      else memory.copy(d + OUT_DGRAM_REMOTE, remote(i), ISA_SIZE);
    }
    wasi_udp_send(n.outgoing, <i32>OUT_DGRAMS, k, <i32>RET);
    if (load<u8>(RET + RES_TAG) != TAG_OK) {
      let code = load<u8>(RET + RES_AT8);
      if (code == SOCK_WOULD_BLOCK) { n.waiting = true; return; }
      sendFailed(i, n, code);
      continue;
    }
    let sent = <i32>min<u64>(load<u64>(RET + RES_AT8), <u64>k);
    n.head = (n.head + sent) % TXQ_DEPTH;
    n.count -= sent;
    n.txFrames += <u64>sent;
  }
}

export function flushAll(): void {
  for (let i = 0; i < nicCount; i++) if (nic(i).count > 0) flushNic(i);
}

/** Checks one datagram's VXLAN header and gives its frame, received at now (ms), to the
 *  kernel, or counts the drop. A datagram without room for an Ethernet header after the
 *  VXLAN header is short, as on the Node host (spec/wire.md): the kernel only ever gets a frame. */
function deliver(n: Nic, p: usize, len: i32, now: i64): void {
  if (len < VXLAN_HEADER + ETH_HDR) { n.dropShort++; return; }
  if ((load<u8>(p + VX_FLAGS) & VX_FLAG_I) == 0) { n.dropNoIFlag++; return; }
  let vni = <u32>load<u8>(p + VX_VNI) << 16 | <u32>load<u8>(p + VX_VNI + 1) << 8 | <u32>load<u8>(p + VX_VNI + 2);
  if (vni != n.vni) { n.dropOtherVni++; return; }
  let frame = len - VXLAN_HEADER;
  if (frame > frameMax) { n.dropLong++; return; }
  n.rxFrames++;
  rxQueue(n.id, p + VXLAN_HEADER, frame, 0, 0, now);
}

/** Receives and delivers one batch (up to RECV_BATCH datagrams) on NIC i, all of it at
 *  now (ms, the kernel's clock); how many came. */
export function receiveBatch(i: i32, now: i64): i32 {
  let n = nic(i);
  let mark = arenaMark();
  wasi_udp_receive(n.incoming, RECV_BATCH, <i32>RET);
  let ok = load<u8>(RET + RES_TAG) == TAG_OK;
  let list = <usize>load<u32>(RET + RES_AT4 + LIST_PTR);
  let count = load<i32>(RET + RES_AT4 + LIST_LEN);
  if (!ok) {
    arenaRelease(mark);
    let code = load<u8>(RET + RES_AT4);
    if (code != SOCK_WOULD_BLOCK) receiveFailed(n, code);
    return 0;
  }
  for (let j = 0; j < count; j++) {
    let d = list + <usize>j * IN_DGRAM_SIZE;
    let p = <usize>load<u32>(d + IN_DGRAM_DATA + LIST_PTR), len = load<i32>(d + IN_DGRAM_DATA + LIST_LEN);
    if (n.kind == <u32>NicKind.WIREGUARD) wgDeliver(n, p, len, d + IN_DGRAM_REMOTE, now);
    else deliver(n, p, len, now);
  }
  rxFlush(now);   // before the arena's datagrams go: one k_rx_batch for the receive
  arenaRelease(mark);
  return count;
}

function receiveFailed(n: Nic, code: u8): void {
  n.recvErrors++;
  if (<i32>code == n.lastRecvError) return;
  n.lastRecvError = code;
  hostLine("warn", kindName(n.kind) + " NIC " + n.id.toString() + ": receive error: " + socketErrorName(code));
}

/** One line on stdout, IMG_HOST_PREFIX + what the host knows as JSON: the NICs' counters
 *  (loader/status/decode.ts HostNicStatus, with the Node host's VXLAN counter names where they
 *  mean the same) and each service id's memory now, in pages (glue svc_pages): 0 for an id
 *  without a slot and for a slot that holds no service (a store slot not loaded yet, or
 *  unloaded), so only the services the kernel knows count; `persia status` reads the ids
 *  the kernel's status lists. */
export function printHostLine(): void {
  begin(stdout());
  put(IMG_HOST_PREFIX);
  put("{\"nics\":[");
  for (let i = 0; i < nicCount; i++) {
    let n = nic(i);
    if (i > 0) put(",");
    if (n.kind == <u32>NicKind.WIREGUARD) { wgCounters(n); continue; }
    put("{\"id\":"); putU64(n.id); put(",\"backend\":\"wasi-vxlan\",\"counters\":{");
    put("\"rx_frames\":"); putU64(n.rxFrames);
    put(",\"tx_frames\":"); putU64(n.txFrames);
    put(",\"send_errors\":"); putU64(n.sendErrors);
    put(",\"drop_short\":"); putU64(n.dropShort);
    put(",\"drop_no_i_flag\":"); putU64(n.dropNoIFlag);
    put(",\"drop_other_vni\":"); putU64(n.dropOtherVni);
    put(",\"rx_too_long\":"); putU64(n.dropLong);
    put(",\"queue_full\":"); putU64(n.queueFull);
    put(",\"receive_errors\":"); putU64(n.recvErrors);
    put("}}");
  }
  put("],\"services\":[");
  for (let svc = 0; svc < SVC_MAX; svc++) {
    if (svc > 0) put(",");
    put("{\"id\":"); putU64(svc); put(",\"ram_pages\":"); putU64(<u64>glue_svc_pages(svc)); put("}");
  }
  put("]}");
  end();
}

/** A WireGuard NIC's entry of the host line, with the Node host's counter names. */
function wgCounters(n: Nic): void {
  put("{\"id\":"); putU64(n.id); put(",\"backend\":\"wasi-wireguard\",\"counters\":{");
  put("\"rx_datagrams\":"); putU64(n.rxFrames);
  put(",\"tx_datagrams\":"); putU64(n.txFrames);
  put(",\"send_errors\":"); putU64(n.sendErrors);
  put(",\"drop_too_long\":"); putU64(n.dropLong);
  put(",\"tx_bad_header\":"); putU64(n.badHeader);
  put(",\"queue_full\":"); putU64(n.queueFull);
  put(",\"receive_errors\":"); putU64(n.recvErrors);
  put("}}");
}

/** One line per NIC with its counters, for the end of a run. */
export function printCounters(): void {
  for (let i = 0; i < nicCount; i++) {
    let n = nic(i);
    if (n.kind == <u32>NicKind.WIREGUARD) {
      note("WireGuard NIC " + n.id.toString() + ": received " + n.rxFrames.toString() + " datagrams, sent " + n.txFrames.toString() +
        "; dropped " + n.dropLong.toString() + " too long, " + n.badHeader.toString() + " with a bad endpoint header, " +
        n.queueFull.toString() + " at a full send queue, " + n.sendErrors.toString() + " refused by send; " +
        n.recvErrors.toString() + " receive errors");
      continue;
    }
    note("VXLAN NIC " + n.id.toString() + ": received " + n.rxFrames.toString() + " frames, sent " + n.txFrames.toString() +
      "; dropped " + n.dropShort.toString() + " short, " + n.dropNoIFlag.toString() + " without the I flag, " +
      n.dropOtherVni.toString() + " of another VNI, " + n.dropLong.toString() + " too long, " + n.queueFull.toString() +
      " at a full send queue, " + n.sendErrors.toString() + " refused by send; " + n.recvErrors.toString() + " receive errors");
  }
}

// Per-NIC transmit queues: frames wait here, Ethernet header already written in front of
// the IPv6 packet, until the next k_poll drains them to the host's nic_send. One FIFO per
// NIC for now; per-service classes with min/max rates replace it with issue 5.
import { NIC_MAX, NIC_TXQ, ETH_HDR } from "../param";
import { Drop } from "../../abi/drop";
import { drop } from "../stats";
import { pktData, pktLen, pktFree } from "../pool";
import { txFrames, txBytes, txErrors } from "./iface";
import { host_nic_send } from "../../abi/gen/host";

const ring = new StaticArray<u16>(NIC_MAX * NIC_TXQ);
const head = new StaticArray<i32>(NIC_MAX);
const count = new StaticArray<i32>(NIC_MAX);

export function txDepth(nic: i32): i32 { return unchecked(count[nic]); }

/** Queue pkt (its Ethernet header written) on nic. Consumes pkt either way. */
export function txPush(nic: i32, pkt: i32): void {
  let c = unchecked(count[nic]);
  if (c >= NIC_TXQ) { drop(Drop.TXQ_FULL); pktFree(pkt); return; }
  let slot = (unchecked(head[nic]) + c) % NIC_TXQ;
  unchecked(ring[nic * NIC_TXQ + slot] = <u16>pkt);
  unchecked(count[nic] = c + 1);
}

/** Hand every queued frame of every NIC to the host. */
export function txDrain(nicCount: i32): void {
  for (let n = 0; n < nicCount; n++) {
    while (unchecked(count[n]) > 0) {
      let h = unchecked(head[n]);
      let pkt = <i32>unchecked(ring[n * NIC_TXQ + h]);
      unchecked(head[n] = (h + 1) % NIC_TXQ);
      unchecked(count[n]--);
      let len = pktLen(pkt) + ETH_HDR;
      let r = host_nic_send(n, <i32>(pktData(pkt) - ETH_HDR), len);
      if (r < 0) { drop(Drop.NIC_DOWN); unchecked(txErrors[n]++); }
      else { unchecked(txFrames[n]++); unchecked(txBytes[n] += <u64>len); }
      pktFree(pkt);
    }
  }
}

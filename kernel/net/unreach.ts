// What happens to a packet held for a neighbor that never answered (RFC 4861 §7.2.2):
// ICMPv6 destination unreachable, code 3 (address unreachable), to its source, and a
// counted drop. Kept apart from nd.ts so neighbor discovery does not depend on ICMPv6 or
// on output.ts, which sends the error.
import { Drop } from "../../abi/drop";
import { dropSent } from "../stats";
import { CAPTURE_NONE } from "../../abi/capture";
import { pktFree } from "../pool";
import { icmpError } from "./icmpv6";
import { ICMP_UNREACH } from "../../wire/icmpv6";
import { answer } from "./output";

export function neighborGaveUp(pkt: i32): void {
  let e = icmpError(pkt, ICMP_UNREACH, 3, 0, -1);
  dropSent(Drop.NEIGH_UNRESOLVED, pkt, CAPTURE_NONE);
  pktFree(pkt);
  answer(e, -1);
}

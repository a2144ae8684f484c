// Test service: a memory bomb. It answers ICMPv6 Echo Requests as echo does, and on a UDP
// datagram to port 9 whose data starts with "balloon" (tests/services/trigger.ts) it
// grows its memory one 64 KiB page at a time until memory.grow returns -1, which it must
// do cleanly at the RAM max the host capped the imported memory at, then logs
// "balloon: grew <n> pages, stopped at <total> pages" and goes on answering pings. It
// never touches the pages it got. Used by tests/integration/hostile.test.ts.
import { log } from "../../../services/sdk/index";
import { untilTrigger } from "../trigger";

/** A bound far above any RAM max, so that a host that never refuses cannot hang us. */
const GROW_LIMIT: i32 = 65536;

export function persia_event(): void {
  if (!untilTrigger("balloon")) return;
  let grown = 0;
  while (grown < GROW_LIMIT && memory.grow(1) >= 0) grown++;
  log.begin("balloon: grew ");
  log.num(grown);
  log.str(" pages, stopped at ");
  log.num(memory.size());
  log.str(" pages");
  log.emit();
  untilTrigger("balloon");   // answer the pings queued behind the trigger
}

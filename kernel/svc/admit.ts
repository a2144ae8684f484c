// Admission (issue #5): the services' mins must fit what the node has — the sum of RAM
// mins its RAM budget (BUDGET record; none given: not admitted), the sum of CPU mins the
// whole period, and on each NIC the forward class's and the services' net mins its line
// rate (a min above 0 needs a line rate); no max may exceed the line rate. Checked over the
// kernel's tables as they are, after a boot (boot.ts) and after a LOAD or GRANT changed
// them (ctl/ops.ts), which undo their change when admit() refuses. A refusal is one log
// line saying which resource, the totals and by how much; the loader refuses the same
// manifests earlier, with YAML line numbers (loader/manifest/check.ts).
import { LogLevel } from "../../abi/kernel";
import { Errno } from "../../abi/errno";
import { logStart, logStr, logInt, logEnd } from "../log";
import { SVC_MAX, CPU_SHARE_MAX } from "../param";
import { svcValid, svcRamMin } from "./registry";
import { cpuMinPermille } from "./cpu";
import { nicCount } from "../net/iface";
import { getLinkRate, classMinBits, classMaxBits, CLASS_FORWARD, CLASS_SERVICE } from "../net/egress";

/** The node's RAM budget in pages (BUDGET record, set by boot.ts), or -1: RAM mins are not
 *  admitted. */
export let ramBudget: i64 = -1;
export function setRamBudget(pages: i64): void { ramBudget = pages; }

function refuse(what: string): void {
  logStart();
  logStr("admission refused: ");
  logStr(what);
}

/** 0 if every min fits, else -EDQUOT after logging why: an ERROR at boot (the node does
 *  not start), a WARN for a control message (the node goes on as it was). */
export function admit(level: LogLevel): i32 {
  let ram: i64 = 0, cpu: i64 = 0;
  for (let s = 0; s < SVC_MAX; s++) {
    if (!svcValid(s)) continue;
    ram += <i64>unchecked(svcRamMin[s]);
    cpu += <i64>cpuMinPermille(s);
  }
  if (ramBudget >= 0 && ram > ramBudget) {
    refuse("ram.min: the node's RAM budget is ");
    logInt(ramBudget * 64); logStr(" KiB; the services' mins add up to ");
    logInt(ram * 64); logStr(" KiB: ");
    logInt((ram - ramBudget) * 64); logStr(" KiB too much");
    logEnd(level);
    return -Errno.EDQUOT;
  }
  if (cpu > CPU_SHARE_MAX) {
    refuse("cpu.min: the services' CPU mins add up to ");
    logInt(cpu); logStr(" permille of the period: ");
    logInt(cpu - CPU_SHARE_MAX); logStr(" more than the whole");
    logEnd(level);
    return -Errno.EDQUOT;
  }
  for (let n = 0; n < nicCount; n++) if (admitNic(n, level) < 0) return -Errno.EDQUOT;
  return 0;
}

function admitNic(n: i32, level: LogLevel): i32 {
  let link = getLinkRate(n);
  let sum: u64 = classMinBits(n, CLASS_FORWARD), top: u64 = classMaxBits(n, CLASS_FORWARD);
  for (let s = 0; s < SVC_MAX; s++) {
    if (!svcValid(s)) continue;
    sum += classMinBits(n, CLASS_SERVICE + s);
    top = max(top, classMaxBits(n, CLASS_SERVICE + s));
  }
  if (sum > 0 && link == 0) {
    refuse("net.min on NIC "); logInt(n);
    logStr(": a min above 0 needs the NIC's line rate (rate in the manifest), and it has none");
  } else if (sum > link) {
    refuse("net.min on NIC "); logInt(n);
    logStr(": its line rate is "); logInt(<i64>link);
    logStr(" bit/s; the mins add up to "); logInt(<i64>sum);
    logStr(" bit/s: "); logInt(<i64>(sum - link)); logStr(" bit/s too much");
  } else if (link > 0 && top > link) {
    refuse("net.max on NIC "); logInt(n);
    logStr(": a max of "); logInt(<i64>top);
    logStr(" bit/s is over its line rate of "); logInt(<i64>link); logStr(" bit/s");
  } else return 0;
  logEnd(level);
  return -Errno.EDQUOT;
}

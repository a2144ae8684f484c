// Rates from counters: a bounded series of decoded status snapshots and the per-second
// rates between two of them, for views that show what a node is doing now (persia top,
// the dashboard) rather than totals since boot.
// Time is the kernel's own clock (NodeStatus.nowMs), so the rates of a wasmtime image's
// saved output are those it had when it ran, whenever they are read, and two snapshots
// taken in the same kernel millisecond give no rate at all rather than a division by zero.
// A counter that went down means the node or the service restarted: its rate is taken from
// zero, as Prometheus's rate() does. A service slot that now holds another domain counts as
// a new service.
// Does not read a node or print: hosts/node/observe/ and cli/top.ts feed and show it.
import { CPU_PERIOD_FUEL, CPU_PERIOD_MS, CPU_SHARE_MAX } from "../../abi/limits";
import { className } from "./decode";
import type { ClassStatus, Status } from "./decode";

/** The node's CPU capacity per second, in fuel: what a grant's min and max are parts of. */
export const FUEL_PER_SECOND = CPU_PERIOD_FUEL * 1000 / CPU_PERIOD_MS;

/** One snapshot and the host's wall clock (ms since the epoch) when it was read. */
export interface Sample {
  wallMs: number;
  status: Status;
}

export interface NicRate {
  id: number;
  kind: string;
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
}

export interface ServiceRate {
  id: number;
  name: string;
  state: string;
  rxPackets: number;
  txPackets: number;
  sendRefused: number;
  faults: number;
  /** Fuel units per second: the CPU the service used (spec/instrumentation.md). */
  fuel: number;
  /** Its part of all the fuel services used over the span, 0..1 (0 when none ran). */
  cpuShare: number;
  /** Its part of the node's CPU capacity (CPU_PERIOD_FUEL per CPU_PERIOD_MS), 0..1: what
   *  its grant's min and max are parts of, and what the kernel holds to them per period. */
  cpuOfNode: number;
  /** Its granted CPU min and max, 0..1 of the node (1: no max). */
  cpuMin: number;
  cpuMax: number;
}

export interface ClassRate {
  nic: number;
  /** "kernel", "forwarded" or the service's domain. */
  class: string;
  bitsPerSecond: number;
  drops: number;
  /** Its part of all its NIC sent over the span, 0..1 (0 when the NIC sent nothing). */
  share: number;
  minBits: number;
  /** 0: unlimited. */
  maxBits: number;
}

export interface Rates {
  /** Kernel time of the newer snapshot, and the span the rates are over, in seconds. */
  nowMs: number;
  seconds: number;
  wallMs: number;
  nics: NicRate[];
  services: ServiceRate[];
  classes: ClassRate[];
  /** Drops per second by reason (abi/drop.ts names), every reason the snapshots have. */
  drops: Record<string, number>;
  dropsTotal: number;
  controlAccepted: number;
  controlRefused: number;
  icmpErrorsSent: number;
}

/** Per second from two readings of a counter; a counter that went down restarted at 0. */
function perSecond(before: number | undefined, now: number, seconds: number): number {
  const delta = before === undefined || now < before ? now : now - before;
  return delta / seconds;
}


function classKey(c: ClassStatus, s: Status): string {
  return `${c.nic}/${className(c, s)}`;
}

/** The rates between an older and a newer snapshot of one node; null when they carry no
 *  kernel time or the newer is not later. */
export function rates(older: Sample, newer: Sample): Rates | null {
  const a = older.status, b = newer.status;
  if (a.node === null || b.node === null) return null;
  const rebooted = b.node.nowMs < a.node.nowMs;
  const seconds = (rebooted ? b.node.nowMs : b.node.nowMs - a.node.nowMs) / 1000;
  if (seconds <= 0) return null;
  const was = rebooted ? { ...a, nics: [], services: [], classes: [], drops: {} } : a;
  const rate = (x: number | undefined, y: number) => perSecond(x, y, seconds);

  const nics = b.nics.map((n): NicRate => {
    const p = was.nics.find((x) => x.id === n.id);
    return {
      id: n.id, kind: n.kind, rxPackets: rate(p?.rxFrames, n.rxFrames), rxBytes: rate(p?.rxBytes, n.rxBytes),
      txPackets: rate(p?.txFrames, n.txFrames), txBytes: rate(p?.txBytes, n.txBytes), txErrors: rate(p?.txErrors, n.txErrors),
    };
  });
  const services = b.services.map((v): ServiceRate => {
    const p = was.services.find((x) => x.id === v.id && x.name === v.name);
    const g = b.grants.find((x) => x.service === v.id);
    return {
      id: v.id, name: v.name, state: v.state, rxPackets: rate(p?.rxPackets, v.rxPackets), txPackets: rate(p?.txPackets, v.txPackets),
      sendRefused: rate(p?.sendRefused, v.sendRefused), faults: rate(p?.faults, v.faults), fuel: rate(p?.fuel, v.fuel),
      cpuShare: 0, cpuOfNode: rate(p?.fuel, v.fuel) / FUEL_PER_SECOND, cpuMin: (g?.cpuMinPermille ?? 0) / CPU_SHARE_MAX,
      cpuMax: g === undefined || g.cpuMaxPermille === 0 ? 1 : g.cpuMaxPermille / CPU_SHARE_MAX,
    };
  });
  const fuel = services.reduce((sum, v) => sum + v.fuel, 0);
  for (const v of services) v.cpuShare = fuel > 0 ? v.fuel / fuel : 0;

  const classes = b.classes.map((c): ClassRate => {
    const key = classKey(c, b);
    const p = was.classes.find((x) => classKey(x, was) === key);
    return {
      nic: c.nic, class: className(c, b), bitsPerSecond: rate(p?.bytes, c.bytes) * 8, drops: rate(p?.drops, c.drops),
      share: 0, minBits: c.minBits, maxBits: c.maxBits,
    };
  });
  for (const c of classes) {
    const line = classes.filter((x) => x.nic === c.nic).reduce((sum, x) => sum + x.bitsPerSecond, 0);
    c.share = line > 0 ? c.bitsPerSecond / line : 0;
  }

  const drops: Record<string, number> = {};
  for (const [reason, n] of Object.entries(b.drops)) drops[reason] = rate(was.drops[reason], n);
  const wasNode = rebooted ? undefined : a.node;
  return {
    nowMs: b.node.nowMs, seconds, wallMs: newer.wallMs, nics, services, classes, drops,
    dropsTotal: Object.values(drops).reduce((sum, n) => sum + n, 0),
    controlAccepted: rate(wasNode?.controlAccepted, b.node.controlAccepted),
    controlRefused: rate(wasNode?.controlRefused, b.node.controlRefused),
    icmpErrorsSent: rate(wasNode?.icmpErrorsSent, b.node.icmpErrorsSent),
  };
}

/** The last `capacity` snapshots of one node, oldest first, and the rates between them. */
export class Series {
  private readonly samples: Sample[] = [];
  private readonly steps: Rates[] = [];

  constructor(readonly capacity = 600) {
    if (!(capacity >= 2)) throw new Error(`a series needs room for at least 2 snapshots, not ${capacity}`);
  }

  /** Adds a snapshot; returns the rates since the one before, or null for the first (or
   *  one with no newer kernel time). */
  push(status: Status, wallMs = Date.now()): Rates | null {
    const sample = { wallMs, status };
    const last = this.latest();
    const step = last === null ? null : rates(last, sample);
    if (last !== null && step === null && status.node !== null && last.status.node !== null &&
        status.node.nowMs === last.status.node.nowMs) {
      this.samples[this.samples.length - 1] = sample;   // the same kernel millisecond: keep the newer counters
      return null;
    }
    this.samples.push(sample);
    if (this.samples.length > this.capacity) this.samples.shift();
    if (step !== null) {
      this.steps.push(step);
      if (this.steps.length > this.capacity - 1) this.steps.shift();
    }
    return step;
  }

  latest(): Sample | null {
    return this.samples.length === 0 ? null : this.samples[this.samples.length - 1];
  }

  /** The rates between the two newest snapshots, or null with fewer than two. */
  now(): Rates | null {
    return this.steps.length === 0 ? null : this.steps[this.steps.length - 1];
  }

  /** Every step's rates, oldest first: the points of a chart. */
  history(): readonly Rates[] {
    return this.steps;
  }

  /** The rates over the last `ms` of kernel time (or all there is), from its two ends. */
  over(ms: number): Rates | null {
    const last = this.latest();
    if (last === null || last.status.node === null) return null;
    const end = last.status.node.nowMs;
    const first = this.samples.find((s) => s.status.node !== null && s.status.node.nowMs >= end - ms);
    return first === undefined || first === last ? null : rates(first, last);
  }
}

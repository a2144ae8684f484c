// What the observability views share about one node: its status snapshots as a Series
// (loader/status/series.ts, so rates come from counters), and the tail of its log. A
// running node feeds it by polling (watchNode); `persia status --from` feeds it from a
// wasmtime image's output. The metrics server, the dashboard and `persia top` read it.
// Emits "status" (Status, Rates | null) after each snapshot and "log" (LogEntry) after each
// line; listeners must not throw.
// Does not decide what to show: each view picks from it.
import { EventEmitter } from "events";
import type { Status } from "../../../loader/status/decode";
import { Rates, Series } from "../../../loader/status/series";

/** A log line as the JSON log format and the dashboard carry it (spec/observe.md). */
export interface LogEntry {
  /** Wall clock, ms since the epoch. */
  time: number;
  level: "debug" | "info" | "warn" | "error";
  /** The domain the line is about: a service's, or the node's own name. */
  domain: string;
  /** Who wrote it: "kernel" or "host". */
  origin: string;
  message: string;
  /** Structured parts of the line, when its writer knows them (service id, NIC, …). */
  fields?: Record<string, string | number>;
}

/** Log lines kept for the dashboard's tail. */
export const LOG_TAIL = 200;

export class Observed extends EventEmitter {
  readonly series: Series;
  private readonly tail: LogEntry[] = [];

  /** `capacity` snapshots are kept: at one a second, 600 are ten minutes. `node` is the
   *  node's name, or what stands for it until its name is known (a wasmtime image's output
   *  says it in its boot line; the follower sets it then). */
  constructor(public node: string, capacity = 600) {
    super();
    this.series = new Series(capacity);
  }

  pushStatus(status: Status, wallMs = Date.now()): Rates | null {
    const step = this.series.push(status, wallMs);
    this.emit("status", status, step);
    return step;
  }

  pushLog(entry: LogEntry): void {
    this.tail.push(entry);
    if (this.tail.length > LOG_TAIL) this.tail.shift();
    this.emit("log", entry);
  }

  /** The newest snapshot, or null before the first. */
  status(): Status | null {
    return this.series.latest()?.status ?? null;
  }

  logs(): readonly LogEntry[] {
    return this.tail;
  }
}

/** Reads `read()` into `observed` now and every `everyMs` until the returned stop is called.
 *  A read that throws (the node stopped) is reported to `onError` and stops the watch. */
export function watchNode(observed: Observed, read: () => Status, everyMs = 1000,
  onError: (e: Error) => void = () => {}): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): void => {
    try {
      observed.pushStatus(read());
    } catch (e) {
      stop();
      onError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const stop = (): void => {
    stopped = true;
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  tick();
  if (stopped) return stop;
  timer = setInterval(tick, everyMs);
  timer.unref();
  return stop;
}

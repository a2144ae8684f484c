// Serves a running node's observability views: an Observed fed from the node's status
// once a second and from its log lines, and the ObserveServer on `--metrics ADDR` that
// the views register their paths on (the dashboard, dashboard.ts; the metrics). `persia
// run --metrics ADDR` makes one before it launches the node, so that the boot's log lines
// reach the tail too, and starts it once the node runs.
// Does not choose the views: the caller registers them on `server`.
import { LogLevel } from "../../../abi/kernel";
import type { LogOrigin, PersiaNode } from "../node";
import { ObserveServer } from "./http";
import { LogEntry, Observed, watchNode } from "./observed";

/** How often a running node's status is read into the series (and its charts' step). */
export const STATUS_EVERY_MS = 1000;

const LEVELS: Record<LogLevel, LogEntry["level"]> = {
  [LogLevel.ERROR]: "error", [LogLevel.WARN]: "warn", [LogLevel.INFO]: "info", [LogLevel.DEBUG]: "debug",
};

/** The domain a log line is about: the service a kernel line starts with ("echo.sabz.city:
 *  …"), or that a host line names ("service 1 (echo.sabz.city) …"); else the node's. */
export function logDomain(line: string, node: string): string {
  const m = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+): /i.exec(line) ?? /\bservice \d+ \(([a-z0-9-]+(?:\.[a-z0-9-]+)+)\)/i.exec(line);
  return m?.[1] ?? node;
}

export function logEntry(node: string, level: LogLevel, line: string, origin: LogOrigin, time = Date.now()): LogEntry {
  return { time, level: LEVELS[level] ?? "info", domain: logDomain(line, node), origin, message: line };
}

export class NodeObservation {
  readonly observed: Observed;
  readonly server = new ObserveServer();
  private stopWatch: (() => void) | null = null;

  constructor(readonly node: string) {
    this.observed = new Observed(node);
  }

  /** A log sink's line, into the tail. */
  log(level: LogLevel, line: string, origin: LogOrigin): void {
    this.observed.pushLog(logEntry(this.node, level, line, origin));
  }

  /** Watches `node` and listens on `address`; resolves to the server's URL. */
  async start(node: PersiaNode, address: string, onError: (e: Error) => void): Promise<string> {
    const { url } = await this.server.listen(address);
    this.stopWatch = watchNode(this.observed, () => node.status(), STATUS_EVERY_MS, onError);
    return url;
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = null;
    this.server.close();
  }
}

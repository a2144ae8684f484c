// Log lines as values (LogEntry, observed.ts) and as text, both ways: a line the kernel or
// the host logs becomes an entry that says which domain it is about (a service's, found
// in the line by the names the node knows, else the node's own) and carries the service
// id, NIC or disk it names; an entry prints in the human format every host has always
// printed ("warn kernel: …", the default) or as one JSON object per line for log shippers
// (`--log-format json`); and a line a wasmtime image printed is read back into an entry.
// Does not decide which levels are printed (the caller does) or where lines go.
// Used by `persia run` and `persia status --from` (cli/), which also feed Observed.pushLog.
import { LogLevel } from "../../../abi/kernel";
import type { LogEntry } from "./observed";

export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** What a log line can be matched against: the node's name, its services and NIC names. */
export interface LogContext {
  node: string;
  /** The services the node has now (id and domain). */
  services: () => readonly { id: number; name: string }[];
  nics?: ReadonlyMap<number, string>;
}

type Level = LogEntry["level"];
const LEVELS: Record<number, Level> = {
  [LogLevel.ERROR]: "error", [LogLevel.WARN]: "warn", [LogLevel.INFO]: "info", [LogLevel.DEBUG]: "debug",
};

// How the kernel and the hosts name what a line is about (kernel/svc, hosts/node, hosts/wasi):
const SERVICE_ID = /^service (\d+)(?: \(([^)]+)\))?/;         // "service 3 (echo.sabz.city) trapped …"
const SERVICE_NAME = /^service ([a-z0-9.-]+\.[a-z0-9-]+)\b/;  // "service echo.sabz.city restarts …"
const OWN_LINE = /^([a-z0-9.-]+\.[a-z0-9-]+): /;              // "echo.sabz.city: <what the service logged>"
const NIC = /\bNIC (\d+)\b/;                                   // "VXLAN NIC 0: send error …"
const DISK = /^disk (\d+)\b/;                                  // "disk 0 (data.img): read error …"

/** The service a line is about, if it names one the node has. */
function serviceOf(message: string, ctx: LogContext): { id: number; name: string } | null {
  const services = ctx.services();
  const byId = SERVICE_ID.exec(message);
  if (byId) {
    const id = Number(byId[1]);
    const name = byId[2] ?? services.find((s) => s.id === id)?.name;
    return name === undefined ? null : { id, name };
  }
  const named = SERVICE_NAME.exec(message) ?? OWN_LINE.exec(message);
  if (named) return services.find((s) => s.name === named[1]) ?? null;
  return null;
}

/** A line the kernel or host logged, as an entry. */
export function logEntry(level: LogLevel | Level, message: string, origin: string, ctx: LogContext, time = Date.now()): LogEntry {
  const fields: Record<string, string | number> = { node: ctx.node };
  const svc = serviceOf(message, ctx);
  if (svc !== null) fields.service = svc.id;
  // A service's own line ("echo.sabz.city: …") is its text: it may say "NIC 0" or "disk 1"
  // about anything, so only the kernel's and the host's lines are read for them.
  const ownLine = OWN_LINE.test(message);
  const nic = ownLine ? null : NIC.exec(message);
  if (nic) {
    fields.nic = Number(nic[1]);
    const name = ctx.nics?.get(fields.nic);
    if (name !== undefined) fields.nic_name = name;
  }
  const disk = ownLine ? null : DISK.exec(message);
  if (disk) fields.disk = Number(disk[1]);
  return {
    time, level: typeof level === "number" ? LEVELS[level] ?? "debug" : level,
    domain: svc?.name ?? ctx.node, origin, message, fields,
  };
}

/** One line, without its newline: "warn kernel: …" (as every host prints it), or JSON with
 *  the time in ISO 8601. */
export function formatLog(e: LogEntry, format: LogFormat): string {
  if (format === "text") return `${e.level} ${e.origin}: ${e.message}`;
  return JSON.stringify({ time: new Date(e.time).toISOString(), level: e.level, domain: e.domain, origin: e.origin,
    message: e.message, fields: e.fields ?? {} });
}

const PRINTED = /^(error|warn|info|debug) (kernel|host): (.*)$/;
const NOTE = /^persia: (.*)$/;
/** The note a wasmtime image prints once it has booted (hosts/wasi/main.ts). */
const RUNNING = /^persia: node ([a-z0-9.-]+) is running under wasmtime/;

/** The node's name, if `line` is the note an image prints when it has booted. */
export function bootedNode(line: string): string | null {
  return RUNNING.exec(line)?.[1] ?? null;
}

/** A line a wasmtime image printed on stderr, as an entry: its log lines ("warn kernel: …"),
 *  its notes to the person running it ("persia: …", info), and anything else (wasmtime's
 *  own messages, a trap's backtrace) as an error of the host. Null for an empty line. */
export function parseLogLine(line: string, ctx: LogContext, time = Date.now()): LogEntry | null {
  const text = line.replace(/\r$/, "");
  if (text.trim() === "") return null;
  const printed = PRINTED.exec(text);
  if (printed) return logEntry(printed[1] as Level, printed[3], printed[2], ctx, time);
  const note = NOTE.exec(text);
  return logEntry(note ? "info" : "error", note ? note[1] : text, "host", ctx, time);
}

// `persia status --from FILE|- --metrics ADDR`: follows a wasmtime image's output as it
// grows (a file `wasmtime run … > node.log` is writing, or a pipe on stdin) and feeds an
// Observed with each status line (abi/image.ts: `status-host` then `status`) and each log
// line, so the observability server (hosts/node/observe/) serves the newest status of an
// image as it does a Node host's. Log lines are printed again on stderr: as they came in
// the text format, as JSON lines with `--log-format json`.
// A file is read from its start, then polled for what was appended; one that shrinks was
// started again (a new `>` redirect) and is read from its start. A line that does not
// decode is reported and skipped: the next status line replaces it.
// Does not start wasmtime or serve HTTP itself.
import * as fs from "fs";
import { StringDecoder } from "string_decoder";
import { IMG_HOST_PREFIX, IMG_STATUS_PREFIX } from "../abi/image";
import { bootedNode, formatLog, LogContext, LogFormat, parseLogLine } from "../hosts/node/observe/log";
import type { Observed } from "../hosts/node/observe/observed";
import { statusFromLines } from "./image";

/** How often a followed file is checked for more output. */
export const FOLLOW_EVERY_MS = 200;
/** The most read from a file at once. */
const CHUNK = 1 << 20;

/** Bytes in, whole lines out (UTF-8, a character may straddle two chunks). */
class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private rest = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.rest + this.decoder.write(chunk);
    const end = text.lastIndexOf("\n");
    this.rest = end < 0 ? text : text.slice(end + 1);
    if (end >= 0) for (const line of text.slice(0, end).split("\n")) this.onLine(line);
  }

  reset(): void {
    this.decoder = new StringDecoder("utf8");
    this.rest = "";
  }
}

/** Reads `file` and then what is appended to it, line by line, until stop(). */
export function followFile(file: string, onLine: (line: string) => void, everyMs = FOLLOW_EVERY_MS): () => void {
  const fd = fs.openSync(file, "r");
  const lines = new LineSplitter(onLine);
  const buf = Buffer.alloc(CHUNK);
  let at = 0;
  const read = (): void => {
    const size = fs.fstatSync(fd).size;
    if (size < at) { at = 0; lines.reset(); }
    while (at < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, size - at), at);
      if (n === 0) break;
      at += n;
      lines.push(buf.subarray(0, n));
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return () => { clearInterval(timer); fs.closeSync(fd); };
}

/** Reads `stream` line by line; `onEnd` when it ends. */
export function followStream(stream: NodeJS.ReadableStream, onLine: (line: string) => void, onEnd: () => void): () => void {
  const lines = new LineSplitter(onLine);
  const data = (chunk: Buffer | string): void => lines.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  stream.on("data", data);
  stream.once("end", onEnd);
  return () => { stream.off("data", data); stream.off("end", onEnd); };
}

export interface ImageOutputOptions {
  /** The node's name until the image's boot line says it (the `persia status <node>`
   *  argument), or null. */
  node: string | null;
  /** Where log lines are printed again; null: not printed. */
  print: ((line: string) => void) | null;
  logFormat: LogFormat;
  /** A line that does not decode. */
  onError: (e: Error) => void;
}

/** The lines of an image's output, fed into `observed`. */
export class ImageOutput {
  private hostLine: string | null = null;
  /** The node's name, once known. */
  private name: string | null;
  readonly context: LogContext;

  constructor(private readonly observed: Observed, private readonly options: ImageOutputOptions) {
    this.name = options.node;
    this.context = { node: options.node ?? observed.node, services: () => observed.status()?.services ?? [] };
  }

  line(text: string): void {
    if (text.startsWith(IMG_HOST_PREFIX)) { this.hostLine = text; return; }
    if (text.startsWith(IMG_STATUS_PREFIX)) { this.status(text); return; }
    const booted = bootedNode(text);
    if (booted !== null) this.name = this.context.node = booted;
    const entry = parseLogLine(text, this.context);
    if (entry === null) return;
    this.observed.pushLog(entry);
    this.options.print?.(this.options.logFormat === "text" ? text.replace(/\r$/, "") : formatLog(entry, "json"));
  }

  /** A status line, with the host line printed just before it (other lines may come
   *  between them when stdout and stderr share a pipe). */
  private status(text: string): void {
    try {
      const s = statusFromLines(text, this.hostLine);
      this.hostLine = null;
      if (this.name !== null) s.host = { ...(s.host ?? { nics: [] }), name: this.name };
      this.observed.pushStatus(s);
    } catch (e) {
      this.options.onError(new Error(`a status line that does not decode was skipped: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}

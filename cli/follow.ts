// `persia status --from FILE|- --metrics ADDR`: follows a wasmtime image's output as it
// grows (a file `wasmtime run … > node.log` is writing, or a pipe on stdin) and feeds an
// Observed with each status line (abi/image.ts: `status-host` then `status`) and each log
// line, so the observability server (hosts/node/observe/) serves the newest status of an
// image as it does a Node host's. Log lines are printed again on stderr: as they came in
// the text format, as JSON lines with `--log-format json`.
// A file is read from its last 4 MiB (FOLLOW_TAIL), then polled for what was appended, at
// most 4 MiB a turn; one that shrinks was started again (a new `>` redirect) and is read
// from its start. A log line read back gets the time it was read: the image's lines carry
// none. A line that does not
// decode is reported and skipped: the next status line replaces it.
// Does not start wasmtime or serve HTTP itself.
import * as fs from "fs";
import { StringDecoder } from "string_decoder";
import { IMG_CAPTURE_PREFIX, IMG_HOST_PREFIX, IMG_STATUS_PREFIX } from "../abi/image";
import { bootedNode, formatLog, LogContext, LogFormat, parseLogLine } from "../hosts/node/observe/log";
import type { Observed } from "../hosts/node/observe/observed";
import { statusFromLines } from "./image";

/** How often a followed file is checked for more output. */
export const FOLLOW_EVERY_MS = 200;
/** The most read from a file at once. */
const CHUNK = 1 << 20;
/** Bytes of a file's end read when following starts (enough for many status lines: a
 *  snapshot is at most STATUS_SIZE bytes, 4/3 of that in base64), not a whole long run;
 *  and the most one read takes, so that a burst (an image run with --capture) is read
 *  over several turns of the event loop rather than holding the HTTP server in one. */
export const FOLLOW_TAIL = 4 << 20;

/** Bytes in, whole lines out (UTF-8, a character may straddle two chunks). */
class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private rest = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.rest + this.decoder.write(chunk);
    const end = text.lastIndexOf("\n");
    this.rest = end < 0 ? text : text.slice(end + 1);
    if (end >= 0) for (const line of text.slice(0, end).split("\n")) this.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);   // serial: \r\n
  }

  reset(): void {
    this.decoder = new StringDecoder("utf8");
    this.rest = "";
  }
}

/** A file read a piece at a time: each read() hands on the whole lines appended since
 *  the last. A file that shrank was written again (a new `>` redirect) and is read from
 *  its start. `tail`: the first read starts that many bytes before the end, at the next
 *  line, instead of at the start of a long file. Opens the file at each read, so a file
 *  that is not there yet, or is replaced, is read once it is. */
export class FileTail {
  private at = 0;
  private first = true;
  private skipping = false;
  private readonly lines: LineSplitter;
  private readonly buf = Buffer.alloc(CHUNK);

  constructor(readonly file: string, onLine: (line: string) => void, private readonly tail = Infinity) {
    this.lines = new LineSplitter(onLine);
  }

  /** Reads what was appended; throws, saying why, when the file cannot be read. */
  read(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`cannot read ${this.file}: ${code === "ENOENT" ? "there is no such file (yet)" : (e as Error).message}`);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.at) { this.at = 0; this.lines.reset(); this.skipping = false; }
      if (this.first && size > this.tail) { this.at = size - this.tail; this.skipping = true; }
      this.first = false;
      const until = Math.min(size, this.at + FOLLOW_TAIL);
      while (this.at < until) {
        const n = fs.readSync(fd, this.buf, 0, Math.min(CHUNK, until - this.at), this.at);
        if (n === 0) break;
        this.at += n;
        let chunk = this.buf.subarray(0, n);
        if (this.skipping) {                       // started mid-line: drop up to the first newline
          const nl = chunk.indexOf(0x0a);
          if (nl < 0) continue;
          chunk = chunk.subarray(nl + 1);
          this.skipping = false;
        }
        this.lines.push(chunk);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Reads the end of `file` (FOLLOW_TAIL) and then what is appended to it, line by line,
 *  until stop(). Throws if
 *  the file cannot be read at first; a later failure goes to `onError`, and reading goes on. */
export function followFile(file: string, onLine: (line: string) => void, everyMs = FOLLOW_EVERY_MS,
  onError: (e: Error) => void = () => {}): () => void {
  const tail = new FileTail(file, onLine, FOLLOW_TAIL);
  tail.read();
  let failed = false;
  const timer = setInterval(() => {
    try {
      tail.read();
      failed = false;
    } catch (e) {
      if (!failed) onError(e as Error);            // once per failure, not every 200 ms
      failed = true;
    }
  }, everyMs);
  return () => clearInterval(timer);
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
    if (text.startsWith(IMG_CAPTURE_PREFIX)) return;   // packets, for `persia capture --from`; not log lines
    const booted = bootedNode(text);
    if (booted !== null) this.name = this.context.node = this.observed.node = booted;
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

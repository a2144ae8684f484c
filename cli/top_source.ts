// Where `persia top` (top.ts) gets its snapshots: a running node's status socket
// (status_server.ts, asked for JSON as `persia status --format json` does), or the output
// file a wasmtime image is writing (`--status-every`), followed as it grows: each read
// takes only the bytes added since the last, and decodes its newest status line with
// statusFromOutput (image.ts), the decoder `persia status --from` uses.
// Does not keep a series or compute rates (top.ts feeds an Observed) and does not retry:
// a read that fails throws, with a message that says why, and top tries again next time.
import * as fs from "fs";
import { IMG_STATUS_PREFIX } from "../abi/image";
import type { Status } from "../loader/status/decode";
import { statusFromOutput } from "./image";
import { queryStatus } from "./status_client";

/** Bytes of a file's end read when top starts following it: enough for many status lines
 *  (a snapshot is at most STATUS_SIZE bytes, 4/3 of that in base64), not a whole long run. */
const FOLLOW_TAIL = 4 << 20;

export interface Source {
  /** The snapshots that are new since the last read, oldest first (none when nothing is). */
  read(): Promise<Status[]>;
  /** What top says when reads give nothing new for a while ("no new status line in
   *  node.out"); null when every read gives a fresh snapshot. */
  readonly silence: string | null;
  /** What top says, with since when and why, while reads fail ("node not answering"). */
  readonly failing: string;
}

/** A running node's status socket: every read is a fresh snapshot, or throws why not. */
export function socketSource(socket: string, timeoutMs?: number): Source {
  return {
    silence: null,
    failing: "node not answering",
    async read(): Promise<Status[]> {
      const answer = await queryStatus(socket, "json", timeoutMs);
      let parsed: Status & { error?: string };
      try {
        parsed = JSON.parse(answer);
      } catch {
        throw new Error(`the answer on ${socket} is not a status: ${JSON.stringify(answer.slice(0, 60))}`);
      }
      if (typeof parsed.error === "string") throw new Error(`the node answered: ${parsed.error}`);
      return [parsed];
    },
  };
}

/** The text of `text` up to the start of its last status line: the output before it. */
function beforeLastStatus(text: string): string {
  const at = text.lastIndexOf(`\n${IMG_STATUS_PREFIX}`);
  return at < 0 ? "" : text.slice(0, at + 1);
}

function hasStatus(text: string): boolean {
  return text.startsWith(IMG_STATUS_PREFIX) || text.includes(`\n${IMG_STATUS_PREFIX}`);
}

/** A wasmtime image's output file as it grows (or is truncated and written again). */
export class OutputFollower implements Source {
  readonly silence: string;
  readonly failing = "output not readable";
  private offset = 0;
  /** Bytes of an unfinished last line, kept until its newline comes. */
  private partial = Buffer.alloc(0);
  /** The last whole line read so far, which may be the status-host line of the next status. */
  private lastLine = "";
  private started = false;

  constructor(readonly file: string) {
    this.silence = `no new status line in ${file}`;
  }

  async read(): Promise<Status[]> {
    const text = this.newLines();
    if (!hasStatus(text)) return [];
    const newest = statusFromOutput(text);
    if (this.started) return [newest];
    this.started = true;                         // the first read: the line before too, for rates at once
    const before = beforeLastStatus(text);
    return hasStatus(before) ? [statusFromOutput(before), newest] : [newest];
  }

  /** The whole lines added since the last read, after the last whole line before them. */
  private newLines(): string {
    const chunk = this.readAdded();
    const data = Buffer.concat([this.partial, chunk]);
    const end = data.lastIndexOf(0x0a) + 1;
    this.partial = data.subarray(end);
    if (end === 0) return "";
    const text = this.lastLine + data.subarray(0, end).toString("utf8");
    this.lastLine = text.slice(text.lastIndexOf("\n", text.length - 2) + 1);
    return text;
  }

  /** The bytes the file gained since the last read; from its start again if it shrank. */
  private readAdded(): Buffer {
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`cannot read ${this.file}: ${code === "ENOENT" ? "there is no such file (yet)" : (e as Error).message}`);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {                  // truncated: a new run writes it again
        this.offset = 0;
        this.partial = Buffer.alloc(0);
        this.lastLine = "";
      }
      let from = this.offset;
      if (size - from > FOLLOW_TAIL) from = size - FOLLOW_TAIL;
      const chunk = Buffer.alloc(size - from);
      let got = 0;
      while (got < chunk.length) {
        const n = fs.readSync(fd, chunk, got, chunk.length - got, from + got);
        if (n === 0) break;
        got += n;
      }
      const skipped = from > this.offset;
      this.offset = from + got;
      if (!skipped) return chunk.subarray(0, got);
      this.partial = Buffer.alloc(0);            // started mid-line: drop up to the first newline
      this.lastLine = "";
      return chunk.subarray(chunk.indexOf(0x0a) + 1, got);
    } finally {
      fs.closeSync(fd);
    }
  }
}

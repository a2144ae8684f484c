// Where `persia top` (top.ts) gets its snapshots: a running node's status socket
// (status_server.ts, asked for JSON as `persia status --format json` does), or the output
// file a wasmtime image is writing (`--status-every`), followed as it grows: each read
// takes only the lines added since the last (follow.ts's FileTail and ImageOutput, as
// `persia status --from --metrics` follows a file).
// Does not keep a series or compute rates (top.ts feeds an Observed) and does not retry:
// a read that fails throws, with a message that says why, and top tries again next time.
import type { Status } from "../loader/status/decode";
import { Observed } from "../hosts/node/observe/observed";
import { FileTail, FOLLOW_TAIL, ImageOutput } from "./follow";
import { queryStatus } from "./status_client";


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

/** A wasmtime image's output file as it grows (or is truncated and written again), read
 *  by follow.ts's FileTail and taken apart by its ImageOutput, as `persia status --from
 *  --metrics` does: each status with its host line, and the node's name from its boot line. */
export class OutputFollower implements Source {
  readonly silence: string;
  readonly failing = "output not readable";
  private readonly tail: FileTail;
  /** Statuses read and not yet given, and why the last line that did not decode did not. */
  private found: Status[] = [];
  private broken: Error | null = null;
  private started = false;

  constructor(readonly file: string) {
    this.silence = `no new status line in ${file}`;
    const lines = new Observed(file, 2);
    lines.on("status", (s: Status) => this.found.push(s));
    const output = new ImageOutput(lines, { node: null, print: null, logFormat: "text", onError: (e) => { this.broken = e; } });
    this.tail = new FileTail(file, (line) => output.line(line), FOLLOW_TAIL);
  }

  async read(): Promise<Status[]> {
    this.tail.read();
    const broken = this.broken;
    this.broken = null;
    if (this.found.length === 0) {
      if (broken !== null) throw broken;
      return [];
    }
    const keep = this.started ? 1 : 2;           // the first read: the one before too, for rates at once
    this.started = true;
    const newest = this.found.slice(-keep);
    this.found = [];
    return newest;
  }
}

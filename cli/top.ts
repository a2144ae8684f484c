// `persia top`: a live view of one node, refreshed in place every interval until `q`.
// Each refresh reads a snapshot from its Source (top_source.ts: the node's status socket, or
// a wasmtime image's growing output), feeds the node's Observed (hosts/node/observe: the
// series that turns counters into rates on the kernel's clock) and draws renderTop
// (top_screen.ts) for the terminal's size, again at once when the terminal is resized.
// A node that stops answering is said on the screen, with since when and why, and asked
// again at every refresh.
// On a terminal it uses the alternate screen (the shell's screen comes back on exit),
// hides the cursor, reads keys in raw mode, and puts everything back on `q`, Ctrl-C,
// SIGTERM, SIGHUP and on an error. When stdout is not a terminal it prints one plain frame
// per interval (every row, no escape codes, no blank line inside; a blank line after), for
// pipes and logs, until a signal stops it.
import { Observed } from "../hosts/node/observe/observed";
import { renderTop, TopView } from "./top_screen";
import { Source } from "./top_source";

/** Frames kept by the series: top shows only the newest rates. */
const KEEP = 60;
/** Intervals without a new snapshot before top says the source has gone quiet. */
const QUIET_INTERVALS = 3;
/** Width of a plain frame when stdout is not a terminal and COLUMNS does not say. */
const PLAIN_COLUMNS = 80;

const ESC = {
  altScreen: "\x1b[?1049h", mainScreen: "\x1b[?1049l", hideCursor: "\x1b[?25l", showCursor: "\x1b[?25h",
  home: "\x1b[H", clearLine: "\x1b[K", clearBelow: "\x1b[J",
};
const KEY_QUIT = new Set(["q", "Q", "\x03"]);     // q, or Ctrl-C (a key, not a signal, in raw mode)
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

export interface TopOptions {
  /** What the header calls the node: its name, or the output file. */
  name: string;
  source: Source;
  intervalSeconds: number;
  out?: NodeJS.WriteStream;
  input?: NodeJS.ReadStream;
}

/** "12:04:05", local time. */
export function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** What a terminal gets: the frame drawn over the last from the top-left corner, each line
 *  cleared to its end (but a full one, whose last cell a clear would erase), and the lines
 *  below a shorter frame cleared. No newline after a frame as tall as the screen: it
 *  would scroll. */
export function frameBytes(lines: string[], columns: number, rows: number): string {
  const drawn = lines.map((l) => ([...l].length < columns ? l + ESC.clearLine : l));
  return ESC.home + drawn.join("\r\n") + (lines.length < rows ? `\r\n${ESC.clearBelow}` : "");
}

class Terminal {
  private restored = false;
  private keys: ((chunk: string) => void) | null = null;

  constructor(private readonly out: NodeJS.WriteStream, private readonly input: NodeJS.ReadStream | null) {}

  get size(): { columns: number; rows: number } {
    return { columns: this.out.columns || PLAIN_COLUMNS, rows: this.out.rows || 24 };
  }

  open(onKey: (key: string) => void): void {
    this.out.write(ESC.altScreen + ESC.hideCursor + ESC.home + ESC.clearBelow);
    if (this.input === null) return;
    this.input.setRawMode(true);
    this.input.setEncoding("utf8");
    this.keys = (chunk: string) => { for (const key of chunk) onKey(key); };
    this.input.on("data", this.keys);
    this.input.resume();
  }

  draw(lines: string[]): void {
    const { columns, rows } = this.size;
    this.out.write(frameBytes(lines, columns, rows));
  }

  /** Puts the terminal back as it was; safe to call more than once, and from "exit". */
  restore(): void {
    if (this.restored) return;
    this.restored = true;
    if (this.input !== null) {
      this.input.setRawMode(false);
      this.input.pause();
      if (this.keys !== null) this.input.off("data", this.keys);
    }
    this.out.write(ESC.showCursor + ESC.mainScreen);
  }
}

/** One run of the view: its node's Observed, what went wrong, and the process hooks it
 *  holds until it finishes. */
class Top {
  private readonly observed: Observed;
  private readonly everyMs: number;
  private readonly hooks: [string, (e?: unknown) => void][];
  private down: { since: number; why: string } | null = null;
  private lastNew = Date.now();
  private updated = "";
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private resolve: (code: number) => void = () => {};
  /** A closed pipe (`persia top x | head`) ends a plain run quietly; other write errors stop it. */
  private readonly outError = (e: NodeJS.ErrnoException): void => this.finish(e.code === "EPIPE" ? 0 : 1, e.code === "EPIPE" ? undefined : e);

  constructor(private readonly o: TopOptions, private readonly out: NodeJS.WriteStream,
    private readonly term: Terminal | null, private readonly keys: boolean) {
    this.observed = new Observed(o.name, KEEP);
    this.everyMs = o.intervalSeconds * 1000;
    this.hooks = [
      ...Object.entries(SIGNALS).map(([name, n]): [string, () => void] => [name, () => this.finish(128 + n)]),
      ["uncaughtException", (e) => this.finish(1, e)],
      ["exit", () => this.term?.restore()],
    ];
  }

  run(): Promise<number> {
    return new Promise<number>((resolve) => {
      this.resolve = resolve;
      for (const [name, hook] of this.hooks) process.on(name, hook);
      this.out.on("error", this.outError);
      this.out.on("resize", this.draw);
      try {
        this.term?.open((key) => { if (KEY_QUIT.has(key)) this.finish(0); });
        void this.tick();
      } catch (e) {
        this.finish(1, e);
      }
    });
  }

  private view(): TopView {
    const { o, down } = this;
    let notice: string | null = null;
    if (down !== null) notice = `${o.source.failing} since ${clock(down.since)}: ${down.why}`;
    else if (o.source.silence !== null && Date.now() - this.lastNew >= QUIET_INTERVALS * this.everyMs) {
      notice = `${o.source.silence} since ${clock(this.lastNew)}`;
    }
    return {
      node: o.name, status: this.observed.status(), rates: this.observed.series.now(), intervalSeconds: o.intervalSeconds,
      notice, updated: this.updated, footer: this.keys ? "q quit" : this.term !== null ? "Ctrl-C quits" : "",
    };
  }

  private readonly draw = (): void => {
    if (this.finished) return;
    if (this.term !== null) this.term.draw(renderTop(this.view(), this.term.size));
    else this.out.write(renderTop(this.view(), { columns: Number(process.env.COLUMNS) || PLAIN_COLUMNS, rows: Infinity }, false)
      .join("\n") + "\n\n");
  };

  /** Reads, draws, and sets the next read one interval after this one began. */
  private async tick(): Promise<void> {
    const started = Date.now();
    try {
      const fresh = await this.o.source.read();
      for (const s of fresh) this.observed.pushStatus(s);
      if (fresh.length > 0) { this.lastNew = Date.now(); this.updated = clock(this.lastNew); }
      this.down = null;
    } catch (e) {
      this.down = { since: this.down?.since ?? started, why: e instanceof Error ? e.message : String(e) };
    }
    try {
      this.draw();
    } catch (e) {
      this.finish(1, e);
    }
    if (!this.finished) this.timer = setTimeout(() => void this.tick(), Math.max(0, started + this.everyMs - Date.now()));
  }

  /** Puts the terminal back, lets go of the process, then says why if it was an error. */
  private finish(code: number, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.term?.restore();
    for (const [name, hook] of this.hooks) process.off(name, hook);
    this.out.off("resize", this.draw);
    this.out.off("error", this.outError);
    if (error !== undefined) process.stderr.write(`persia: top stopped: ${error instanceof Error ? error.message : String(error)}\n`);
    this.resolve(code);
  }
}

/** Runs the view until q, Ctrl-C or a signal; resolves with the exit status (0 for q and
 *  Ctrl-C, 128 + the signal's number for a signal, 1 for an error). */
export function top(o: TopOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const input = o.input ?? process.stdin;
  const keys = out.isTTY === true && input.isTTY === true;
  const term = out.isTTY === true ? new Terminal(out, keys ? input : null) : null;
  return new Top(o, out, term, keys).run();
}

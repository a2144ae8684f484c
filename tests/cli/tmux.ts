// Running a terminal program as a person would, for the tests of `persia top`: a tmux
// server of the test's own (its own socket, no user configuration) with one window of a
// given size running a shell command; the test reads the screen (capture-pane), asks tmux
// about the pane (alternate screen, cursor, dead or alive) and types keys. The pane stays
// after its command exits (remain-on-exit), so what the command left on the screen can be
// read. Needs tmux (tests/setup.js installs it); under CI=true its absence fails.
// Used by tests/cli/top.test.ts and tests/e2e/top.test.ts.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as assert from "node:assert/strict";
import { skipOrFail } from "../e2e/linux";
import { waitFor } from "../wait";

/** `skip` for a test that needs tmux. */
export function tmuxOrSkip(): string | false {
  const r = spawnSync("tmux", ["-V"], { encoding: "utf8" });
  return skipOrFail(r.status === 0 ? null : "missing tmux (run `node tests/setup.js` as root)");
}

/** A word for sh: single-quoted. */
export function shellWord(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

export class Tmux {
  private readonly socket: string;
  private readonly conf: string;

  constructor(tag: string) {
    this.socket = `persia-${tag}-${process.pid}`;
    this.conf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-tmux-")), "tmux.conf");
    fs.writeFileSync(this.conf, "set -g remain-on-exit on\nset -g status off\n");
  }

  private tmux(...args: string[]): string {
    const r = spawnSync("tmux", ["-L", this.socket, "-f", this.conf, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed (exit ${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Starts `command` (sh) in a new window of columns × rows. */
  start(command: string, columns = 80, rows = 24): void {
    this.tmux("new-session", "-d", "-s", "t", "-x", String(columns), "-y", String(rows), command);
  }

  /** The screen, one string per row (tmux leaves out trailing spaces); with `history`,
   *  the lines that scrolled off the top before it. */
  screen(history = false): string[] {
    return this.tmux("capture-pane", "-p", ...(history ? ["-S", "-"] : []), "-t", "t").replace(/\n$/, "").split("\n");
  }

  /** A tmux format about the pane: "#{alternate_on}", "#{cursor_flag}", "#{pane_dead}", … */
  pane(format: string): string {
    return this.tmux("display-message", "-p", "-t", "t", format).trim();
  }

  /** Makes the window columns × rows, as a person dragging the terminal's corner. */
  resize(columns: number, rows: number): void {
    this.tmux("resize-window", "-t", "t", "-x", String(columns), "-y", String(rows));
  }

  keys(...keys: string[]): void {
    this.tmux("send-keys", "-t", "t", ...keys);
  }

  /** Ends the server and removes its socket file, which kill-server leaves behind. */
  close(): void {
    const socketPath = spawnSync("tmux", ["-L", this.socket, "display-message", "-p", "#{socket_path}"], { encoding: "utf8" }).stdout.trim();
    spawnSync("tmux", ["-L", this.socket, "kill-server"]);
    if (socketPath !== "") fs.rmSync(socketPath, { force: true });
    fs.rmSync(path.dirname(this.conf), { recursive: true, force: true });
  }
}

/** Presses q in a pane whose shell runs `persia top` and then prints its exit status and
 *  `stty -a`, and checks that top exited 0 and put the terminal back: raw mode and the
 *  alternate screen off, the cursor shown. Returns what the pane shows, history included. */
export async function quitTop(tmux: Tmux): Promise<string> {
  tmux.keys("q");
  let text = "";
  await waitFor(() => /\n(-?)echoctl/.test(text = tmux.screen(true).join("\n")), 10000,
    () => `top to exit after q, and the shell to print the terminal's settings:\n${text}`);
  assert.match(text, /^top exited with 0$/m);
  assert.match(text, /(^|\s)icanon(\s|$)/m, "raw mode is off again");
  assert.match(text, /(^|\s)echo(\s|$)/m, "echo is on again");
  assert.deepEqual([tmux.pane("#{alternate_on}"), tmux.pane("#{cursor_flag}")], ["0", "1"], "main screen, cursor shown");
  return text;
}

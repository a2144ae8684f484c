// A real Prometheus for the tests (Debian's prometheus and promtool, tests/setup.js installs
// them): `promtool check metrics` on a text, and a Prometheus server that scrapes one
// target every second, with its HTTP API's instant queries. Under CI=true a missing tool
// fails the test instead of skipping it. Needs no root: Prometheus listens on a free
// loopback port and keeps its data in a temporary directory removed at stop().
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { waitFor, within } from "../wait";

/** `skip` for a test that needs these tools; under CI=true a missing one throws. */
export function toolsOrSkip(tools: string[]): string | false {
  const absent = tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (absent.length === 0) return false;
  const why = `missing ${absent.join(", ")} (Debian's prometheus; run \`node tests/setup.js\` as root)`;
  if (process.env.CI === "true") throw new Error(`required under CI: ${why}`);
  console.log(`# skipped: ${why}`);
  return why;
}

/** What `promtool check metrics` says about a text: "" when it is clean (no error and no
 *  lint warning), else its complaints. */
export function promtoolProblems(text: string): string {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  const said = `${r.stdout}${r.stderr}`.trim();
  return r.status === 0 && said === "" ? "" : `exit ${r.status}: ${said || String(r.error)}`;
}

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** One sample of an instant query: its labels and value. */
export interface Sample { metric: Record<string, string>; value: number }

/** A Prometheus server scraping `target` ("[::1]:9464") every second. */
export class Prometheus {
  private constructor(readonly api: string, private readonly proc: ChildProcess, private readonly dir: string,
    private readonly log: { text: string }) {}

  static async start(target: string, job = "persia"): Promise<Prometheus> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-prometheus-"));
    const config = path.join(dir, "prometheus.yml");
    fs.writeFileSync(config, [
      "global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }",
      "scrape_configs:",
      `  - job_name: ${job}`,
      `    static_configs: [{ targets: ["${target}"] }]`,
      "",
    ].join("\n"));
    const port = await freePort();
    const proc = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
    const log = { text: "" };
    proc.stderr!.on("data", (d) => (log.text += d));
    const p = new Prometheus(`http://127.0.0.1:${port}`, proc, dir, log);
    try {
      await waitFor(async () => {
        if (proc.exitCode !== null) throw new Error(`prometheus exited (${proc.exitCode}):\n${log.text.slice(-2000)}`);
        return (await fetch(`${p.api}/-/ready`).catch(() => null))?.ok === true;
      }, 30000, () => `prometheus to be ready:\n${log.text.slice(-2000)}`, 100);
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  /** An instant query's vector (HTTP API /api/v1/query). */
  async query(expr: string): Promise<Sample[]> {
    const res = await fetch(`${this.api}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await res.json() as { status: string; error?: string; data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success") throw new Error(`prometheus refused ${expr}: ${body.error}`);
    if (body.data.resultType !== "vector") throw new Error(`${expr} is a ${body.data.resultType}, not a vector`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Waits until `expr`'s single sample satisfies `ok`; resolves to its value. */
  async until(expr: string, ok: (v: number) => boolean, what: string, ms = 30000): Promise<number> {
    let seen: Sample[] = [];
    return waitFor(async () => {
      seen = await this.query(expr);
      return seen.length === 1 && ok(seen[0].value) ? { v: seen[0].value } : null;
    }, ms, () => `${what} (${expr}); Prometheus last answered ${JSON.stringify(seen)}`, 250).then((r) => r.v);
  }

  get logText(): string {
    return this.log.text;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise<void>((r) => this.proc.once("exit", () => r()));
      this.proc.kill("SIGTERM");
      await within(exited, 5000);
      if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// The README's "Under wasmtime" example, followed as a new user would on a fresh machine:
// its node.yaml in an empty directory (with build/ linked in, as beside the README), then
// each line of its shell block in order, with /srv/persia moved inside that directory (so
// the test makes nothing outside it), its UDP ports moved to free ones and `--for` added so
// the run ends. `persia image` must print the README's mkdir and wasmtime lines for it;
// wasmtime must run the image, which creates the disk file; `persia status --from` must
// read what it printed. Needs wasmtime (tests/setup.js); under CI=true its absence fails.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { wasmtimeOrSkip } from "./wasmtime";
import { freePorts } from "../ports";

const wt = wasmtimeOrSkip();

/** The yaml block and the shell lines (comments dropped) of the README's section. */
function example(): { yaml: string; lines: string[] } {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf("\n## Under wasmtime\n");
  assert.ok(at >= 0, "README.md has a section \"Under wasmtime\"");
  const section = readme.slice(at, readme.indexOf("\n## ", at + 1));
  const block = (lang: string) => new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section)?.[1] ?? "";
  const lines = block("sh").split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "");
  return { yaml: block("yaml"), lines };
}

test("the README's wasmtime example runs in an empty directory with the commands `persia image` prints", { skip: wt.skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-readme-"));
  try {
    const { yaml, lines } = example();
    const [local, remote] = await freePorts(2);
    const srv = path.join(dir, "srv/persia");
    const moved = (text: string) => text.replaceAll("/srv/persia", srv).replaceAll(":4789", `:${local}`).replaceAll(":4790", `:${remote}`);
    fs.writeFileSync(path.join(dir, "node.yaml"), moved(yaml));
    fs.symlinkSync(path.join(ROOT, "build"), path.join(dir, "build"));
    const cli = `${process.execPath} ${path.join(ROOT, "build/ts/cli/cli.js")}`;
    const outputs: string[] = [];
    for (const line of lines.map(moved)) {
      const cmd = line.replace(/^persia /, `${cli} `).replace(/^wasmtime (.*?) >/, `${wt.file} $1 --for 300 >`);
      const r = spawnSync("sh", ["-c", cmd], { cwd: dir, encoding: "utf8", env: { ...process.env, RUST_BACKTRACE: "0" } });
      assert.equal(r.status, 0, `${line}\n${r.stdout}${r.stderr}`);
      outputs.push(r.stdout + r.stderr);
    }
    const printed = outputs[0].split("\n").map((l) => l.replace(/\s+#.*$/, "").trim());
    const mkdir = lines.map(moved).find((l) => l.startsWith("mkdir "))!;
    const run = lines.map(moved).find((l) => l.startsWith("wasmtime "))!;
    assert.ok(printed.includes(mkdir), `persia image prints the README's "${mkdir}":\n${outputs[0]}`);
    const head = run.slice(0, run.indexOf("node.wasm") + "node.wasm".length);
    assert.ok(printed.some((l) => l.startsWith(head + " ")), `persia image prints the README's "${head}":\n${outputs[0]}`);
    assert.match(outputs[2], /did not exist: created it with its size in the manifest/);
    assert.ok(fs.statSync(path.join(srv, "data.img")).size > 0, "the disk file exists");
    assert.match(outputs[3], /kv\.sabz\.city +running/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

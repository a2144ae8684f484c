// The tree keeps the shape spec/map.md draws: every import in every .ts file goes only
// where the map's table lets its folder go, and the kernel's own import graph has no
// cycle. Reads the rules from spec/map.md itself, so the page and the code cannot drift.
// The imports and cycles that break the map today are listed below with the issue item
// that removes them; the test fails when a new one appears and when a listed one is gone,
// so the lists only shrink. Reads the sources, not build/ (but abi/gen/ must be built).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";

/** Imports that break the map today: "file -> import as written". */
const KNOWN_BREAKS = new Set<string>([
]);

/** Import cycles inside kernel/ today, each as its files (a strongly connected set), sorted. */
const KNOWN_CYCLES = new Set<string>([]);

/** Folders that are not code: nothing in them is read. */
const SKIP = new Set(["node_modules", "build", ".git", ".ci"]);

interface Import { file: string; spec: string; target: string | null }

/** The map's table: folder → the folders it may import ("" cells → none). */
function mapRules(): Map<string, Set<string> | "any"> {
  const text = fs.readFileSync(path.join(ROOT, "spec/map.md"), "utf8");
  const rows = text.split("\n").filter((l) => /^\| `[^`]+\/` \|/.test(l));
  const folders = rows.map((l) => /^\| `([^`]+)\/`/.exec(l)![1]);
  const rules = new Map<string, Set<string> | "any">();
  for (const [i, row] of rows.entries()) {
    const cell = row.split("|").slice(-2)[0].trim();
    const named = [...cell.matchAll(/`([^`]+)\/`/g)].map((m) => m[1]);
    if (cell === "anything") rules.set(folders[i], "any");
    else if (cell.startsWith("anything but")) rules.set(folders[i], new Set(folders.filter((f) => !named.includes(f))));
    else rules.set(folders[i], new Set(named));
  }
  return rules;
}

/** The folder of the map that holds `file` (a path from ROOT): the longest row that is a prefix. */
function folderOf(file: string, folders: string[]): string | null {
  const hits = folders.filter((f) => file.startsWith(f + "/"));
  return hits.sort((a, b) => b.length - a.length)[0] ?? null;
}

function sources(dir = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory() && !SKIP.has(e.name)) out.push(...sources(rel));
    else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

// `import … from "x"`, `export … from "x"` (names may span lines), `import "x"`, `require("x")`.
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:\{[^}]*\}|\*\s+as\s+\w+|\w+(?:\s*,\s*\{[^}]*\})?|\*)\s+from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']\s*\)/gm;

/** Every relative import of `file`, resolved to a file from ROOT (null when it names none). */
function importsOf(file: string): Import[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const found: Import[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith(".")) continue;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    const target = [`${base}.ts`, `${base}/index.ts`, base].find((c) => fs.existsSync(path.join(ROOT, c)) &&
      fs.statSync(path.join(ROOT, c)).isFile()) ?? null;
    found.push({ file, spec, target });
  }
  return found;
}

const files = sources();
const imports = files.flatMap(importsOf);

test("every import names a file that exists", () => {
  const missing = imports.filter((i) => i.target === null).map((i) => `${i.file} imports ${i.spec}, which is no file`);
  assert.deepEqual(missing, []);
});

test("every folder imports only what spec/map.md lets it", () => {
  const rules = mapRules();
  const folders = [...rules.keys()];
  assert.ok(rules.has("kernel") && rules.has("cli") && rules.has("hosts/node"), "spec/map.md has its table");
  const unmapped = [...new Set(files.map((f) => f.split("/")[0]).filter((top) => !folders.some((f) => f.split("/")[0] === top)))];
  assert.deepEqual(unmapped, [], "every top-level folder with code has a row in spec/map.md");
  const breaks: string[] = [];
  for (const i of imports) {
    if (i.target === null) continue;
    const from = folderOf(i.file, folders)!;
    const to = folderOf(i.target, folders);
    const may = rules.get(from)!;
    if (to === null || to === from || may === "any" || may.has(to)) continue;
    breaks.push(`${i.file} -> ${i.spec}`);
  }
  const found = new Set(breaks);
  const fresh = breaks.filter((b) => !KNOWN_BREAKS.has(b)).map((b) => `${b}: breaks spec/map.md (see its table)`);
  const gone = [...KNOWN_BREAKS].filter((b) => !found.has(b)).map((b) => `${b}: no longer breaks the map; remove it from KNOWN_BREAKS`);
  assert.deepEqual([...fresh, ...gone], []);
});

test("the Node host never imports the CLI", () => {
  const back = imports.filter((i) => i.file.startsWith("hosts/node/") && i.target?.startsWith("cli/"));
  assert.deepEqual(back.map((i) => `${i.file} -> ${i.spec}`), []);
});

/** The strongly connected sets of more than one file (Tarjan), each sorted, as "a b c". */
function cycles(graph: Map<string, string[]>): string[] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>(), out: string[] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const set: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) { on.delete(w); set.push(w); if (w === v) break; }
    if (set.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(set.sort().join(" "));
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort();
}

test("the kernel's import graph has no cycle but the known ones, which only shrink", () => {
  const graph = new Map<string, string[]>();
  for (const i of imports) {
    if (!i.file.startsWith("kernel/") || !i.target?.startsWith("kernel/")) continue;
    graph.set(i.file, [...(graph.get(i.file) ?? []), i.target]);
  }
  assert.ok(graph.size > 10, "found the kernel's imports");
  const found = cycles(graph);
  const fresh = found.filter((c) => !KNOWN_CYCLES.has(c)).map((c) => `a new import cycle in the kernel: ${c}`);
  const gone = [...KNOWN_CYCLES].filter((c) => !found.includes(c)).map((c) => `gone (remove it from KNOWN_CYCLES): ${c}`);
  assert.deepEqual([...fresh, ...gone], []);
});

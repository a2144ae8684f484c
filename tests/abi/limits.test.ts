// abi/limits.ts is the only place a limit's number is written (spec/manifest.md, "Limits"):
// no source file defines one of its names again as a number, the manifest loader's bounds
// are its constants under the loader's names, and the C header abi/gen.ts writes carries
// every one of them. Whether the kernel's derived capacities (ROUTE_MAX) hold the largest
// manifest is tests/loader/limits.test.ts's part: it boots that manifest in kernel.wasm.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as A from "../../abi/limits";
import * as L from "../../loader/manifest/limits";
import { generate } from "../../abi/gen";

/** The checkout: this file runs as build/ts/tests/abi/limits.test.js. */
const ROOT = path.resolve(__dirname, "../../../..");
const NAMES = Object.keys(A).filter((k) => typeof (A as Record<string, unknown>)[k] === "number");
const SOURCE_DIRS = ["abi", "wire", "kernel", "services", "hosts", "loader", "cli", "tests"];
const SOURCE_EXT = /\.(ts|js|mjs|c|h|rs)$/;
const SKIP = new Set(["abi/limits.ts", "abi/gen", "tests/abi/limits.test.ts"]);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (SKIP.has(rel) || e.name === "node_modules") continue;
    if (e.isDirectory()) out.push(...sources(rel));
    else if (SOURCE_EXT.test(e.name)) out.push(rel);
  }
  return out;
}

test("no source file defines a limit of abi/limits.ts again as a number", () => {
  // `const MTU_MAX = 9000`, `export const SVC_RXQ: i32 = 64`, `#define SVC_MAX 16`, `const FUEL_PER_CALL = 100_000_000n`
  const copy = new RegExp(`(?:\\bconst|\\blet|#define)\\s+(?:PERSIA_)?(${NAMES.join("|")})\\b\\s*(?::\\s*\\w+\\s*)?=?\\s*[-(]?\\s*[0-9]`);
  const found: string[] = [];
  for (const dir of SOURCE_DIRS.filter((d) => fs.existsSync(path.join(ROOT, d)))) {
    for (const file of sources(dir)) {
      fs.readFileSync(path.join(ROOT, file), "utf8").split("\n").forEach((line, i) => {
        const m = copy.exec(line);
        if (m) found.push(`${file}:${i + 1}: ${m[1]}`);
      });
    }
  }
  assert.deepEqual(found, [], "import these from abi/limits.ts instead of writing their numbers again");
});

test("the manifest loader's bounds are abi/limits.ts's constants, named the loader's way", () => {
  const same: [keyof typeof L, keyof typeof A][] = [
    ["MAX_NICS", "NIC_MAX"], ["MAX_SERVICES", "SVC_MAX"], ["MAX_DISKS", "DISK_MAX"],
    ["MAX_ADDRS_PER_SERVICE", "ADDR_PER_SVC"], ["MAX_PREFIXES_PER_NIC", "PREFIX_PER_NIC"],
    ["MAX_PREFIXES", "PREFIX_MAX"], ["MAX_ROUTES", "ROUTE_STATIC_MAX"],
    ["MAX_DISK_GRANTS_PER_SERVICE", "DISK_GRANT_PER_SVC"], ["MAX_USERS", "USER_MAX"],
    ["MAX_USER_PREFIXES", "USER_PREFIX_MAX"], ["MAX_USER_DISKS", "USER_DISK_MAX"],
    ["MTU_MIN", "MTU_MIN"], ["MTU_MAX", "MTU_MAX"], ["RA_MAX_INTERVAL_MIN", "RA_MAX_INTERVAL_MIN"],
    ["RA_MAX_INTERVAL_MAX", "RA_MAX_INTERVAL_MAX"], ["RA_MIN_INTERVAL_MIN", "RA_MIN_INTERVAL_MIN"],
    ["RA_LIFETIME_MAX", "RA_LIFETIME_MAX"], ["CPU_SHARE_MAX", "CPU_SHARE_MAX"],
    ["MAX_TRUSTED", "TRUST_MAX"], ["MAX_NODE_CERTS", "NODE_CERT_MAX"],
  ];
  const text = fs.readFileSync(path.join(ROOT, "loader/manifest/limits.ts"), "utf8");
  for (const [loader, abi] of same) {
    assert.equal(L[loader], A[abi], `${loader} equals abi/limits.ts ${abi}`);
    assert.match(text, new RegExp(`export const ${loader} = A\\.${abi};`), `${loader} is defined as A.${abi}, not as a number`);
  }
});

test("the C header carries every limit, and abi/gen/ is what abi/gen.ts writes from this checkout", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-gen-"));
  try {
    const files = generate(dir);
    const header = fs.readFileSync(path.join(dir, "persia_abi.h"), "utf8");
    for (const name of NAMES) {
      assert.ok(header.includes(`#define PERSIA_${name} ${(A as Record<string, unknown>)[name]}\n`), `persia_abi.h defines PERSIA_${name}`);
    }
    for (const file of files) {
      const built = path.join(ROOT, "abi/gen", path.basename(file));
      assert.equal(fs.readFileSync(built, "utf8"), fs.readFileSync(file, "utf8"),
        `${path.relative(ROOT, built)} is stale: rebuild (npm run build) after changing abi/`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

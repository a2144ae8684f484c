// An ISO that holds the node's identity seed is never open to others while it is written:
// writeIso runs grub-mkrescue inside a 0700 directory beside the output (grub-mkrescue
// creates its file by the umask, 0644 here), gives the ISO its mode there and renames it
// over the output. A stand-in grub-mkrescue on PATH records the mode of the directory it
// writes into and of the file it made; no GRUB or QEMU is run.
import { describe, it, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { writeIso } from "../../loader/metal/iso";
import { tempDir } from "./qemu";

const grub = fs.existsSync("/usr/lib/grub/i386-pc/multiboot.mod") ? false : "grub-pc-bin is missing (node tests/setup.js installs it)";

describe("writeIso", { skip: grub }, () => {
  const dir = grub ? "" : tempDir("iso-private");
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it("makes the ISO in a 0700 directory and renames it, with mode 0600, over the output", () => {
    const bin = path.join(dir, "bin"), out = path.join(dir, "public", "node.iso"), seen = path.join(dir, "seen");
    fs.mkdirSync(bin);
    fs.mkdirSync(path.dirname(out), { mode: 0o755 });
    fs.chmodSync(path.dirname(out), 0o755);
    fs.writeFileSync(path.join(bin, "grub-mkrescue"),
      `#!/bin/sh\n[ "$1" = -o ] || exit 2\numask 022\necho iso > "$2"\nstat -c '%a' "$(dirname "$2")" "$2" > ${seen}\n`, { mode: 0o755 });
    fs.writeFileSync(out, "an older, public image", { mode: 0o644 });
    const PATH = process.env.PATH;
    process.env.PATH = `${bin}:${PATH}`;
    try {
      writeIso(new Uint8Array(16), "p.sabz.city", "", out, 0o600);
    } finally {
      process.env.PATH = PATH;
    }
    const [dirMode, fileMode] = fs.readFileSync(seen, "utf8").trim().split(/\s+/);
    assert.equal(dirMode, "700", "grub-mkrescue wrote its ISO into a directory others can enter");
    assert.equal(fileMode, "644");   // as grub-mkrescue left it, inside the private directory
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(out, "utf8"), "iso\n");
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ["node.iso"], "the private directory is removed");
  });
});

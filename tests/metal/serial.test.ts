// A metal node's serial console ends lines with \r\n: `persia status --from` (statusFromOutput)
// and the followers of `persia top --from` / `status --from --metrics` (cli/follow.ts) read
// its status and host lines as they read a wasmtime image's stdout, boot log and GRUB's
// screen codes around them notwithstanding.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMG_HOST_PREFIX, IMG_STATUS_PREFIX } from "../../abi/image";
import { statusFromOutput } from "../../cli/image";
import { followFile } from "../../cli/follow";
import { SNAPSHOT } from "../loader/status_fixture";

const HOST = `${IMG_HOST_PREFIX}{"nics":[{"id":0,"rx_frames":3,"rx_bytes":300,"tx_frames":2,"tx_bytes":200,"rx_errors":0,"tx_errors":0}]}`;
const SERIAL = ["\x1b[H\x1b[J  Booting `PersiaOS metal.sabz.city'", "persia-metal: booted", `kernel.wasm sha256 ${"ab".repeat(32)}`,
  HOST, `${IMG_STATUS_PREFIX}${Buffer.from(SNAPSHOT).toString("base64")}`, ""].join("\r\n");

describe("a metal node's serial console", () => {
  it("gives persia status --from its last status line and host line", () => {
    const s = statusFromOutput(SERIAL);
    assert.equal(s.services.length > 0, true);
    assert.equal(s.host?.nics.length, 1);
  });

  it("reaches the followers' line handlers without its \\r", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-serial-")), "serial.log");
    fs.writeFileSync(file, SERIAL);
    const lines: string[] = [];
    const stop = followFile(file, (l) => lines.push(l), undefined, (e) => assert.fail(e.message));   // reads what is there at once
    stop();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    assert.ok(lines.length >= 5, `lines: ${JSON.stringify(lines)}`);
    assert.ok(lines.every((l) => !l.endsWith("\r")), JSON.stringify(lines));
    assert.ok(lines.includes(HOST));
  });
});

// A service's abort text is printed inside one of the Node host's log lines: control
// characters in it become '?' (as the kernel's log syscall does), so a service cannot end
// the host's line and print lines that speak for the host or the kernel.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { abortText, readAsString } from "../../hosts/node/faults";

/** A memory holding the AssemblyScript string `s` at 16 (its byte length at 12). */
function memoryWith(s: string): Uint8Array {
  const m = Buffer.alloc(16 + s.length * 2);
  m.writeUInt32LE(s.length * 2, 12);
  m.write(s, 16, "utf16le");
  return new Uint8Array(m);
}

test("an abort message's newlines and other control characters become '?'", () => {
  const forged = "\nkernel.wasm sha256 " + "0".repeat(64) + "\r\nstatus AAAA\x1b[2J\x7f";
  const text = abortText(memoryWith(forged), 16, 0, 0, 0);
  assert.equal(text, "?kernel.wasm sha256 " + "0".repeat(64) + "??status AAAA?[2J?");
  assert.ok(!/[\x00-\x1f\x7f]/.test(text));
});

test("printable text, including non-ASCII, is kept as the service wrote it", () => {
  assert.equal(readAsString(memoryWith("out of range: ساز 7"), 16), "out of range: ساز 7");
});

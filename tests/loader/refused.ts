// Shared by the manifest error tests: parse a manifest that must be refused and return
// the problems it was refused for (loader/manifest/issues.ts) or check that there is
// exactly one, or decode boot bytes that must be refused and return why.
import * as assert from "node:assert/strict";
import { parseManifest, decodeBootManifest, ManifestError, ManifestIssue } from "../../loader/manifest";
import { LoaderError } from "../../loader/errors";

/** Exactly one problem, in node.yaml at `line`, on `path`, whose message is or matches
 *  `message` (files named in the manifest are found in `dir`); returns the message. */
export function one(text: string, line: number, path: string, message: RegExp | string, dir = "/srv"): string {
  const errors = errorsOf(text, dir);
  assert.equal(errors.length, 1, `expected one problem, got:\n${errors.map((e) => `${e.line} ${e.path}: ${e.message}`).join("\n")}`);
  assert.equal(errors[0].file, "node.yaml");
  assert.deepEqual([errors[0].line, errors[0].path], [line, path]);
  if (typeof message === "string") assert.equal(errors[0].message, message);
  else assert.match(errors[0].message, message);
  return errors[0].message;
}

export function errorsOf(text: string, dir = "/srv"): ManifestIssue[] {
  try {
    parseManifest(text, "node.yaml", dir);
  } catch (e) {
    assert.ok(e instanceof ManifestError, `expected ManifestError, got ${e}`);
    return e.errors;
  }
  assert.fail("the manifest was accepted");
}

/** Why decodeBootManifest refuses these bytes (LoaderError.why); fails if it accepts them. */
export function bootRefusal(bytes: number[]): string {
  try {
    decodeBootManifest(Uint8Array.from(bytes));
  } catch (e) {
    assert.ok(e instanceof LoaderError, `expected LoaderError, got ${e}`);
    return e.why;
  }
  assert.fail("decodeBootManifest accepted a damaged record");
}

// Shared by the manifest error tests: parse a manifest that must be refused and return
// the problems it was refused for (loader/manifest/issues.ts), or decode boot bytes that
// must be refused and return why.
import * as assert from "node:assert/strict";
import { parseManifest, decodeBootManifest, ManifestError, ManifestIssue } from "../../loader/manifest";
import { LoaderError } from "../../loader/errors";

export function errorsOf(text: string): ManifestIssue[] {
  try {
    parseManifest(text, "node.yaml", "/srv");
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

// Shared by the manifest error tests: parse a manifest that must be refused and return
// the problems it was refused for (loader/manifest/issues.ts).
import * as assert from "node:assert/strict";
import { parseManifest, ManifestError, ManifestIssue } from "../../loader/manifest";

export function errorsOf(text: string): ManifestIssue[] {
  try {
    parseManifest(text, "node.yaml", "/srv");
  } catch (e) {
    assert.ok(e instanceof ManifestError, `expected ManifestError, got ${e}`);
    return e.errors;
  }
  assert.fail("the manifest was accepted");
}

// How manifest problems reach a person: each is {file, line, path, message}, where `line`
// is found by walking the YAML document's nodes along the field path, `path` reads like
// `services[1].ram.max`, and `message` says what is wrong and what is allowed. ManifestError
// carries all of them at once. Also turns YAML syntax errors and zod issues into this form
// (with an error map that speaks plainly instead of zod's defaults). Deliberately not here:
// deciding what is wrong (schema.ts, check.ts). Called by loader/manifest/load.ts.
import { Document, LineCounter, Node, isAlias, isMap, isScalar, isSeq } from "yaml";
import { YAMLError } from "yaml";
import { z } from "zod";
import { show } from "./values";

export type FieldPath = (string | number)[];

export interface ManifestIssue {
  file: string;
  line: number;      // 1-based
  path: string;      // e.g. "services[1].ram.max"; "manifest" for the document as a whole
  message: string;
}

export class ManifestError extends Error {
  readonly errors: ManifestIssue[];

  constructor(file: string, errors: ManifestIssue[]) {
    const n = errors.length;
    // The first SHOWN_ISSUES in the message, which a person reads; `errors` holds them all
    // (a table of 100,000 broken routes would otherwise make a message of megabytes).
    const more = n - SHOWN_ISSUES;
    super(`manifest ${file} was refused (${n} problem${n === 1 ? "" : "s"}); fix ${n === 1 ? "it" : "them"} ` +
      `and load it again. Fields are described in spec/manifest.md.\n` +
      errors.slice(0, SHOWN_ISSUES).map((e) => `  ${e.file}:${e.line}: ${e.path}: ${e.message}`).join("\n") +
      (more > 0 ? `\n  ... and ${more} more problem${more === 1 ? "" : "s"} (the next at line ${errors[SHOWN_ISSUES].line}), not shown` : ""));
    this.name = "ManifestError";
    this.errors = errors;
  }
}

const SHOWN_ISSUES = 50;

export function formatPath(p: FieldPath): string {
  if (p.length === 0) return "manifest";
  return p.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/** Finds the line of a field path in a parsed YAML document. */
export class Locator {
  private rowLines = new Map<string, number[]>();

  constructor(private doc: Document, private lines: LineCounter) {}

  /** The top-level list `key` was written as a table (loader/manifest/routes.ts): its entry i,
   *  and every field of it, is at line lines[i]. */
  rows(key: string, lines: number[]): void {
    this.rowLines.set(key, lines);
  }

  /** The line of a character offset in the text (1 when unknown). */
  lineOf(offset: number | undefined): number {
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  /** The YAML node under top-level `key`, an alias followed to what it names. */
  top(key: string): unknown {
    const node = this.doc.get(key, true);
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /** The line of the deepest node on `p` that exists: a map key's line, or a list item's. */
  line(p: FieldPath): number {
    const row = typeof p[1] === "number" ? this.rowLines.get(String(p[0]))?.[p[1]] : undefined;
    if (row !== undefined) return row;
    let node: unknown = this.doc.contents;
    let line = this.lineOf((node as Node | null)?.range?.[0]);
    for (const seg of p) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((it) => (isScalar(it.key) ? String(it.key.value) : String(it.key)) === String(seg));
        if (!pair) break;
        line = this.lineOf((pair.key as Node | null)?.range?.[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
        node = node.items[seg];
        const range = (node as Node | null)?.range;
        if (range) line = this.lineOf(range[0]);
      } else {
        break;
      }
    }
    return line;
  }

  issue(file: string, p: FieldPath, message: string): ManifestIssue {
    return { file, line: this.line(p), path: formatPath(p), message };
  }
}

/** YAML syntax errors, each at its own line. */
export function yamlIssues(file: string, errors: YAMLError[], lines: LineCounter): ManifestIssue[] {
  return errors.map((e) => ({
    file,
    line: lines.linePos(e.pos[0]).line,
    path: "manifest",
    message: `YAML syntax: ${e.message.split("\n")[0].replace(/[.:]$/, "")}; fix the YAML at this line`,
  }));
}

const EXPECTED: Record<string, string> = {
  object: "a mapping of keys to values",
  array: "a list",
  string: "text",
  number: "a number",
};

/** Plain-language messages for the zod issues that our leaf parsers do not produce. */
export const errorMap: z.ZodErrorMap = (issue, ctx) => {
  if (issue.code === z.ZodIssueCode.invalid_type) {
    const want = EXPECTED[issue.expected] ?? issue.expected;
    if (issue.received === "undefined") return { message: `is required; write ${want} here` };
    return { message: `expected ${want}, found ${show(ctx.data)}` };
  }
  return { message: ctx.defaultError };
};

/** Every zod issue as a ManifestIssue (those `keep` keeps); an unknown key is reported at
 *  its own line. */
export function zodIssues(file: string, err: z.ZodError, at: Locator, keep: (i: z.ZodIssue) => boolean = () => true): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  for (const i of err.issues.filter(keep)) {
    if (i.code === z.ZodIssueCode.unrecognized_keys) {
      for (const k of i.keys) out.push(at.issue(file, [...i.path, k], `is not a known key; ${i.message}`));
    } else {
      out.push(at.issue(file, i.path, i.message));
    }
  }
  return out;
}

// The routes table: `routes:` written as a literal block, one route a line, instead of a
// list of mappings (spec/manifest.md "routes"):
//
//   routes: |
//     # prefix         next hop          NIC
//     ::/0             via fe80::1       nic wan0
//     2001:db8::/32                      nic lan0
//
// A line is `<prefix> [via <address>] nic <name>`, the words `ip -6 route` uses (with `nic`
// for its `dev`); blank lines and `#` comments are skipped. What it is for: a router with a
// large static table. The YAML parser takes about 60 µs a route written as a mapping (7–9 s
// for 100,000 on the bench machine), and a block of text is one YAML scalar, read at well
// under 1 µs a line (spec/performance.md "Start-up"). Each line becomes the mapping the list
// form would have held, so the schema and the cross-checks see one form and say the same
// things about it; each keeps its line, for the Locator. Called by loader/manifest/load.ts.
import { Document, LineCounter, isScalar } from "yaml";
import { FieldPath } from "./issues";
import { Raw } from "./raw";

export const ROUTE_LINE = "<prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0";

/** A table line's problem, before the schema sees its values. */
export interface TableIssue { path: FieldPath; line: number; message: string }

export interface RouteTable {
  /** One entry a route line: its mapping, or undefined if the line is not a route. */
  rows: (Raw | undefined)[];
  /** The file line of each row. */
  lines: number[];
  issues: TableIssue[];
}

/** The table under `routes:` if it is written as text, else null (a list, or nothing: the
 *  schema's business). Text in any other style than a literal block is refused, since only
 *  a literal block keeps its lines where the file has them. */
export function routeTable(doc: Document, lines: LineCounter): RouteTable | null {
  const node = doc.get("routes", true);
  if (!isScalar(node) || typeof node.value !== "string") return null;
  const at = node.range ? lines.linePos(node.range[0]).line : 1;
  if (node.type !== "BLOCK_LITERAL") {
    return { rows: [], lines: [], issues: [{ path: ["routes"], line: at,
      message: `is text but not a literal block; write the table as \`routes: |\`, then one route a line: ${ROUTE_LINE}` }] };
  }
  const out: RouteTable = { rows: [], lines: [], issues: [] };
  node.value.split("\n").forEach((text, k) => {
    const words = text.replace(/#.*$/, "").trim().split(/\s+/);
    if (words[0] === "") return;
    const line = at + 1 + k, i = out.rows.length;
    const row = routeLine(words);
    out.lines.push(line);
    if (typeof row === "string") {
      out.rows.push(undefined);
      out.issues.push({ path: ["routes", i], line, message: `${JSON.stringify(shown(text.trim()))} is not a route: ${row}; write ${ROUTE_LINE}` });
    } else {
      out.rows.push(row);
    }
  });
  return out;
}

/** A line as a message quotes it: at most 80 characters of it. */
function shown(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 77)}...`;
}

/** One line's words as a route's mapping ({to, via?, nic?}: a missing nic is the schema's
 *  to report, as in the list form), or why they are not one. */
function routeLine(words: string[]): Raw | string {
  const row: Raw = { to: words[0] };
  if (words[0] === "via" || words[0] === "nic") return "it starts with a keyword, not the prefix";
  for (let w = 1; w < words.length; w += 2) {
    const key = words[w];
    if (key !== "via" && key !== "nic") return `${JSON.stringify(shown(key))} is not a keyword of a route (via, nic)`;
    if (key in row) return `${key} is given twice`;
    if (w + 1 >= words.length) return `${key} has no value`;
    row[key] = words[w + 1];
  }
  return row;
}

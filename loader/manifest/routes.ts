// The routes table: `routes:` written as a literal block, one route a line, instead of a
// list of mappings (spec/manifest.md "routes"):
//
//   routes: |
//     # prefix         next hop          NIC
//     ::/0             via fe80::1       nic wan0
//     2001:db8::/32                      nic lan0
//
// A line is `<prefix> [via <address>] nic <name>`, the words `ip -6 route` uses (with `nic`
// for its `dev`); blank lines are skipped, and a `#` that begins a word starts a comment.
// What it is for: a router with a large static table, which as a list of mappings spends
// seconds in the YAML parser where a block of text is one scalar (spec/performance.md "A
// large route table in the manifest"). Each line becomes the mapping the list form would
// have held, so the schema and the cross-checks see one form and say the same things about
// it; each keeps its line, for the Locator. Called by loader/manifest/load.ts.
import { isScalar } from "yaml";
import { FieldPath, Locator, ManifestIssue } from "./issues";
import { Raw } from "./raw";
import { show } from "./values";

const ROUTE_LINE = "<prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0";

/** If `routes:` is written as text, puts the list it stands for in raw.routes, tells `at`
 *  the line of each entry, and returns the lines that are no route, as issues, with a test
 *  for the schema's issues to drop (those about such a line's empty entry: the line's own
 *  issue says it). Otherwise (a list, or nothing: the schema's business) returns null.
 *  Text in another style than a literal block is refused, since only a literal block keeps
 *  its lines where the file has them. */
export function applyRouteTable(raw: Raw, at: Locator, file: string):
  { issues: ManifestIssue[]; drop: (path: FieldPath) => boolean } | null {
  const node = at.top("routes");                       // routes: *t, with &t on a block: its lines
  if (!isScalar(node) || typeof node.value !== "string") return null;
  if (node.type !== "BLOCK_LITERAL") {
    raw.routes = [];
    return { issues: [at.issue(file, ["routes"], `is text but not a literal block; write the table as \`routes: |\`, then one route a line: ${ROUTE_LINE}`)],
      drop: () => false };
  }
  const rows: (Raw | undefined)[] = [], rowLines: number[] = [], refused: [number, string][] = [];
  const first = at.lineOf(node.range?.[0]) + 1;         // the line after the `|`
  node.value.split("\n").forEach((text, k) => {
    const line = text.replace(/(^|[ \t])#[\s\S]*$/, "");  // [\s\S]: "." stops at a lone CR or U+2028
    const words = line.split(/[ \t]+/).filter((w) => w !== "");
    if (words.length === 0) return;
    const row = routeLine(line, words);
    rowLines.push(first + k);
    rows.push(typeof row === "string" ? undefined : row);
    // The form to write is said once, at the first line that is no route.
    if (typeof row === "string") refused.push([rows.length - 1, `${show(text.trim())} is not a route: ${row}${refused.length === 0 ? `; write ${ROUTE_LINE}` : ""}`]);
  });
  raw.routes = rows;
  at.rows("routes", rowLines);
  return {
    issues: refused.map(([i, message]) => at.issue(file, ["routes", i], message)),
    drop: (path) => path[0] === "routes" && typeof path[1] === "number" && rows[path[1]] === undefined,
  };
}

/** One line's words as a route's mapping ({to, via?, nic?}: a missing nic is the schema's
 *  to report, as in the list form), or why they are not one. */
function routeLine(line: string, words: string[]): Raw | string {
  // Words are parted by spaces and tabs only: other white space (a no-break space pasted
  // from a web page, a lone CR) would hide inside a word, and the message quoting it would
  // not show why.
  const odd = /[^\S \t]/.exec(line);
  if (odd !== null) {
    const code = odd[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    const before = line.slice(0, odd.index).trim();
    return `it has the white space U+${code} ${before === "" ? "at its start" : `after ${show(before)}`}; part the words with spaces or tabs`;
  }
  if (words[0] === "-") return "a table line has no \"-\" (the list form's); write the route alone";
  if (words[0] === "to:" || words[0] === "via:" || words[0] === "nic:") return "a table line has no keys (the list form's)";
  if (words[0] === "via" || words[0] === "nic") return "it starts with a keyword, not the prefix";
  // A word with a letter past f and a colon at its end is no address: a key such as
  // `services:` indented into the table.
  if (/^[a-z_]*[g-z_][a-z_]*:$/.test(words[0])) {
    return `${show(words[0])} reads as a YAML key; the keys after the table go back to the indentation of \`routes:\``;
  }
  const row: Raw = { to: words[0] };
  for (let w = 1; w < words.length; w += 2) {
    const key = words[w];
    if (key === "dev") return `"dev" is ip route's word; write nic`;
    if (key === "via:" || key === "nic:") return `write ${key.slice(0, -1)} without a colon`;
    if (key !== "via" && key !== "nic") return `${show(key)} is not a keyword of a route (via, nic)`;
    if (key in row) return `${key} is given twice`;
    if (w + 1 >= words.length) return `${key} has no value`;
    row[key] = words[w + 1];
  }
  return row;
}

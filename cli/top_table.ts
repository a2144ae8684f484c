// Text that fits a width, for `persia top` (top_screen.ts): a line cut with "…", and a
// table whose columns are padded to their widest cell and, when the table is wider than
// the terminal, narrowed: first its flexible columns (a name, a meaning; the last first)
// down to a comfortable width, then whole columns dropped (the highest `drop` first), then
// the flexible columns down to their least.
// Widths count characters (code points): every character top prints is one column wide
// (names are domains, ASCII; "…" is one column). Does not know what the columns mean.

export type Align = "left" | "right";

export interface Column {
  head: string;
  align: Align;
  /** May be narrowed down to this many characters (cells cut with "…")… */
  flex?: number;
  /** …but only down to this many before other columns are dropped (default: flex). */
  soft?: number;
  /** May be left out when the table does not fit: the highest number goes first. */
  drop?: number;
}

const GAP = 2;
const ELLIPSIS = "…";

export function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `s` in at most `w` characters: cut, with "…" as its last character, when longer. */
export function fitText(s: string, w: number): string {
  if (width(s) <= w) return s;
  if (w <= 0) return "";
  return [...s].slice(0, w - 1).join("") + ELLIPSIS;
}

export function padLeft(s: string, w: number): string {
  return " ".repeat(Math.max(0, w - width(s))) + s;
}

function padRight(s: string, w: number): string {
  return s + " ".repeat(Math.max(0, w - width(s)));
}

/** The header line and one line per row, each at most `w` characters, trailing spaces cut. */
export function fitTable(columns: Column[], rows: string[][], w: number): string[] {
  const widths = columns.map((c, i) => Math.max(width(c.head), ...rows.map((r) => width(r[i]))));
  const shown = columns.map(() => true);
  const total = () => widths.reduce((sum, x, i) => sum + (shown[i] ? x + GAP : 0), -GAP);
  const narrow = (least: (c: Column) => number | undefined) => {
    for (const [i, c] of [...columns.entries()].reverse()) {     // the last flexible column first
      const min = least(c);
      if (min !== undefined && total() > w) widths[i] = Math.min(widths[i], Math.max(min, widths[i] - (total() - w)));
    }
  };
  narrow((c) => c.soft ?? c.flex);
  while (total() > w) {
    const next = columns.map((c, i) => ({ i, drop: shown[i] ? c.drop ?? 0 : 0 })).sort((a, b) => b.drop - a.drop)[0];
    if (next.drop === 0) break;
    shown[next.i] = false;
  }
  narrow((c) => c.flex);
  const line = (cells: string[]) => fitText(cells.map((cell, i) => {
    if (!shown[i]) return null;
    const text = fitText(cell, widths[i]);
    return columns[i].align === "right" ? padLeft(text, widths[i]) : padRight(text, widths[i]);
  }).filter((x): x is string => x !== null).join(" ".repeat(GAP)).trimEnd(), w);
  return [line(columns.map((c) => c.head)), ...rows.map(line)];
}

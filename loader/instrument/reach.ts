// Which tables of a module may hold an imported function (a syscall, env.abort) when a
// call_indirect reads them, so that fuel.ts charges such a call what a call to an import
// costs. A reference to an import comes from `ref.func` of an import (in a function body
// or a global's initialiser) or from an active element segment that puts one in a table
// (where table.get can read it out). A table may then hold one if:
//   - it is imported or exported: someone else may write it;
//   - an active element segment puts an import in it;
//   - the module has a reference to an import anywhere, and writes the table at run time
//     (table.set, table.grow): values are not followed, so the value may be that reference;
//   - the module uses table.fill, table.copy or table.init at all (the fuel pass refuses
//     them today; if it ever takes them, every table counts until this file follows them).
// Passive and declarative segments only matter through table.init. Precise per table and
// per module, conservative about values. Deliberately not here: the charging (fuel.ts).
import type binaryen from "binaryen";
import { Binaryen, BinaryenModule } from "./binaryen";
import { Ref, Walker } from "./walk";

/** What the module does with tables and references, gathered in one walk. */
interface Uses {
  importRef: boolean;          // some ref.func names an import
  written: Set<string>;        // tables that table.set or table.grow write
  bulk: boolean;               // table.fill, table.copy or table.init anywhere
}

function gather(b: Binaryen, imports: Set<string>, roots: Ref[]): Uses {
  const uses: Uses = { importRef: false, written: new Set(), bulk: false };
  const walker = new Walker(b);
  // binaryen.js 132 has no TableFillId etc. (its typings do), only the C API's functions
  const c = b as unknown as Record<string, () => number>;
  const bulkIds = new Set(["TableFill", "TableCopy", "TableInit"].map((k) => c[`_Binaryen${k}Id`]()));
  const stack = [...roots];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    const id = b.getExpressionId(e);
    if (bulkIds.has(id)) { uses.bulk = true; continue; }
    if (id === b.RefFuncId && imports.has((b.getExpressionInfo(e) as binaryen.RefFuncInfo).func)) uses.importRef = true;
    if (id === b.TableSetId || id === b.TableGrowId) uses.written.add((b.getExpressionInfo(e) as binaryen.TableSetInfo).table);
    for (const site of walker.operands(e) ?? []) stack.push(site.e); // an unknown kind: the fuel pass refuses it
  }
  return uses;
}

/** The names of the tables in which a call_indirect may find an imported function. */
export function tablesHoldingImports(b: Binaryen, m: BinaryenModule): Set<string> {
  const imports = new Set<string>();
  const roots: Ref[] = [];
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = b.getFunctionInfo(m.getFunctionByIndex(i));
    if (f.module) imports.add(f.name);
    else roots.push(f.body);
  }
  for (let i = 0; i < m.getNumGlobals(); i++) {
    const g = b.getGlobalInfo(m.getGlobalByIndex(i));
    if (!g.module) roots.push(g.init);
  }
  const uses = gather(b, imports, roots);
  const all: string[] = [];
  const suspect = new Set<string>();
  for (let i = 0; i < m.getNumTables(); i++) {
    const t = b.getTableInfo(m.getTableByIndex(i));
    all.push(t.name);
    if (t.module) suspect.add(t.name);
  }
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = b.getExportInfo(m.getExportByIndex(i));
    if (e.kind === b.ExternalTable) suspect.add(e.value);
  }
  const passive = b as unknown as { _BinaryenElementSegmentIsPassive(seg: Ref): boolean };
  for (let i = 0; i < m.getNumElementSegments(); i++) {
    const seg = m.getElementSegmentByIndex(i);
    if (passive._BinaryenElementSegmentIsPassive(seg)) continue; // only table.init reads it
    const info = b.getElementSegmentInfo(seg);
    if (info.data.some((f) => imports.has(f))) {
      suspect.add(info.table);
      uses.importRef = true;
    }
  }
  if (uses.bulk) return new Set(all);
  if (uses.importRef) for (const t of uses.written) suspect.add(t);
  return suspect;
}

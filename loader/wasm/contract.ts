// Does a built module keep its side of abi/contract.ts? The Node host's bindings are
// type-checked against the contract by tsc (abi/gen/host_imports.ts), but two modules are
// AssemblyScript that the build only compiles: kernel.wasm, which every host instantiates,
// and the image's WASI shim (hosts/wasi), which the composer wires to the glue. An export
// missing or of the wrong type there used to show only when a host instantiated it or an
// image was composed; `persia build` (cli/build.ts) now checks both right after compiling
// and fails naming the function, its type and what the contract wants.
import { Fn, WasmType } from "../../abi/contract";
import { parseModule, functionType, formatFuncType, FuncType } from "./parse";

const want = (f: Fn): FuncType => ({ params: f.params.map(([, t]) => t as WasmType), results: f.result ? [f.result] : [] });
const same = (a: FuncType, b: FuncType) =>
  a.params.length === b.params.length && a.params.every((t, i) => t === b.params[i]) &&
  a.results.length === b.results.length && a.results.every((t, i) => t === b.results[i]);

/** What is wrong with the module's exports against fns (every one exported as a function
 *  of exactly its type), and with its function imports from `module` against `imports`
 *  (each one named there, of exactly its type); one line each, empty if nothing. */
export function contractProblems(bytes: Uint8Array, fns: Fn[], module?: string, imports: Fn[] = []): string[] {
  const m = parseModule(bytes);
  const problems: string[] = [];
  for (const f of fns) {
    const e = m.exports.find((x) => x.name === f.name);
    if (!e || e.kind !== "func") { problems.push(`does not export ${f.name}${formatFuncType(want(f))}`); continue; }
    const t = functionType(m, e.index);
    if (!t || !same(t, want(f))) problems.push(`exports ${f.name}${t ? formatFuncType(t) : ""}; the contract says ${f.name}${formatFuncType(want(f))}`);
  }
  if (module === undefined) return problems;
  m.imports.forEach((imp, i) => {
    if (imp.module !== module || imp.desc.kind !== "func") return;
    const f = imports.find((x) => x.name === imp.name);
    if (!f) { problems.push(`imports ${module}.${imp.name}, which the contract does not have`); return; }
    const funcIndex = m.imports.slice(0, i).filter((x) => x.desc.kind === "func").length;
    const t = functionType(m, funcIndex);
    if (!t || !same(t, want(f))) problems.push(`imports ${module}.${imp.name}${t ? formatFuncType(t) : ""}; the contract says ${formatFuncType(want(f))}`);
  });
  return problems;
}

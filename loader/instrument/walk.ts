// Reading and rewriting binaryen expression trees from JavaScript, for the loader's passes:
// which operands each kind of expression has (binaryen.getExpressionInfo fields) and how to
// put a new expression in an operand's place (binaryen.js's per-kind setters). binaryen.js
// has no generic child iterator, so the kinds are listed here, and a kind that is not is
// reported as unknown: a pass must refuse it rather than miss what is inside it.
// Covers the features of binaryen.ts serviceFeatures; loops are listed but a pass usually
// stops at them. Used by fuel.ts.
import { Binaryen } from "./binaryen";

export type Ref = number;

/** An expression and how to replace it where it stands. */
export interface Site {
  e: Ref;
  put: (replacement: Ref) => void;
}

/** Each kind's operand fields: one expression each (0 when absent), or a list ("children",
 *  "operands"). A field `f` is replaced with the kind's `setF`, a list item with
 *  `setChildAt`/`setOperandAt`. */
const OPERANDS: [kind: string, fields: string[]][] = [
  ["Nop", []], ["Unreachable", []], ["Const", []], ["LocalGet", []], ["GlobalGet", []],
  ["MemorySize", []], ["DataDrop", []], ["RefNull", []], ["RefFunc", []], ["TableSize", []],
  ["Block", ["children"]], ["Loop", ["body"]], ["If", ["condition", "ifTrue", "ifFalse"]],
  ["Break", ["condition", "value"]], ["Switch", ["condition", "value"]],
  ["Call", ["operands"]], ["CallIndirect", ["target", "operands"]],
  ["LocalSet", ["value"]], ["GlobalSet", ["value"]], ["Load", ["ptr"]], ["Store", ["ptr", "value"]],
  ["Unary", ["value"]], ["Binary", ["left", "right"]], ["Select", ["ifTrue", "ifFalse", "condition"]],
  ["Drop", ["value"]], ["Return", ["value"]], ["MemoryGrow", ["delta"]],
  ["MemoryInit", ["dest", "offset", "size"]], ["MemoryCopy", ["dest", "source", "size"]],
  ["MemoryFill", ["dest", "value", "size"]],
  ["SIMDExtract", ["vec"]], ["SIMDReplace", ["vec", "value"]], ["SIMDShuffle", ["left", "right"]],
  ["SIMDTernary", ["a", "b", "c"]], ["SIMDShift", ["vec", "shift"]], ["SIMDLoad", ["ptr"]],
  ["SIMDLoadStoreLane", ["ptr", "vec"]],
  ["RefIsNull", ["value"]], ["RefAs", ["value"]], ["TableGet", ["index"]], ["TableSet", ["index", "value"]],
  ["TableGrow", ["value", "delta"]], ["TupleMake", ["operands"]], ["TupleExtract", ["tuple"]],
];

type Setter = (parent: Ref, ...args: number[]) => void;

interface Kind {
  name: string;
  fields: { name: string; set: Setter; list: boolean }[];
}

export class Walker {
  private readonly kinds = new Map<number, Kind>();

  constructor(private readonly b: Binaryen) {
    const api = b as unknown as Record<string, Record<string, Setter> & number>;
    for (const [name, fields] of OPERANDS) {
      const cls = api[name];
      this.kinds.set(api[`${name}Id`] as number, {
        name,
        fields: fields.map((f) => {
          const list = f === "children" || f === "operands";
          const setter = list ? (f === "children" ? "setChildAt" : "setOperandAt") : `set${f[0].toUpperCase()}${f.slice(1)}`;
          const set = cls?.[setter];
          if (typeof set !== "function") throw new Error(`binaryen.js has no ${name}.${setter}; the loader's walker needs it`);
          return { name: f, set, list };
        }),
      });
    }
  }

  /** The operands of e, each with the way to replace it; null for a kind not listed. */
  operands(e: Ref): Site[] | null {
    const kind = this.kinds.get(this.b.getExpressionId(e));
    if (kind === undefined) return null;
    if (kind.fields.length === 0) return [];
    const info = this.b.getExpressionInfo(e) as unknown as Record<string, Ref | Ref[]>;
    const sites: Site[] = [];
    for (const f of kind.fields) {
      const v = info[f.name];
      if (Array.isArray(v)) v.forEach((child, i) => sites.push({ e: child, put: (r) => f.set(e, i, r) }));
      else if (v) sites.push({ e: v, put: (r) => f.set(e, r) });
    }
    return sites;
  }

  /** "Try" for binaryen.TryId: the name of an expression kind, for messages. */
  kindName(id: number): string {
    const api = this.b as unknown as Record<string, unknown>;
    const key = Object.keys(api).find((k) => k.endsWith("Id") && api[k] === id);
    return key === undefined ? `expression kind ${id}` : key.slice(0, -2);
  }
}

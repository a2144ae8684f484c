// Where the checkout is, and where `persia build` leaves the compiled Wasm (build/wasm/):
// the Node host reads kernel.wasm from there, the CLI builds into it, and the tests find
// their fixtures from ROOT. Paths only; nothing here reads or writes a file.
// Compiled to build/ts/hosts/node/paths.js, hence four levels up to the checkout.
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../../../..");
export const WASM_DIR = path.join(ROOT, "build/wasm");

// The WASI 0.2 functions the image's shim (hosts/wasi) calls, as core Wasm functions after
// the canonical ABI has lowered them: one table for the composer (loader/image/component.ts,
// which declares the component's imports and lowers each function) and for abi/gen.ts,
// which writes the shim's AssemblyScript declarations (abi/gen/shim.ts). TypeScript only.
// Why WASI 0.2 (a component) and not preview 1: spec/image.md. The shapes of the records
// the shim reads and writes in its memory (results, datagrams, socket addresses) are in
// hosts/wasi/cabi.ts, next to the code that reads them.
import { WasmType } from "./contract";

/** The WASI version the image imports; wasmtime resolves any 0.2.x import to its own 0.2. */
export const WASI_VERSION = "0.2.0";

export interface WasiFn {
  iface: string;            // "wasi:io/poll", without the version
  name: string;             // the function's name in that interface
  /** the AssemblyScript name in abi/gen/wasi.ts */
  as: string;
  params: WasmType[];
  result: WasmType | null;
  /** canon lower options: the shim's memory (for pointers), its cabi_realloc (for lists
   *  WASI returns), UTF-8 strings. Functions without memory are lowered directly;
   *  `drop` is a canon resource.drop of the named resource type. */
  memory?: true;
  realloc?: true;
  utf8?: true;
  drop?: string;
}

const I = "i32" as const;
const L = "i64" as const;
const i32s = (n: number): WasmType[] => new Array<WasmType>(n).fill(I);

export const WASI_IMPORTS: WasiFn[] = [
  { iface: "wasi:io/poll", name: "poll", as: "poll", params: [I, I, I], result: null, memory: true, realloc: true },
  { iface: "wasi:io/poll", name: "[resource-drop]pollable", as: "pollable_drop", params: [I], result: null, drop: "pollable" },
  { iface: "wasi:io/error", name: "[resource-drop]error", as: "error_drop", params: [I], result: null, drop: "error" },
  { iface: "wasi:io/streams", name: "[method]output-stream.blocking-write-and-flush", as: "stream_write", params: [I, I, I, I], result: null, memory: true },
  { iface: "wasi:cli/stdout", name: "get-stdout", as: "get_stdout", params: [], result: I },
  { iface: "wasi:cli/stderr", name: "get-stderr", as: "get_stderr", params: [], result: I },
  { iface: "wasi:cli/environment", name: "get-arguments", as: "get_arguments", params: [I], result: null, memory: true, realloc: true, utf8: true },
  { iface: "wasi:clocks/monotonic-clock", name: "now", as: "clock_now", params: [], result: L },
  { iface: "wasi:clocks/monotonic-clock", name: "subscribe-duration", as: "clock_subscribe", params: [L], result: I },
  { iface: "wasi:clocks/wall-clock", name: "now", as: "wall_now", params: [I], result: null, memory: true },
  { iface: "wasi:random/random", name: "get-random-u64", as: "random_u64", params: [], result: L },
  { iface: "wasi:sockets/instance-network", name: "instance-network", as: "instance_network", params: [], result: I },
  { iface: "wasi:sockets/udp-create-socket", name: "create-udp-socket", as: "udp_create", params: [I, I], result: null, memory: true },
  { iface: "wasi:sockets/udp", name: "[method]udp-socket.start-bind", as: "udp_start_bind", params: i32s(15), result: null, memory: true },
  { iface: "wasi:sockets/udp", name: "[method]udp-socket.finish-bind", as: "udp_finish_bind", params: [I, I], result: null, memory: true },
  { iface: "wasi:sockets/udp", name: "[method]udp-socket.stream", as: "udp_stream", params: i32s(15), result: null, memory: true },
  { iface: "wasi:sockets/udp", name: "[method]incoming-datagram-stream.receive", as: "udp_receive", params: [I, L, I], result: null, memory: true, realloc: true },
  { iface: "wasi:sockets/udp", name: "[method]incoming-datagram-stream.subscribe", as: "udp_in_subscribe", params: [I], result: I },
  { iface: "wasi:sockets/udp", name: "[method]outgoing-datagram-stream.check-send", as: "udp_check_send", params: [I, I], result: null, memory: true },
  { iface: "wasi:sockets/udp", name: "[method]outgoing-datagram-stream.send", as: "udp_send", params: [I, I, I, I], result: null, memory: true },
  { iface: "wasi:sockets/udp", name: "[method]outgoing-datagram-stream.subscribe", as: "udp_out_subscribe", params: [I], result: I },
  { iface: "wasi:filesystem/preopens", name: "get-directories", as: "get_directories", params: [I], result: null, memory: true, realloc: true, utf8: true },
  { iface: "wasi:filesystem/types", name: "[method]descriptor.open-at", as: "open_at", params: [I, I, I, I, I, I, I], result: null, memory: true, utf8: true },
  { iface: "wasi:filesystem/types", name: "[method]descriptor.read", as: "fd_read", params: [I, L, L, I], result: null, memory: true, realloc: true },
  { iface: "wasi:filesystem/types", name: "[method]descriptor.write", as: "fd_write", params: [I, I, I, L, I], result: null, memory: true },
  { iface: "wasi:filesystem/types", name: "[method]descriptor.sync-data", as: "fd_sync", params: [I, I], result: null, memory: true },
];

/** The import module name of a WASI function: "wasi:io/poll@0.2.0". */
export function wasiModule(f: WasiFn): string {
  return `${f.iface}@${WASI_VERSION}`;
}

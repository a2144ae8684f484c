// The canonical ABI's memory layouts of the WASI 0.2 values the shim reads and writes: return
// areas of results, list and string pairs, datagrams, socket addresses, preopens, flags and
// error-code numbers. The one place that knows these offsets; every other shim file names
// them from here. Derived by the canonical ABI rules (a record's alignment is its largest
// field's, a variant is a u8 discriminant then its payload at the largest payload alignment,
// a list or string is (ptr i32, len i32)) from the WIT in loader/image/wasi_types.ts.
// Does not call anything: the functions themselves are declared in abi/gen/shim.ts from
// abi/wasi.ts, and arena.ts allocates the lists WASI returns.
// Used by out.ts, args.ts, disk.ts, nic.ts, vxlan.ts and loop.ts.

// ——— result<T, E> in a return area (the caller passes retptr, aligned 8) ———
export const RET_SIZE = 16;       // the largest return area used (descriptor.read: 13 bytes)
export const RES_TAG = 0;         // u8: 0 ok, 1 err
export const RES_ERR_AT1 = 1;     // the error enum of result<_, E> (no payload: E at 1)
export const RES_AT4 = 4;         // ok payload or error enum when the largest alignment is 4
export const RES_AT8 = 8;         // ok payload or error enum when the largest alignment is 8 (u64)
export const TAG_OK: u8 = 0;
export const TAG_ERR: u8 = 1;

// ——— list<T> or string: a pointer and an element count ———
export const LIST_PTR = 0;
export const LIST_LEN = 4;
export const LIST_SIZE = 8;       // so a list<string> element is 8 bytes

// ——— wasi:io/streams blocking-write-and-flush → result<_, stream-error> ———
// stream-error = variant { last-operation-failed(own<error>), closed }, payload aligned 4
export const STREAM_ERR_CASE = 4;     // u8
export const STREAM_ERR_HANDLE = 8;   // own<error> when the case is LAST_FAILED: drop it
export const STREAM_LAST_FAILED: u8 = 0;
export const STREAM_CLOSED: u8 = 1;
export const STREAM_WRITE_MAX = 4096; // bytes blocking-write-and-flush accepts per call

// ——— wasi:sockets ip-socket-address = variant { ipv4(ipv4-socket-address), ipv6(...) } ———
// In memory: case u8 at 0, payload at 4; 32 bytes, aligned 4.
export const ISA_CASE = 0;
export const ISA_PAYLOAD = 4;
export const ISA_SIZE = 32;
export const ISA_IPV4: u8 = 0;
export const ISA_IPV6: u8 = 1;
// ipv6-socket-address record, from ISA_PAYLOAD
export const V6SA_PORT = 0;           // u16
export const V6SA_FLOW = 4;           // u32
export const V6SA_ADDR = 8;           // 8 × u16, each group a number (fd00 → 0xfd00)
export const V6SA_SCOPE = 24;         // u32
// ipv4-socket-address record, from ISA_PAYLOAD
export const V4SA_PORT = 0;           // u16
export const V4SA_ADDR = 2;           // 4 × u8
// Flattened as parameters: 12 i32 — [0] case, [1] port, [2] flow-info, [3..10] the eight
// groups, [11] scope-id (an ipv4 address uses [1] port, [2..5] octets and zeros).
export const ISA_FLAT = 12;
export const IP_FAMILY_IPV6 = 1;      // ip-address-family enum: ipv4 0, ipv6 1

// ——— udp-socket.stream → result<tuple<own<incoming>, own<outgoing>>, error-code> ———
export const UDP_STREAM_IN = 4;
export const UDP_STREAM_OUT = 8;

// ——— incoming-datagram-stream.receive → result<list<incoming-datagram>, error-code> ———
// incoming-datagram = record { data: list<u8>, remote-address: ip-socket-address }
export const IN_DGRAM_DATA = 0;       // list<u8> (ptr, len)
export const IN_DGRAM_REMOTE = 8;     // ip-socket-address
export const IN_DGRAM_SIZE = 40;
export const RECV_BATCH = 16;         // datagrams asked for per receive (wasmtime gives <= 16)
export const UDP_DATA_MAX = 65535;    // the largest UDP payload receive can return

// ——— outgoing-datagram-stream: check-send / send → result<u64, error-code> (u64 at 8) ———
// outgoing-datagram = record { data: list<u8>, remote-address: option<ip-socket-address> }
export const OUT_DGRAM_DATA = 0;      // list<u8> (ptr, len)
export const OUT_DGRAM_SOME = 8;      // u8: 0 none, 1 some
export const OUT_DGRAM_REMOTE = 12;   // ip-socket-address when some
export const OUT_DGRAM_SIZE = 44;

// ——— wasi:sockets error-code enum (the cases the shim reacts to; names in names.ts) ———
export const SOCK_ACCESS_DENIED: u8 = 1;
export const SOCK_INVALID_ARGUMENT: u8 = 3;
export const SOCK_WOULD_BLOCK: u8 = 8;
export const SOCK_ADDRESS_NOT_BINDABLE: u8 = 11;
export const SOCK_ADDRESS_IN_USE: u8 = 12;

// ——— wasi:filesystem ———
// preopens.get-directories → list<tuple<own<descriptor>, string>>, 12 bytes an element
export const DIR_HANDLE = 0;
export const DIR_NAME = 4;            // string (ptr, len)
export const DIR_SIZE = 12;
// descriptor.open-at flags
export const PATH_SYMLINK_FOLLOW = 1;
export const OPEN_NONE = 0;           // no create, directory, exclusive or truncate
export const OPEN_CREATE = 1;         // open-flags: create, directory, exclusive, truncate
export const OPEN_EXCLUSIVE = 4;
export const DESC_READ = 1;
export const DESC_WRITE = 2;
// descriptor.read → result<tuple<list<u8>, bool>, error-code>: list at 4, eof bool at 12
export const FD_READ_DATA = 4;
export const FD_READ_EOF = 12;
// descriptor.write → result<u64, error-code>: u64 (or the error) at RES_AT8
// descriptor.sync-data → result<_, error-code>: the error at RES_ERR_AT1
export const FS_NO_ENTRY: u8 = 20;    // filesystem error-code "no-entry"
export const FS_ACCESS: u8 = 0;       // "access"
export const FS_IO: u8 = 13;          // "io"

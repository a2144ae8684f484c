// Network-order (big-endian) loads and stores over raw memory, and little-endian ones for
// the ABI's own records. Every caller has already checked that the bytes it touches lie
// inside its buffer; these helpers check nothing. AssemblyScript only. Used by every view
// and builder in wire/, by the kernel and by the service SDK (services/sdk/bytes.ts).

// @ts-ignore: decorator
@inline export function ld8(p: usize): u32 { return <u32>load<u8>(p); }
// @ts-ignore: decorator
@inline export function ld16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
// @ts-ignore: decorator
@inline export function ld32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
// @ts-ignore: decorator
@inline export function st8(p: usize, v: u32): void { store<u8>(p, <u8>v); }
// @ts-ignore: decorator
@inline export function st16(p: usize, v: u32): void { store<u16>(p, bswap<u16>(<u16>v)); }
// @ts-ignore: decorator
@inline export function st32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }

/** Little-endian helpers for the ABI's own records (manifest, status, CapInfo). */
// @ts-ignore: decorator
@inline export function le16(p: usize): u32 { return <u32>load<u16>(p); }
// @ts-ignore: decorator
@inline export function le32(p: usize): u32 { return load<u32>(p); }
// @ts-ignore: decorator
@inline export function le64(p: usize): u64 { return load<u64>(p); }

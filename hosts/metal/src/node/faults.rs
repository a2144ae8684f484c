// How a service's failure becomes a Fault number (abi/kernel.ts) and a line for the log,
// as hosts/node/faults.ts classifies them on the Node host, and the errors that cross a
// service's frames: its env.abort, the fuel metering's fuel_exhausted, and a failure of
// the kernel inside a syscall, which must never be blamed on the service (svc_call hands
// it on and the node stops). Does not decide what happens next (the kernel does).
// Used by instance.rs.
use crate::abi::{Fault, FaultReason};
use alloc::format;
use alloc::string::String;
use core::fmt;
use wasmtime::{Error, Trap};

/// persia.fuel_exhausted was called: the service's budget for this call is gone.
#[derive(Debug)]
pub struct FuelExhausted;

impl fmt::Display for FuelExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fuel exhausted")
    }
}

/// A service called AssemblyScript's abort(message, file, line, column).
#[derive(Debug)]
pub struct ServiceAbort(pub String);

impl fmt::Display for ServiceAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceAbort: {}", self.0)
    }
}

/// The kernel failed while serving a syscall (or aborted): the node stops.
#[derive(Debug)]
pub struct KernelTrap(pub String);

impl fmt::Display for KernelTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the kernel failed inside a syscall: {}", self.0)
    }
}

/// What the memory looked like when the error was caught (faults.ts MemoryState).
pub struct MemoryState {
    pub pages: u64,
    pub initial_pages: u64,
    pub max_pages: u64,
}

/// Maps a service's error to a Fault, as faults.ts classifyFault does: fuel → FUEL; a
/// stack overflow → STACK (Node: RangeError "Maximum call stack size exceeded"); the host
/// running out of memory for it → MEMORY; any other wasm trap → MEMORY when the memory had
/// grown to its RAM max (AssemblyScript's allocator ends a failed grow with `unreachable`),
/// else TRAP; anything else (its abort) → TRAP.
pub fn classify(e: &Error, mem: &MemoryState) -> Fault {
    if e.downcast_ref::<FuelExhausted>().is_some() {
        return Fault::FUEL;
    }
    if e.downcast_ref::<wasmtime::OutOfMemory>().is_some() {
        return Fault::MEMORY;
    }
    if let Some(trap) = e.downcast_ref::<Trap>() {
        if *trap == Trap::StackOverflow {
            return Fault::STACK;
        }
        let grew_to_max = mem.pages >= mem.max_pages && mem.max_pages > mem.initial_pages;
        return if grew_to_max { Fault::MEMORY } else { Fault::TRAP };
    }
    Fault::TRAP
}

/// Why a trap happened, as abi/image.ts FaultReason names it: the words the Node host's
/// engine and the wasmtime image's glue use, so that one log reads the same on each host.
fn reason(t: Trap) -> Option<FaultReason> {
    Some(match t {
        Trap::UnreachableCodeReached => FaultReason::UNREACHABLE,
        Trap::MemoryOutOfBounds | Trap::HeapMisaligned => FaultReason::OOB,
        Trap::IntegerDivisionByZero => FaultReason::DIV_ZERO,
        Trap::IntegerOverflow => FaultReason::INT_OVERFLOW,
        Trap::BadConversionToInteger => FaultReason::CONVERSION,
        Trap::TableOutOfBounds | Trap::IndirectCallToNull | Trap::BadSignature => FaultReason::INDIRECT,
        Trap::StackOverflow => FaultReason::STACK,
        _ => return None,
    })
}

/// The error as one line: "RuntimeError: <why>" for a trap (FaultReason's text, or
/// wasmtime's for a trap these services cannot raise), the abort text, without wasmtime's
/// backtrace.
pub fn describe(e: &Error) -> String {
    if let Some(&t) = e.downcast_ref::<Trap>() {
        return match reason(t) {
            Some(r) => format!("RuntimeError: {}", r.text()),
            None => format!("RuntimeError: {t}"),
        };
    }
    if let Some(a) = e.downcast_ref::<ServiceAbort>() {
        return format!("{a}");
    }
    format!("{e}")
}

/// Longest abort message or file name read from a module's memory (faults.ts ABORT_TEXT_MAX).
const ABORT_TEXT_MAX: usize = 512;

/// An AssemblyScript string (UTF-16LE, byte length in the u32 before it) in `bytes`, or
/// None if the pointer is 0 or the string lies outside. Control characters (below U+0020,
/// and U+007F) become '?', as the kernel's log syscall does (kernel/svc/syscall.ts log): the
/// text is printed inside a host line, and a newline in it would let a service print whole
/// lines of its own (a second kernel.wasm sha256 line, a status line).
pub fn read_as_string(bytes: &[u8], ptr: i32) -> Option<String> {
    let ptr = ptr as u32 as usize;
    if ptr < 4 || ptr > bytes.len() {
        return None;
    }
    let len = u32::from_le_bytes([bytes[ptr - 4], bytes[ptr - 3], bytes[ptr - 2], bytes[ptr - 1]]) as usize;
    let end = ptr + len.min(ABORT_TEXT_MAX);
    if end > bytes.len() || !(end - ptr).is_multiple_of(2) {
        return None;
    }
    let units = bytes[ptr..end].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    Some(char::decode_utf16(units).map(|c| printable(c.unwrap_or('\u{fffd}'))).collect())
}

/// `c`, or '?' for a control character that would end or steer a console line.
fn printable(c: char) -> char {
    if c < ' ' || c == '\u{7f}' { '?' } else { c }
}

/// The text of an abort call: "message at file:line:column" (faults.ts abortText).
pub fn abort_text(bytes: &[u8], msg: i32, file: i32, line: i32, col: i32) -> String {
    let text = read_as_string(bytes, msg).unwrap_or_else(|| String::from("abort"));
    match read_as_string(bytes, file) {
        Some(at) => format!("{text} at {at}:{}:{}", line as u32, col as u32),
        None => text,
    }
}

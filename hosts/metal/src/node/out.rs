// What the node prints on the serial console besides println!: raw bytes (a kernel log
// line as it is), base64 of a byte range (status and capture lines, RFC 4648 section 4
// with padding, as hosts/wasi/status.ts writes it) and the log level names of
// hosts/wasi/names.ts. Encodes in fixed chunks on the stack: nothing is allocated per line.
// Used by host.rs and status.rs.
use crate::abi::LogLevel;
use crate::platform::serial::write_bytes;

/// Bytes encoded per chunk: a multiple of 3, so no padding inside a line.
const IN_CHUNK: usize = 3072;

fn b64(v: u32) -> u8 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ALPHABET[(v & 63) as usize]
}

/// Writes `bytes` in base64 to the console (no newline).
pub fn put_base64(bytes: &[u8]) {
    let mut text = [0u8; IN_CHUNK / 3 * 4];
    for chunk in bytes.chunks(IN_CHUNK) {
        let mut o = 0;
        for g in chunk.chunks(3) {
            let v = (g[0] as u32) << 16 | (*g.get(1).unwrap_or(&0) as u32) << 8 | *g.get(2).unwrap_or(&0) as u32;
            text[o] = b64(v >> 18);
            text[o + 1] = b64(v >> 12);
            text[o + 2] = if g.len() > 1 { b64(v >> 6) } else { b'=' };
            text[o + 3] = if g.len() > 2 { b64(v) } else { b'=' };
            o += 4;
        }
        write_bytes(&text[..o]);
    }
}

/// A kernel log level's name (hosts/wasi/names.ts levelName).
pub fn level_name(level: i32) -> &'static str {
    match LogLevel::from_raw(level) {
        Some(LogLevel::ERROR) => "error",
        Some(LogLevel::WARN) => "warn",
        Some(LogLevel::INFO) => "info",
        Some(LogLevel::DEBUG) => "debug",
        None => "log",
    }
}

// The serial console: COM1, a 16550 UART at I/O port 0x3f8, 115200 baud 8N1, polled.
// Everything the host prints goes here (boot log, status lines, panics, faults); the
// `print!`/`println!` macros write through it. Lines end in "\n" alone, as the other hosts'
// logs do, so `persia status --from serial.log` reads them alike.
// No lock: one core, and an exception handler that prints mid-line only mixes the text.
use super::cpu::{inb, outb};
use core::fmt;

const COM1: u16 = 0x3f8;
const DATA: u16 = COM1;          // transmit holding / receive buffer (DLAB = 0); divisor low (DLAB = 1)
const IER: u16 = COM1 + 1;       // interrupt enable (DLAB = 0); divisor high (DLAB = 1)
const FCR: u16 = COM1 + 2;       // FIFO control
const LCR: u16 = COM1 + 3;       // line control; bit 7 = DLAB
const MCR: u16 = COM1 + 4;       // modem control
const LSR: u16 = COM1 + 5;       // line status; bit 5 = transmit holding register empty
const LSR_THR_EMPTY: u8 = 1 << 5;
const DIVISOR_115200: u16 = 1;   // 115200 / 115200

/// Programs the UART. Interrupts stay off: output is polled, input unused.
pub fn init() {
    outb(IER, 0);
    outb(LCR, 0x80);
    outb(DATA, (DIVISOR_115200 & 0xff) as u8);
    outb(IER, (DIVISOR_115200 >> 8) as u8);
    outb(LCR, 0x03);             // 8 data bits, no parity, 1 stop bit, DLAB off
    outb(FCR, 0xc7);             // FIFO on, both cleared, 14-byte threshold
    outb(MCR, 0x03);             // DTR, RTS
}

fn put(b: u8) {
    while inb(LSR) & LSR_THR_EMPTY == 0 {}
    outb(DATA, b);
}

/// Writes raw bytes (status lines, captured text).
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        put(b);
    }
}

pub struct Serial;

impl fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let _ = fmt::Write::write_fmt(&mut Serial, args);
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::platform::serial::_print(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::platform::serial::_print(format_args!("{}\n", format_args!($($arg)*))) };
}

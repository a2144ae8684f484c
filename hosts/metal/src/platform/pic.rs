// The two 8259 PICs: remapped to vectors 32..47 with every line masked until a driver asks
// (`irq_unmask`). Virtio's INTx lines are level-triggered, so the handler masks its line,
// sends EOI and sets a pending bit; the main loop takes the bits (`irq_take_pending`),
// polls the devices (reading a virtio ISR deasserts the line) and unmasks the line again.
// Spurious IRQ 7 and 15 (ISR bit clear) are ignored as the 8259 datasheet says.
use super::cpu::{inb, outb};
use super::idt::PIC_BASE;
use core::sync::atomic::{AtomicU16, Ordering};

const MASTER_CMD: u16 = 0x20;
const MASTER_DATA: u16 = 0x21;
const SLAVE_CMD: u16 = 0xa0;
const SLAVE_DATA: u16 = 0xa1;
const ICW1_INIT_ICW4: u8 = 0x11;   // edge-triggered cascade mode; an ICW4 follows
const ICW4_8086: u8 = 0x01;
const OCW2_EOI: u8 = 0x20;
const OCW3_READ_ISR: u8 = 0x0b;
const CASCADE_LINE: u8 = 2;        // the slave hangs on the master's line 2

/// Lines that fired and have not been taken; their lines are masked until unmasked.
static PENDING: AtomicU16 = AtomicU16::new(0);
/// The mask last written (bit set = masked), both PICs; the cascade line is computed.
static MASK: AtomicU16 = AtomicU16::new(0xffff);

/// Remaps both PICs to PIC_BASE.. and masks every line.
pub fn init() {
    outb(MASTER_CMD, ICW1_INIT_ICW4);
    outb(SLAVE_CMD, ICW1_INIT_ICW4);
    outb(MASTER_DATA, PIC_BASE);
    outb(SLAVE_DATA, PIC_BASE + 8);
    outb(MASTER_DATA, 1 << CASCADE_LINE);
    outb(SLAVE_DATA, CASCADE_LINE);
    outb(MASTER_DATA, ICW4_8086);
    outb(SLAVE_DATA, ICW4_8086);
    write_mask(0xffff);
}

fn write_mask(mask: u16) {
    MASK.store(mask, Ordering::SeqCst);
    let slave = (mask >> 8) as u8;
    // The cascade line is open exactly when some slave line is.
    let mut master = mask as u8 | 1 << CASCADE_LINE;
    if slave != 0xff {
        master &= !(1 << CASCADE_LINE);
    }
    outb(MASTER_DATA, master);
    outb(SLAVE_DATA, slave);
}

/// Lets `line` (0..15) interrupt again. Called with interrupts off or on: the handler only
/// sets bits in MASK, and a line it masks between our load and store is one we unmask.
pub fn irq_unmask(line: u8) {
    let flags = save_and_cli();
    write_mask(MASK.load(Ordering::SeqCst) & !(1 << line));
    restore(flags);
}

/// Stops `line` (0..15) from interrupting.
pub fn irq_mask(line: u8) {
    let flags = save_and_cli();
    write_mask(MASK.load(Ordering::SeqCst) | 1 << line);
    restore(flags);
}

/// The lines that fired since the last call (bit n = line n), cleared. Each is masked until
/// `irq_unmask(n)`.
pub fn irq_take_pending() -> u16 {
    PENDING.swap(0, Ordering::SeqCst)
}

/// Whether any line is pending (clock::idle_until checks it with interrupts off).
pub fn irq_pending() -> bool {
    PENDING.load(Ordering::SeqCst) != 0
}

fn in_service(cmd: u16, bit: u8) -> bool {
    outb(cmd, OCW3_READ_ISR);
    inb(cmd) & 1 << bit != 0
}

/// From idt::dispatch, interrupts off: mask the line, EOI, note it.
pub fn on_irq(line: u8) {
    if line == 7 && !in_service(MASTER_CMD, 7) {
        return;
    }
    if line == 15 && !in_service(SLAVE_CMD, 7) {
        outb(MASTER_CMD, OCW2_EOI);
        return;
    }
    write_mask(MASK.load(Ordering::SeqCst) | 1 << line);
    if line >= 8 {
        outb(SLAVE_CMD, OCW2_EOI);
    }
    outb(MASTER_CMD, OCW2_EOI);
    PENDING.fetch_or(1 << line, Ordering::SeqCst);
}

fn save_and_cli() -> u64 {
    let flags: u64;
    // SAFETY: reads RFLAGS and clears IF; restore() puts IF back.
    unsafe { core::arch::asm!("pushfq", "pop {}", "cli", out(reg) flags, options(nomem)) };
    flags
}

fn restore(flags: u64) {
    const IF: u64 = 1 << 9;
    if flags & IF != 0 {
        super::cpu::sti();
    }
}

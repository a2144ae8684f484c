// Time: the TSC, calibrated at boot against the PIT's channel 2 (1.193182 MHz) over ~10 ms,
// is the monotonic clock (`now_ns`, `now_ms`, from boot); the LAPIC timer (lapic.rs) wakes
// the core at a deadline. `idle_until` is the only way the host waits: with interrupts off
// it returns at once if an IRQ is pending or the deadline passed, else arms the timer and
// halts with `sti; hlt` (no wakeup is lost: STI takes effect after HLT begins). Wall-clock
// time is rtc.rs's.
use super::cpu::{cli, cpuid, inb, outb, rdtsc, sti};
use super::{lapic, pic};
use core::sync::atomic::{AtomicU64, Ordering};

const PIT_HZ: u64 = 1_193_182;
const PIT_CH2_DATA: u16 = 0x42;
const PIT_CMD: u16 = 0x43;
const PIT_CH2_MODE0_LOHI: u8 = 0b1011_0000; // channel 2, lobyte/hibyte, mode 0, binary
const PORT_B: u16 = 0x61;                   // bit 0: channel 2 gate, 1: speaker, 5: channel 2 output
const CALIBRATION_MS: u64 = 10;
/// Calibration runs stop at the first whose start and end are known this closely (parts per
/// million of the run): a run the host's scheduler interrupted at either end is retried.
const GOOD_PPM: u64 = 100;
const MAX_RUNS: usize = 20;
/// A PIT run that has not finished after this many TSC ticks (seconds at any real clock
/// rate) means there is no PIT.
const PIT_GIVE_UP_TSC: u64 = 20_000_000_000;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static TSC_BOOT: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds per TSC tick as a 32.32 fixed-point number.
static NS_PER_TSC_FP: AtomicU64 = AtomicU64::new(0);
static IDLE_NS: AtomicU64 = AtomicU64::new(0);
/// The latest now_ns handed out: the clock never answers less (a TSC that goes back, as a
/// hypervisor's may after migration or a write to IA32_TSC, holds the clock still instead).
static LAST_NS: AtomicU64 = AtomicU64::new(0);

/// What the clock found at boot, for the boot log and spec/metal.md.
pub struct ClockInfo {
    pub tsc_hz: u64,
    pub lapic_hz: u64,
    pub invariant_tsc: bool,
    /// How closely the chosen run's ends were known, parts per million, and how many runs it took.
    pub uncertainty_ppm: u64,
    pub runs: usize,
}

/// One PIT channel-2 countdown of CALIBRATION_MS: the TSC ticks it took (from the midpoints
/// of the TSC readings around its start and its end) and how uncertain that is (the two
/// brackets' widths together). Under emulation the host may stop the CPU at any moment; a
/// stop inside the countdown costs nothing (both clocks run on), one at either end widens
/// that bracket.
fn pit_run() -> Result<(u64, u64), &'static str> {
    let latch = (PIT_HZ * CALIBRATION_MS / 1000) as u16;
    let port_b = inb(PORT_B);
    outb(PORT_B, (port_b & !0x02) | 0x01);
    outb(PIT_CMD, PIT_CH2_MODE0_LOHI);
    outb(PIT_CH2_DATA, latch as u8);
    let start_lo = rdtsc();
    outb(PIT_CH2_DATA, (latch >> 8) as u8); // the countdown starts with this write
    let start_hi = rdtsc();
    let (mut end_lo, mut end_hi) = (start_hi, start_hi);
    while inb(PORT_B) & 0x20 == 0 {
        end_lo = end_hi;
        end_hi = rdtsc();
        if end_hi - start_lo > PIT_GIVE_UP_TSC {
            outb(PORT_B, port_b);
            return Err("the PIT's channel 2 never counted down, so the TSC cannot be calibrated");
        }
    }
    let end_hi = rdtsc();
    outb(PORT_B, port_b);
    let ticks = (end_lo + end_hi) / 2 - (start_lo + start_hi) / 2;
    Ok((ticks * PIT_HZ / latch as u64, (start_hi - start_lo) + (end_hi - end_lo)))
}

/// Calibrates the TSC against the PIT (the first run known within GOOD_PPM, else the best
/// of MAX_RUNS) and the LAPIC timer against the TSC.
pub fn init() -> Result<ClockInfo, &'static str> {
    let (mut best, mut best_ppm, mut runs) = (0u64, u64::MAX, 0);
    while runs < MAX_RUNS && best_ppm > GOOD_PPM {
        let (hz, width) = pit_run()?;
        runs += 1;
        let ticks = hz * CALIBRATION_MS / 1000;
        let ppm = (width * 1_000_000).checked_div(ticks).unwrap_or(u64::MAX);
        if ppm < best_ppm {
            (best, best_ppm) = (hz, ppm);
        }
    }
    let tsc_hz = best;
    if tsc_hz == 0 {
        return Err("the TSC did not advance while the PIT counted");
    }
    TSC_HZ.store(tsc_hz, Ordering::SeqCst);
    NS_PER_TSC_FP.store(((1_000_000_000u128 << 32) / tsc_hz as u128) as u64, Ordering::SeqCst);
    TSC_BOOT.store(rdtsc(), Ordering::SeqCst);
    let lapic_hz = lapic::init(tsc_hz, tsc_hz * CALIBRATION_MS / 1000)?;
    let invariant_tsc = cpuid(0x8000_0000, 0).0 >= 0x8000_0007 && cpuid(0x8000_0007, 0).3 & (1 << 8) != 0;
    Ok(ClockInfo { tsc_hz, lapic_hz, invariant_tsc, uncertainty_ppm: best_ppm, runs })
}

/// Nanoseconds since the clock was calibrated at boot; never less than the last answer.
pub fn now_ns() -> u64 {
    let ticks = rdtsc().saturating_sub(TSC_BOOT.load(Ordering::Relaxed));
    let ns = ((ticks as u128 * NS_PER_TSC_FP.load(Ordering::Relaxed) as u128) >> 32).min(u64::MAX as u128) as u64;
    LAST_NS.fetch_max(ns, Ordering::Relaxed).max(ns)
}

/// Milliseconds since the clock was calibrated at boot.
pub fn now_ms() -> u64 {
    now_ns() / 1_000_000
}

/// The TSC's rate, ticks per second.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Nanoseconds spent halted in idle_until since boot.
pub fn idle_ns() -> u64 {
    IDLE_NS.load(Ordering::Relaxed)
}

/// Arms the LAPIC timer to fire at `deadline_ms` (now_ms terms); at once if it passed.
pub fn arm_deadline(deadline_ms: u64) {
    let left_ns = deadline_ms.saturating_mul(1_000_000).saturating_sub(now_ns());
    lapic::arm(((left_ns as u128 * tsc_hz() as u128) / 1_000_000_000) as u64);
}

/// Waits, halted, until an IRQ is pending or `deadline_ms` (now_ms terms) is reached, or
/// any other interrupt wakes the core. Returns with interrupts on.
pub fn idle_until(deadline_ms: u64) {
    cli();
    if pic::irq_pending() || now_ms() >= deadline_ms {
        sti();
        return;
    }
    arm_deadline(deadline_ms);
    let t0 = now_ns();
    // SAFETY: STI's one-instruction interrupt shadow makes `sti; hlt` atomic: an interrupt
    // that arrives after the checks above wakes the HLT instead of being missed.
    unsafe { core::arch::asm!("sti", "hlt", options(nomem, nostack)) };
    IDLE_NS.fetch_add(now_ns().saturating_sub(t0), Ordering::Relaxed);
}

/// From idt::dispatch: the deadline passed; idle_until returns to its caller.
pub fn on_timer() {
    lapic::eoi();
}

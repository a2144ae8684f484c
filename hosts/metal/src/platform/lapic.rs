// The local APIC: enabled through its spurious-interrupt register, its timer calibrated
// against the TSC and used one-shot for deadlines (clock::idle_until). Registers are MMIO
// at the base the IA32_APIC_BASE MSR gives (0xfee00000 on PCs: inside the identity-mapped
// 4 GiB). The 8259 keeps delivering through LINT0 as the firmware set it up.
use super::cpu::{cpuid, rdmsr, rdtsc, wrmsr};
use super::idt::{LAPIC_SPURIOUS, LAPIC_TIMER};

const IA32_APIC_BASE: u32 = 0x1b;
const APIC_BASE_ENABLE: u64 = 1 << 11;
// Register offsets (Intel SDM vol. 3, table 11-1).
const TPR: usize = 0x80;
const EOI: usize = 0xb0;
const SVR: usize = 0xf0;
const LVT_TIMER: usize = 0x320;
const TIMER_INITIAL: usize = 0x380;
const TIMER_CURRENT: usize = 0x390;
const TIMER_DIVIDE: usize = 0x3e0;
const SVR_ENABLE: u32 = 1 << 8;
const LVT_MASKED: u32 = 1 << 16;
const DIVIDE_BY_16: u32 = 0b0011;
const CALIBRATION_RUNS: usize = 3;

static mut BASE: usize = 0;
/// Timer ticks (after the divider) per TSC tick, as a 32.32 fixed-point number.
static mut TICKS_PER_TSC_FP: u64 = 0;

fn read(reg: usize) -> u32 {
    // SAFETY: BASE is the LAPIC's MMIO page (set in init before any use), identity-mapped.
    unsafe { core::ptr::read_volatile((BASE + reg) as *const u32) }
}

fn write(reg: usize, v: u32) {
    // SAFETY: as read.
    unsafe { core::ptr::write_volatile((BASE + reg) as *mut u32, v) }
}

/// Enables the LAPIC and calibrates its timer over `cal_tsc` TSC ticks. Returns the timer's
/// rate in ticks per second (after the divider), or a sentence when there is no LAPIC.
pub fn init(tsc_hz: u64, cal_tsc: u64) -> Result<u64, &'static str> {
    if cpuid(1, 0).3 & (1 << 9) == 0 {
        return Err("the CPU has no local APIC (CPUID.1:EDX.APIC), which the host needs for its timer");
    }
    let msr = rdmsr(IA32_APIC_BASE);
    wrmsr(IA32_APIC_BASE, msr | APIC_BASE_ENABLE);
    // SAFETY: single-threaded boot; no interrupt uses BASE yet.
    unsafe { BASE = (msr & 0xf_ffff_f000) as usize };
    write(SVR, SVR_ENABLE | LAPIC_SPURIOUS as u32);
    write(TPR, 0);
    write(TIMER_DIVIDE, DIVIDE_BY_16);
    write(LVT_TIMER, LVT_MASKED | LAPIC_TIMER as u32);
    // Count down from the top for `cal_tsc` TSC ticks, bracketing the start and the final
    // read with TSC readings; of a few runs, keep the one with the narrowest brackets (a run
    // the emulator's host paused at an end is off by the pause).
    let (mut ticks, mut elapsed, mut best_width) = (0u64, 1u64, u64::MAX);
    for _ in 0..CALIBRATION_RUNS {
        let s0 = rdtsc();
        write(TIMER_INITIAL, u32::MAX);
        let s1 = rdtsc();
        while rdtsc() - s1 < cal_tsc {}
        let e0 = rdtsc();
        let left = read(TIMER_CURRENT);
        let e1 = rdtsc();
        write(TIMER_INITIAL, 0);
        let width = (s1 - s0) + (e1 - e0);
        if width < best_width {
            (ticks, elapsed, best_width) = ((u32::MAX - left) as u64, (e0 + e1) / 2 - (s0 + s1) / 2, width);
        }
    }
    if ticks == 0 {
        return Err("the LAPIC timer did not count during calibration");
    }
    let fp = ((ticks as u128) << 32) / elapsed as u128;
    // SAFETY: as above.
    unsafe { TICKS_PER_TSC_FP = fp as u64 };
    Ok(((fp * tsc_hz as u128) >> 32) as u64)
}

/// Fires LAPIC_TIMER once, `tsc_ticks` TSC ticks from now (at least one timer tick; at most
/// the counter's range, about a minute: the caller then simply wakes early).
pub fn arm(tsc_ticks: u64) {
    // SAFETY: written once in init.
    let fp = unsafe { TICKS_PER_TSC_FP };
    let count = ((tsc_ticks as u128 * fp as u128) >> 32).clamp(1, u32::MAX as u128) as u32;
    write(LVT_TIMER, LAPIC_TIMER as u32);
    write(TIMER_INITIAL, count);
}

/// Ends the current LAPIC interrupt (timer); spurious interrupts take none.
pub fn eoi() {
    write(EOI, 0);
}

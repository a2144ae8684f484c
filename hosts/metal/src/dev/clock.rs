//! Nanoseconds since an arbitrary start, for the drivers' timeouts and devtest's figures:
//! the TSC, calibrated once against the PIT (channel 2, gated through port 0x61, which
//! no interrupt uses). Interim for issue #12: when the platform's clock (the TSC it
//! calibrates at boot) is merged, `now_ns` calls it and this calibration goes.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::platform::cpu::{inb, outb};

fn rdtsc() -> u64 {
    // SAFETY: RDTSC reads a counter and has no side effect.
    unsafe { core::arch::x86_64::_rdtsc() }
}

const PIT_HZ: u64 = 1_193_182;
/// Calibration window: 10 ms of PIT ticks.
const PIT_TICKS: u16 = 11_932;
const PORT_GATE: u16 = 0x61;
const PORT_CMD: u16 = 0x43;
const PORT_CH2: u16 = 0x42;

/// TSC ticks per second, 0 until calibrated.
static TSC_HZ: AtomicU64 = AtomicU64::new(0);

fn calibrate() -> u64 {
    let gate = inb(PORT_GATE) & !0x02;
    outb(PORT_GATE, gate & !0x01);
    // Channel 2, low then high byte, mode 0 (output goes high at terminal count).
    outb(PORT_CMD, 0xb0);
    outb(PORT_CH2, PIT_TICKS as u8);
    outb(PORT_CH2, (PIT_TICKS >> 8) as u8);
    outb(PORT_GATE, gate | 0x01);
    let t0 = rdtsc();
    let mut spins = 0u64;
    while inb(PORT_GATE) & 0x20 == 0 && spins < 100_000_000 {
        spins += 1;
    }
    let ticks = rdtsc() - t0;
    outb(PORT_GATE, gate);
    (ticks * PIT_HZ / PIT_TICKS as u64).max(1)
}

pub fn now_ns() -> u64 {
    let mut hz = TSC_HZ.load(Ordering::Relaxed);
    if hz == 0 {
        hz = calibrate();
        TSC_HZ.store(hz, Ordering::Relaxed);
    }
    (rdtsc() as u128 * 1_000_000_000 / hz as u128) as u64
}

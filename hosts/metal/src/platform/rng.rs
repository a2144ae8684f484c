// Randomness for the kernel and the services: the CPU's RDSEED (entropy straight from the
// conditioner) and else RDRAND (its DRBG), each found by CPUID and retried a bounded number
// of times; if the CPU has neither, or both keep failing, a fallback the drivers register
// (virtio-rng, `set_fallback`). Never a seeded software generator: with no source, `fill`
// returns false and the node refuses to boot with a line saying so.
use super::cpu::{cpuid, cpuid_max};
use spin::Once;

/// Intel's guidance: RDRAND may fail transiently; 10 tries make a failure a hardware fault.
const RDRAND_TRIES: usize = 10;
/// RDSEED fails more often when drained; after this many it gives way to RDRAND.
const RDSEED_TRIES: usize = 64;

static FEATURES: Once<(bool, bool)> = Once::new();
/// A source outside the CPU: its name for the boot log and its fill function.
type Fallback = (&'static str, fn(&mut [u8]) -> bool);
static FALLBACK: Once<Fallback> = Once::new();

fn features() -> (bool, bool) {
    *FEATURES.call_once(|| {
        let rdrand = cpuid(1, 0).2 & (1 << 30) != 0;
        let rdseed = cpuid_max() >= 7 && cpuid(7, 0).1 & (1 << 18) != 0;
        (rdseed, rdrand)
    })
}

/// Registers a source used when the CPU has none or it fails (the drivers' virtio-rng).
/// `name` appears in the boot log. Only the first registration counts.
pub fn set_fallback(name: &'static str, fill: fn(&mut [u8]) -> bool) {
    FALLBACK.call_once(|| (name, fill));
}

/// The source `fill` uses first, or None when there is none (the node then refuses to boot).
pub fn source() -> Option<&'static str> {
    match features() {
        (true, _) => Some("RDSEED"),
        (false, true) => Some("RDRAND"),
        _ => FALLBACK.get().map(|f| f.0),
    }
}

fn rdseed() -> Option<u64> {
    let (v, ok): (u64, u8);
    // SAFETY: CPUID said RDSEED exists (checked by the caller); it only writes the registers.
    unsafe { core::arch::asm!("rdseed {v}", "setc {ok}", v = out(reg) v, ok = out(reg_byte) ok, options(nomem, nostack)) };
    (ok != 0).then_some(v)
}

fn rdrand() -> Option<u64> {
    let (v, ok): (u64, u8);
    // SAFETY: as rdseed, for RDRAND.
    unsafe { core::arch::asm!("rdrand {v}", "setc {ok}", v = out(reg) v, ok = out(reg_byte) ok, options(nomem, nostack)) };
    (ok != 0).then_some(v)
}

fn cpu_word(rdseed_ok: bool, rdrand_ok: bool) -> Option<u64> {
    let seed = if rdseed_ok { (0..RDSEED_TRIES).find_map(|_| rdseed()) } else { None };
    seed.or_else(|| if rdrand_ok { (0..RDRAND_TRIES).find_map(|_| rdrand()) } else { None })
}

/// Fills `buf` with random bytes. False when no source gave them (buf is then unspecified).
pub fn fill(buf: &mut [u8]) -> bool {
    let (s, r) = features();
    if s || r {
        let mut ok = true;
        for chunk in buf.chunks_mut(8) {
            match cpu_word(s, r) {
                Some(v) => chunk.copy_from_slice(&v.to_le_bytes()[..chunk.len()]),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return true;
        }
    }
    FALLBACK.get().is_some_and(|f| (f.1)(buf))
}

// Randomness for the kernel and the services: the CPU's RDSEED (entropy straight from the
// conditioner) and else RDRAND (its DRBG), each found by CPUID and retried a bounded number
// of times; if the CPU has neither, or both keep failing, a fallback the drivers register
// (virtio-rng, `set_fallback`, whenever the machine has one). A CPU source whose boot
// samples are all one word is refused (`healthy`). Never a seeded software generator: with no source, `fill`
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

/// Words drawn from each CPU source when it is first asked for: one that answers the same
/// word every time — AMD's RDRAND that returned all ones after a resume, a hypervisor's
/// emulation that answers a constant — is not used. Eight equal 64-bit words from a working
/// source do not happen.
const BOOT_SAMPLES: usize = 8;

/// (RDSEED usable, RDRAND usable): CPUID says the instruction exists and its boot samples
/// came and were not all equal. A source refused here gets a line saying why.
fn features() -> (bool, bool) {
    *FEATURES.call_once(|| {
        let rdrand = cpuid(1, 0).2 & (1 << 30) != 0 && healthy("RDRAND", rdrand, RDRAND_TRIES);
        let rdseed = cpuid_max() >= 7 && cpuid(7, 0).1 & (1 << 18) != 0 && healthy("RDSEED", rdseed, RDSEED_TRIES);
        (rdseed, rdrand)
    })
}

/// Whether `draw` gives BOOT_SAMPLES words, each within `tries`, not all of them equal.
fn healthy(name: &str, draw: fn() -> Option<u64>, tries: usize) -> bool {
    let mut first: Option<u64> = None;
    let mut differs = false;
    for _ in 0..BOOT_SAMPLES {
        let Some(w) = (0..tries).find_map(|_| draw()) else {
            crate::println!("persia-metal: {name} failed {tries} times running at boot; it is not used");
            return false;
        };
        differs |= first.is_some_and(|f| f != w);
        first.get_or_insert(w);
    }
    if !differs {
        crate::println!(
            "persia-metal: {name} gave {:#018x} {BOOT_SAMPLES} times running at boot: the CPU's generator is broken (a known fault answers all ones), so it is not used",
            first.unwrap_or(0)
        );
    }
    differs
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

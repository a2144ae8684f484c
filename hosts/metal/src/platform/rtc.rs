// The wall clock: the CMOS real-time clock (MC146818 registers), read until two reads agree
// (an update can land between the bytes), in BCD or binary and 12- or 24-hour form as
// status register B says, as Unix milliseconds (whole seconds: the RTC has no finer field).
// Read once at boot for the kernel's epoch; clock.rs's TSC carries time on from there.
use super::cpu::{inb, outb};

const INDEX: u16 = 0x70;
const DATA: u16 = 0x71;
const SECONDS: u8 = 0x00;
const MINUTES: u8 = 0x02;
const HOURS: u8 = 0x04;
const DAY: u8 = 0x07;
const MONTH: u8 = 0x08;
const YEAR: u8 = 0x09;
const STATUS_A: u8 = 0x0a;
const STATUS_B: u8 = 0x0b;
const CENTURY: u8 = 0x32;          // PC/AT convention (ACPI FADT's default); QEMU keeps it
const A_UPDATE_IN_PROGRESS: u8 = 0x80;
const B_24_HOUR: u8 = 0x02;
const B_BINARY: u8 = 0x04;
const HOUR_PM: u8 = 0x80;
/// Attempts at two equal reads; an update takes < 2 ms once a second, so a few suffice.
const TRIES: usize = 1000;

fn reg(r: u8) -> u8 {
    outb(INDEX, r);
    inb(DATA)
}

fn raw() -> [u8; 7] {
    let mut spins = 0;
    while reg(STATUS_A) & A_UPDATE_IN_PROGRESS != 0 && spins < 100_000 {
        spins += 1;
    }
    [reg(SECONDS), reg(MINUTES), reg(HOURS), reg(DAY), reg(MONTH), reg(YEAR), reg(CENTURY)]
}

fn bcd(v: u8) -> u8 {
    (v >> 4) * 10 + (v & 0x0f)
}

/// The RTC's time as Unix milliseconds (UTC, as PCs and QEMU keep it), or a sentence when
/// it does not hold still or holds no valid date.
pub fn unix_ms() -> Result<u64, &'static str> {
    let mut last = raw();
    let mut stable = None;
    for _ in 0..TRIES {
        let now = raw();
        if now == last {
            stable = Some(now);
            break;
        }
        last = now;
    }
    let [s, m, h, d, mo, y, c] = stable.ok_or("the CMOS clock changed between every two reads; no wall-clock time")?;
    let b = reg(STATUS_B);
    let dec = |v: u8| if b & B_BINARY != 0 { v } else { bcd(v) };
    let pm = h & HOUR_PM != 0;
    let mut hour = dec(h & !HOUR_PM);
    if b & B_24_HOUR == 0 {
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let century = match dec(c) {
        19..=21 => dec(c) as u64,
        _ => 20,
    };
    let (sec, min, day, month, year) = (dec(s) as u64, dec(m) as u64, dec(d) as u64, dec(mo) as u64, century * 100 + dec(y) as u64);
    if sec > 59 || min > 59 || hour > 23 || !(1..=31).contains(&day) || !(1..=12).contains(&month) || year < 1970 {
        return Err("the CMOS clock holds no valid date; set it (QEMU -rtc base=utc)");
    }
    let days = days_from_civil(year as i64, month as u32, day as u32) as u64;
    Ok(((days * 24 + hour as u64) * 60 + min) * 60_000 + sec * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// "YYYY-MM-DDTHH:MM:SSZ" of Unix milliseconds, for the boot log.
pub struct Iso(pub u64);

impl core::fmt::Display for Iso {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let secs = self.0 / 1000;
        let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
        // civil_from_days (H. Hinnant)
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
    }
}

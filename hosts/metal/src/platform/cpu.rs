// Small CPU primitives the rest of the host shares: port I/O (serial, PIC, PIT, CMOS, the
// exit port; the drivers use it for the legacy virtio transport), CPUID, MSRs and control
// registers. Each is one instruction; none keeps state.
use core::arch::asm;

/// Reads a byte from an I/O port.
#[inline]
pub fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: port I/O touches no memory; the caller picks a port whose device it owns.
    unsafe { asm!("in al, dx", out("al") v, in("dx") port, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes a byte to an I/O port.
#[inline]
pub fn outb(port: u16, v: u8) {
    // SAFETY: as inb.
    unsafe { asm!("out dx, al", in("dx") port, in("al") v, options(nomem, nostack, preserves_flags)) };
}

/// Reads 16 bits from an I/O port.
#[inline]
pub fn inw(port: u16) -> u16 {
    let v: u16;
    // SAFETY: as inb.
    unsafe { asm!("in ax, dx", out("ax") v, in("dx") port, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes 16 bits to an I/O port.
#[inline]
pub fn outw(port: u16, v: u16) {
    // SAFETY: as inb.
    unsafe { asm!("out dx, ax", in("dx") port, in("ax") v, options(nomem, nostack, preserves_flags)) };
}

/// Reads 32 bits from an I/O port.
#[inline]
pub fn inl(port: u16) -> u32 {
    let v: u32;
    // SAFETY: as inb.
    unsafe { asm!("in eax, dx", out("eax") v, in("dx") port, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes 32 bits to an I/O port.
#[inline]
pub fn outl(port: u16, v: u32) {
    // SAFETY: as inb.
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") v, options(nomem, nostack, preserves_flags)) };
}

/// CPUID leaf `leaf`, sub-leaf `sub`: (eax, ebx, ecx, edx).
pub fn cpuid(leaf: u32, sub: u32) -> (u32, u32, u32, u32) {
    let r = core::arch::x86_64::__cpuid_count(leaf, sub);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// The highest basic CPUID leaf.
pub fn cpuid_max() -> u32 {
    cpuid(0, 0).0
}

/// The time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC reads a counter; CR4.TSD is clear (ring 0 anyway).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Reads a model-specific register. The caller names one that exists (CPUID says so).
pub fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: reading an MSR the caller checked exists has no side effect.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags)) };
    (hi as u64) << 32 | lo as u64
}

/// Writes a model-specific register. The caller names one that exists and a valid value.
pub fn wrmsr(msr: u32, v: u64) {
    // SAFETY: as rdmsr; the callers write only the APIC base (enable bit).
    unsafe { asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nostack, preserves_flags)) };
}

/// CR2: the address of the last page fault.
pub fn cr2() -> u64 {
    let v: u64;
    // SAFETY: reading CR2 has no side effect.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Turns on the AVX register state (CR4.OSXSAVE, XCR0 = x87 | SSE | AVX) when the CPU has
/// XSAVE and AVX, so that compiled Wasm code may use AVX; SSE itself boot.rs enabled. The
/// host's own Rust code uses neither (the target is soft-float), so interrupts save none.
/// Returns whether AVX is on.
pub fn enable_avx() -> bool {
    let (_, _, ecx, _) = cpuid(1, 0);
    let (xsave, avx) = (ecx & (1 << 26) != 0, ecx & (1 << 28) != 0);
    if !(xsave && avx) {
        return false;
    }
    // SAFETY: CPUID says XSAVE exists, so CR4.OSXSAVE may be set and XCR0 written; bits
    // 0..2 (x87, SSE, AVX) are valid where AVX exists.
    unsafe {
        asm!("mov {t}, cr4", "or {t}, {bit}", "mov cr4, {t}", t = out(reg) _, bit = const 1u64 << 18, options(nomem, nostack));
        asm!("xsetbv", in("ecx") 0u32, in("eax") 7u32, in("edx") 0u32, options(nomem, nostack));
    }
    true
}

/// Enables interrupts.
#[inline]
pub fn sti() {
    // SAFETY: the IDT is loaded before anything calls this (platform::init order).
    unsafe { asm!("sti", options(nomem, nostack)) };
}

/// Disables interrupts.
#[inline]
pub fn cli() {
    // SAFETY: masking interrupts cannot break an invariant.
    unsafe { asm!("cli", options(nomem, nostack)) };
}

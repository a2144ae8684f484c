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

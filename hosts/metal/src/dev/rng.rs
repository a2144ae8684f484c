//! virtio-rng, the entropy device (virtio 1.x §5.4): one queue of device-writable buffers
//! the device fills with random bytes. The platform RNG uses it only when the CPU has
//! neither RDSEED nor RDRAND. Requests are synchronous, like the disk's: one buffer is
//! offered and the used ring polled until the device fills it or REQUEST_TIMEOUT_NS passes.
//! Callers: the node at boot (`register_fallback`), the platform RNG through it, and `devtest`.

use alloc::string::String;
use spin::Mutex;

use super::DevError;
use super::pci::PciDevice;
use super::virtio::{self, DESC_WRITE, DmaBuf, Transport, Virtqueue};

/// Bytes asked of the device per request.
const REQUEST: usize = 64;

pub struct Rng {
    /// First field: dropping it resets the device before the queue and buffer are freed.
    dev: Transport,
    q: Virtqueue,
    buf: DmaBuf,
    stopped: bool,
}

/// The device the platform RNG falls back to (a plain `fn` cannot hold it).
static FALLBACK: Mutex<Option<Rng>> = Mutex::new(None);

/// Acknowledges the registered device's interrupt if it is on one of the `fired` lines (a
/// bit per 8259 line): reading the ISR lowers its INTx line, which would otherwise fire
/// again the moment a shared line is unmasked. Its queue never interrupts; a configuration
/// change may.
pub fn ack_fallback(fired: u16) {
    if let Some(r) = FALLBACK.lock().as_ref()
        && r.dev.pci.irq().is_some_and(|l| fired & (1 << l) != 0)
    {
        r.dev.isr();
    }
}

/// Probes the first working virtio-rng of `devices` and, if there is one, registers it as
/// the platform RNG's fallback source. Returns whether one was registered.
pub fn register_fallback(devices: &[PciDevice]) -> bool {
    let Some(rng) = probe_first(devices) else { return false };
    *FALLBACK.lock() = Some(rng);
    crate::platform::rng::set_fallback("virtio-rng", fill_fallback);
    true
}

/// Fills `out` from the registered device; false without one or when it failed.
pub fn fill_fallback(out: &mut [u8]) -> bool {
    FALLBACK.lock().as_mut().is_some_and(|r| r.fill(out).is_ok())
}

/// The first virtio-rng function of `devices` that works, if any; each one that does not
/// gets a line saying why.
pub fn probe_first(devices: &[PciDevice]) -> Option<Rng> {
    let rngs = devices.iter().filter(|d| virtio::device_type(d) == Some(virtio::TYPE_RNG));
    for d in rngs {
        match Rng::probe(d) {
            Ok(r) => {
                crate::println!("virtio-rng at {} ({})", d.addr, r.dev.kind());
                return Some(r);
            }
            Err(why) => crate::println!("virtio-rng: {why}; this entropy device is left unused"),
        }
    }
    None
}

impl Rng {
    fn probe(pci: &PciDevice) -> Result<Rng, String> {
        let mut dev = Transport::open(pci)?;
        dev.negotiate(0)?;
        let mut q = dev.queue(0, 1)?;
        q.no_interrupts();
        let buf = DmaBuf::new(REQUEST, "virtio-rng buffer")?;
        q.set_desc(0, buf.phys(0), REQUEST as u32, DESC_WRITE, 0);
        dev.driver_ok();
        Ok(Rng { dev, q, buf, stopped: false })
    }

    /// Fills `out` with bytes from the device. Io when the device stops answering (it is
    /// then reset and used no more).
    pub fn fill(&mut self, out: &mut [u8]) -> Result<(), DevError> {
        let mut done = 0;
        let deadline = virtio::Deadline::after_ns(virtio::REQUEST_TIMEOUT_NS);
        while done < out.len() {
            if self.stopped {
                return Err(DevError::Io);
            }
            if deadline.passed() {
                // Answers, but (almost) empty ones: too slow to serve as a source.
                return Err(DevError::Io);
            }
            let want = (out.len() - done).min(REQUEST);
            self.q.set_desc_len(0, want as u32);
            self.q.push(0);
            self.q.kick();
            match virtio::wait_used(&mut self.q, virtio::REQUEST_TIMEOUT_NS) {
                Some((0, len)) => {
                    let n = (len as usize).min(want);
                    out[done..done + n].copy_from_slice(self.buf.bytes(0, n));
                    done += n;
                }
                _ => {
                    self.stopped = true;
                    self.dev.stop();
                    crate::println!(
                        "virtio-rng at {}: no bytes within 5 s; the device was reset and is used no more",
                        self.dev.pci.addr
                    );
                }
            }
        }
        Ok(())
    }
}

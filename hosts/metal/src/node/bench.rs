// The metal host's bench mode, for `npm run bench` (tests/bench/metal.ts), as the wasmtime
// image's (hosts/wasi/bench.ts): instead of driving the NICs, feed frames given on the
// command line straight to the kernel and count what it sends instead of sending it,
// timing the loop with the TSC clock.
//   bench-setup=<nic>:<hex>   a frame given once before the measurement (repeatable)
//   bench=<nic>:<hex>         a frame measured (repeatable: each in turn, in order)
//   bench-count=<n>           how many times each (after a warm-up of WARMUP frames)
//   bench-batch=1             hand the frames over BATCH at a time with one k_rx_batch (one
//                             write into Buf.RX_BATCH and one call per batch), as the Run loop
//                             does, instead of one k_rx per frame; the count is rounded up to
//                             whole batches
// It prints one line per bench= frame, "bench <frames> <ns> <frames the kernel sent>", and
// exits STOPPED. Several frames let one boot measure several services (tests/metal/
// scale.test.ts: the first, the last and one between of a thousand).
// The kernel polls every BATCH frames, as the Node host's benchmark does. Used by mod.rs;
// args.rs parses the options.
use super::host::Host;
use crate::abi::bridge::KernelExports;
use super::{fail, rec_header};
use crate::abi::{rec_size, Buf, FRAME_MAX, NIC_MAX, REC_HDR};
use crate::platform::clock;
use crate::println;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use wasmtime::{Result, Store};

const BATCH: u64 = 32;        // frames per k_poll (tests/bench/bench.ts BATCH)
const WARMUP: u64 = 2000;     // frames before the clock starts
const SETUP_MAX: usize = 8;   // bench-setup frames at most
const FRAMES_MAX: usize = 8;  // bench frames at most
const COUNT_DEFAULT: u64 = 100_000;

/// A frame for NIC `nic`.
pub struct Frame {
    nic: i32,
    bytes: Vec<u8>,
}

pub struct Bench {
    setup: Vec<Frame>,
    frames: Vec<Frame>,
    count: u64,
    batched: bool,
}

impl Bench {
    pub fn new() -> Bench {
        Bench { setup: Vec::new(), frames: Vec::new(), count: COUNT_DEFAULT, batched: false }
    }

    /// One bench option of the command line (`name` is bench, bench-setup, bench-count or
    /// bench-batch); Ok(false) for another name.
    pub fn option(&mut self, name: &str, value: &str) -> Result<bool, String> {
        match name {
            "bench" if self.frames.len() < FRAMES_MAX => self.frames.push(frame(value)?),
            "bench" => return Err(format!("more than {FRAMES_MAX} bench frames")),
            "bench-setup" if self.setup.len() < SETUP_MAX => self.setup.push(frame(value)?),
            "bench-setup" => return Err(format!("more than {SETUP_MAX} bench-setup frames")),
            "bench-count" => {
                self.count = value.parse().ok().filter(|&n| n > 0)
                    .ok_or_else(|| format!("bench-count={value} is not a positive whole number"))?;
            }
            "bench-batch" => {
                self.batched = match value {
                    "1" => true,
                    "0" => false,
                    _ => return Err(format!("bench-batch={value}: give 1 (frames through k_rx_batch) or 0 (one k_rx a frame)")),
                };
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether the command line asked for bench mode; a count, setup or batch without
    /// `bench=` is refused by name.
    pub fn wanted(&self) -> Result<bool, String> {
        if self.frames.is_empty() && (!self.setup.is_empty() || self.count != COUNT_DEFAULT || self.batched) {
            return Err(String::from("bench-setup=, bench-count= and bench-batch= need bench=<nic>:<hex>, the frame to measure"));
        }
        Ok(!self.frames.is_empty())
    }
}

/// "<nic>:<hex>" as a frame.
fn frame(value: &str) -> Result<Frame, String> {
    let bad = || format!("a bench frame is <nic>:<hex bytes>, the NIC 0..{}, at most {FRAME_MAX} bytes; not \"{value}\"", NIC_MAX - 1);
    let (nic, hex) = value.split_once(':').ok_or_else(bad)?;
    let nic: i32 = nic.parse().ok().filter(|&n: &i32| (0..NIC_MAX as i32).contains(&n)).ok_or_else(bad)?;
    if hex.is_empty() || hex.len() % 2 != 0 || hex.len() / 2 > FRAME_MAX {
        return Err(bad());
    }
    let bytes = (0..hex.len()).step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
        .collect::<Result<Vec<u8>, String>>()?;
    Ok(Frame { nic, bytes })
}

fn feed(store: &mut Store<Host>, k: &KernelExports, rx_at: usize, f: &Frame, t: i64) -> Result<()> {
    let memory = store.data().memory.expect("set after instantiation");
    memory.write(&mut *store, rx_at, &f.bytes)?;
    k.k_rx.call(&mut *store, (f.nic, f.bytes.len() as i32, t))
}

/// Runs the measurements after boot and prints a line for each. `t0`: the kernel time of
/// the boot's last poll, which the bench's clock goes on from (it never goes back).
pub fn run(store: &mut Store<Host>, k: &KernelExports, b: &Bench, t0: i64) -> Result<()> {
    if b.frames.is_empty() {
        return Ok(());
    }
    let rx_at = k.k_buf.call(&mut *store, Buf::RX as i32)? as u32 as usize;
    let mut t: i64 = t0.max(1);
    for f in &b.setup {
        feed(store, k, rx_at, f, t)?;
    }
    k.k_poll.call(&mut *store, t)?;
    t += 1;
    for measured in &b.frames {
        t = if b.batched {
            measure_batched(store, k, measured, b.count, t)?
        } else {
            measure(store, k, rx_at, measured, b.count, t)?
        };
    }
    Ok(())
}

/// One frame: WARMUP times, then `count` times on the clock; its line. The next time.
fn measure(store: &mut Store<Host>, k: &KernelExports, rx_at: usize, measured: &Frame, count: u64, mut t: i64) -> Result<i64> {
    for i in 0..WARMUP {
        feed(store, k, rx_at, measured, t)?;
        if i % BATCH == 0 {
            k.k_poll.call(&mut *store, t)?;
            t += 1;
        }
    }
    let sent0 = store.data().bench_sent.unwrap_or(0);
    let t0 = clock::now_ns();
    for i in 0..count {
        feed(store, k, rx_at, measured, t)?;
        if i % BATCH == BATCH - 1 {
            k.k_poll.call(&mut *store, t)?;
            t += 1;
        }
    }
    k.k_poll.call(&mut *store, t)?;
    let ns = clock::now_ns().saturating_sub(t0);
    println!("bench {count} {ns} {}", store.data().bench_sent.unwrap_or(0) - sent0);
    Ok(t + 1)
}

/// BATCH records of `f` (abi/kernel.ts REC_*), laid out once as the Run loop lays out what
/// the NICs received (mod.rs receive_all); None if they do not fit in `size` bytes.
fn records(f: &Frame, size: usize) -> Option<Vec<u8>> {
    let one = rec_size(f.bytes.len());
    if one * BATCH as usize > size {
        return None;
    }
    let mut recs = alloc::vec![0u8; one * BATCH as usize];
    for r in recs.chunks_exact_mut(one) {
        r[..REC_HDR].copy_from_slice(&rec_header(f.nic as usize, f.bytes.len()));
        r[REC_HDR..REC_HDR + f.bytes.len()].copy_from_slice(&f.bytes);
    }
    Some(recs)
}

/// `n` frames (a whole number of batches): each batch written into Buf.RX_BATCH, handed
/// over with one k_rx_batch and polled. The next time. A kernel that takes fewer than the
/// batch ends the bench: the figure would not be of BATCH frames a call.
fn feed_batches(store: &mut Store<Host>, k: &KernelExports, at: usize, recs: &[u8], n: u64, mut t: i64) -> Result<i64> {
    let memory = store.data().memory.expect("set after instantiation");
    for _ in 0..n / BATCH {
        memory.write(&mut *store, at, recs)?;
        let took = k.k_rx_batch.call(&mut *store, (BATCH as i32, t))?;
        if took != BATCH as i32 {
            fail(&format!("bench: the kernel took {took} of the {BATCH} records of a batch (it counts those it could not take; the node's status says which)"));
        }
        k.k_poll.call(&mut *store, t)?;
        t += 1;
    }
    Ok(t)
}

/// measure() with bench-batch=1: BATCH frames a k_rx_batch and a k_poll, the warm-up and
/// the count rounded up to whole batches (as the wasmtime image's --bench-batch).
fn measure_batched(store: &mut Store<Host>, k: &KernelExports, measured: &Frame, count: u64, t: i64) -> Result<i64> {
    let at = k.k_buf.call(&mut *store, Buf::RX_BATCH as i32)? as u32 as usize;
    let size = k.k_buf_size.call(&mut *store, Buf::RX_BATCH as i32)? as u32 as usize;
    let Some(recs) = records(measured, size).filter(|_| at != 0) else {
        fail(&format!("bench: {BATCH} records of a {}-byte frame take {} bytes; the kernel's receive batch (Buf.RX_BATCH) is {size} bytes at {at}: \
            measure a shorter frame, or without bench-batch=1", measured.bytes.len(), rec_size(measured.bytes.len()) * BATCH as usize));
    };
    let t = feed_batches(store, k, at, &recs, WARMUP.div_ceil(BATCH) * BATCH, t)?;
    let n = count.div_ceil(BATCH) * BATCH;
    let sent0 = store.data().bench_sent.unwrap_or(0);
    let t0 = clock::now_ns();
    let t = feed_batches(store, k, at, &recs, n, t)?;
    let ns = clock::now_ns().saturating_sub(t0);
    println!("bench {n} {ns} {}", store.data().bench_sent.unwrap_or(0) - sent0);
    Ok(t + 1)
}

// The node's options on the Multiboot command line (QEMU -append, GRUB's multiboot line;
// spec/metal.md "Command line"): for=<ms> (stop gracefully after that long), status-every=
// <ms> (a status line that often; 0: none; default 1000), quiet (kernel log lines below
// WARN are not printed), capture (a capture line per packet, as the wasmtime image's
// --capture). A malformed number is refused by name; a word the node does not know is
// left to the platform (devtest) or named once on the console. bench=, bench-setup=,
// bench-count= and bench-batch= put the node in bench mode (bench.rs).
use super::bench::Bench;
use alloc::format;
use alloc::string::String;

pub struct Args {
    /// ms of kernel time after which the node stops; None: runs until the machine stops.
    pub for_ms: Option<u64>,
    /// ms between status lines; 0: none.
    pub status_every: u64,
    pub quiet: bool,
    pub capture: bool,
    /// Bench mode (bench.rs) when `bench=` was given.
    pub bench: Option<Bench>,
}

const STATUS_EVERY_DEFAULT: u64 = 1000;
/// Words of the command line the platform and the drivers read, not the node.
const PLATFORM_WORDS: &[&str] = &["devtest", "spin"];

fn number(word: &str, name: &str) -> Result<u64, String> {
    word.parse::<u64>().map_err(|_| format!("the command line's {name}={word} is not a whole number of milliseconds; write e.g. {name}=2000"))
}

pub fn parse(cmdline: &str) -> Result<Args, String> {
    let mut a = Args { for_ms: None, status_every: STATUS_EVERY_DEFAULT, quiet: false, capture: false, bench: None };
    let mut bench = Bench::new();
    for w in cmdline.split_ascii_whitespace() {
        if let Some((name, value)) = w.split_once('=') {
            if bench.option(name, value)? {
                continue;
            }
        }
        if let Some(v) = w.strip_prefix("for=") {
            a.for_ms = Some(number(v, "for")?);
        } else if let Some(v) = w.strip_prefix("status-every=") {
            a.status_every = number(v, "status-every")?;
        } else if w == "quiet" {
            a.quiet = true;
        } else if w == "capture" {
            a.capture = true;
        } else if !PLATFORM_WORDS.contains(&w) && !w.starts_with("devtest-") {
            crate::println!("persia-metal: the command line's \"{w}\" means nothing to the node (it takes for=<ms>, status-every=<ms>, quiet, capture); ignored");
        }
    }
    if bench.wanted()? {
        a.bench = Some(bench);
    }
    Ok(a)
}

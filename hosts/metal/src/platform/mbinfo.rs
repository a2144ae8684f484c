// What the Multiboot 1 loader told us (Multiboot specification 0.6.96, section 3.3, "Boot
// information format"): the memory map and the command line. `init` copies both out of
// the loader's structure at boot, before the heap may reuse that memory; afterwards
// `regions()`, `cmdline()` and `loader_name()` read the copies. Nothing else of the
// structure is used (no modules, no symbols, no framebuffer).
use spin::Once;

// Offsets in the info structure, each valid when its flag bit is set.
const FLAGS: usize = 0;
const MEM_LOWER: usize = 4;     // u32 KiB below 1 MiB   (flag 0)
const MEM_UPPER: usize = 8;     // u32 KiB from 1 MiB on (flag 0)
const CMDLINE: usize = 16;      // u32 address of a NUL-terminated string (flag 2)
const MMAP_LENGTH: usize = 44;  // u32 bytes of the memory map (flag 6)
const MMAP_ADDR: usize = 48;    // u32 address of the first entry (flag 6)
const LOADER_NAME: usize = 64;  // u32 address of a NUL-terminated string (flag 9)
const FLAG_MEM: u32 = 1 << 0;
const FLAG_CMDLINE: u32 = 1 << 2;
const FLAG_MMAP: u32 = 1 << 6;
const FLAG_LOADER_NAME: u32 = 1 << 9;
// A memory-map entry: u32 size (of the rest of the entry), u64 base, u64 length, u32 type.
const ENTRY_BASE: usize = 4;
const ENTRY_LEN: usize = 12;
const ENTRY_TYPE: usize = 20;
/// Entry type of RAM the OS may use.
pub const RAM: u32 = 1;

/// Regions kept from the map; QEMU gives 6, firmware rarely more than 30.
const MAX_REGIONS: usize = 64;
/// Bytes of command line kept (QEMU -append, GRUB's multiboot line after the file name).
const MAX_CMDLINE: usize = 4096;
/// Bytes of the loader's name kept ("qemu", "GRUB 2.06-13+deb12u1").
const MAX_LOADER_NAME: usize = 64;

#[derive(Clone, Copy, Debug, Default)]
pub struct Region {
    pub base: u64,
    pub len: u64,
    /// Multiboot memory type: RAM (1) is usable, everything else is not.
    pub kind: u32,
}

struct Info {
    regions: [Region; MAX_REGIONS],
    count: usize,
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
    loader: [u8; MAX_LOADER_NAME],
    loader_len: usize,
}

static INFO: Once<Info> = Once::new();

fn rd32(addr: usize) -> u32 {
    // SAFETY: the loader's structures lie in identity-mapped RAM below 4 GiB; unaligned
    // reads because the spec promises no alignment for map entries.
    unsafe { core::ptr::read_unaligned(addr as *const u32) }
}

fn rd64(addr: usize) -> u64 {
    // SAFETY: as rd32.
    unsafe { core::ptr::read_unaligned(addr as *const u64) }
}

/// Copies the memory map and the command line out of the loader's info structure at
/// `info`. Returns a sentence saying what is missing when the loader gave no memory size.
pub fn init(info: u32) -> Result<(), &'static str> {
    let info = info as usize;
    let flags = rd32(info + FLAGS);
    let mut out = Info {
        regions: [Region::default(); MAX_REGIONS],
        count: 0,
        cmdline: [0; MAX_CMDLINE],
        cmdline_len: 0,
        loader: [0; MAX_LOADER_NAME],
        loader_len: 0,
    };
    if flags & FLAG_MMAP != 0 {
        let (start, len) = (rd32(info + MMAP_ADDR) as usize, rd32(info + MMAP_LENGTH) as usize);
        let mut at = start;
        while at + ENTRY_TYPE + 4 <= start + len && out.count < MAX_REGIONS {
            let size = rd32(at) as usize;
            out.regions[out.count] = Region { base: rd64(at + ENTRY_BASE), len: rd64(at + ENTRY_LEN), kind: rd32(at + ENTRY_TYPE) };
            out.count += 1;
            at += size + 4;
        }
    } else if flags & FLAG_MEM != 0 {
        out.regions[0] = Region { base: 0, len: rd32(info + MEM_LOWER) as u64 * 1024, kind: RAM };
        out.regions[1] = Region { base: 0x10_0000, len: rd32(info + MEM_UPPER) as u64 * 1024, kind: RAM };
        out.count = 2;
    } else {
        return Err("the Multiboot loader gave neither a memory map nor mem_lower/mem_upper, so the host cannot know where its heap may go");
    }
    if flags & FLAG_CMDLINE != 0 {
        out.cmdline_len = copy_string(rd32(info + CMDLINE) as usize, &mut out.cmdline);
    }
    if flags & FLAG_LOADER_NAME != 0 {
        out.loader_len = copy_string(rd32(info + LOADER_NAME) as usize, &mut out.loader);
    }
    INFO.call_once(|| out);
    Ok(())
}

/// Copies the NUL-terminated string at `addr` into `buf`, as much as fits; returns its length.
fn copy_string(addr: usize, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        // SAFETY: as rd32; the string is NUL-terminated, and the copy stops at the buffer's end.
        let b = unsafe { core::ptr::read((addr + n) as *const u8) };
        if b == 0 {
            break;
        }
        buf[n] = b;
        n += 1;
    }
    n
}

/// The memory map, as the loader gave it (empty before `init`).
pub fn regions() -> &'static [Region] {
    INFO.get().map_or(&[], |i| &i.regions[..i.count])
}

/// The loader's name ("qemu", "GRUB 2.06…"), or "" when it gave none.
pub fn loader_name() -> &'static str {
    INFO.get().and_then(|i| core::str::from_utf8(&i.loader[..i.loader_len]).ok()).unwrap_or("")
}

/// The command line's arguments (QEMU `-append`, or what follows the file name on GRUB's
/// `multiboot` line). QEMU (and iPXE) put the boot file's name first, GRUB 2 does not: the
/// first word is dropped when the loader is QEMU, or when it looks like a file name (a '/'
/// or '.' and no '='). "" when there was none, before `init`, or when it is not UTF-8
/// (`cmdline_problem` says so).
pub fn cmdline() -> &'static str {
    let line = INFO.get().and_then(|i| core::str::from_utf8(&i.cmdline[..i.cmdline_len]).ok()).unwrap_or("");
    let line = line.trim();
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    let file_name = loader_name().starts_with("qemu") || (first.contains(['/', '.']) && !first.contains('='));
    if file_name { rest.trim() } else { line }
}

/// Why the command line cannot be used, if it cannot: not UTF-8, or longer than the host keeps.
pub fn cmdline_problem() -> Option<&'static str> {
    let i = INFO.get()?;
    if core::str::from_utf8(&i.cmdline[..i.cmdline_len]).is_err() {
        Some("the command line is not UTF-8; it is ignored")
    } else if i.cmdline_len == MAX_CMDLINE {
        Some("the command line is longer than 4096 bytes; it is ignored past that")
    } else {
        None
    }
}

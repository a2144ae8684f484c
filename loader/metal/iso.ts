// A bootable ISO of a metal image (spec/metal.md "The ISO"): GRUB (BIOS, i386-pc) from
// Debian's grub-pc-bin, put on an El Torito CD image by grub-mkrescue (with xorriso; mtools
// for its EFI image when grub-efi is there too), with a grub.cfg that boots
// /boot/node.elf with `multiboot` and the node's command line, menu and console on the
// serial port and the screen. For real hardware or any hypervisor; QEMU boots it with
// -cdrom. Deliberately not UEFI (spec/hosts.md says what that would take).
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { LoaderError } from "../errors";

/** Where the ELF lies on the ISO, as grub.cfg names it. */
export const ISO_ELF = "/boot/node.elf";

/** The GRUB line that boots the image with `cmdline`. GRUB 2 hands the kernel only the
 *  words after the file (grub-core/loader/multiboot.c: "Skip filename"), QEMU's -kernel
 *  the file's name and then -append; the file is named twice so that the host reads one
 *  form, its first word a file name (hosts/metal/src/platform/mbinfo.rs cmdline()). */
export function grubLine(cmdline: string): string {
  return `multiboot ${ISO_ELF} ${ISO_ELF}${cmdline ? ` ${cmdline}` : ""}`;
}

/** grub.cfg: no menu wait, the console on COM1 (115200 8N1, as the metal host sets it)
 *  and the screen, one entry. */
export function grubCfg(name: string, cmdline: string): string {
  return [
    "serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1",
    "terminal_input serial console",
    "terminal_output serial console",
    "set timeout=0",
    "set default=0",
    `menuentry "PersiaOS ${name.replace(/["\\$]/g, "")}" {`,
    `  ${grubLine(cmdline)}`,
    "  boot",
    "}",
    "",
  ].join("\n");
}

/** Writes `out`, an ISO that GRUB boots into the image `elf`, with file mode `mode` (else
 *  the one grub-mkrescue gives it, by the umask). The
 *  ISO is made inside a new 0700 directory beside `out` (grub-mkrescue creates its output
 *  with the process's umask, and the image may hold the node's identity seed), given its
 *  mode there and renamed over `out`: no one else can open it at any moment. Throws a
 *  LoaderError naming the missing tool (grub-mkrescue, xorriso, GRUB's i386-pc modules) or
 *  grub-mkrescue's complaint. */
export function writeIso(elf: Uint8Array, name: string, cmdline: string, out: string, mode?: number): void {
  if (!fs.existsSync("/usr/lib/grub/i386-pc/multiboot.mod")) {
    throw new LoaderError("the ISO", "GRUB's BIOS modules (/usr/lib/grub/i386-pc) are not installed",
      "Install Debian's grub-pc-bin, xorriso and mtools (`npm run setup` does), or write an ELF with `-o node.elf` and boot it with QEMU's -kernel.");
  }
  const dir = fs.mkdtempSync(path.join(path.dirname(path.resolve(out)), ".persia-iso-"));
  try {
    const tree = path.join(dir, "tree"), iso = path.join(dir, "node.iso");
    fs.mkdirSync(path.join(tree, "boot/grub"), { recursive: true });
    fs.writeFileSync(path.join(tree, ISO_ELF), elf);
    fs.writeFileSync(path.join(tree, "boot/grub/grub.cfg"), grubCfg(name, cmdline));
    const r = spawnSync("grub-mkrescue", ["-o", iso, tree], { encoding: "utf8" });
    if (r.error || r.status !== 0) {
      const why = r.error ? `grub-mkrescue did not run (${r.error.message})` :
        `grub-mkrescue failed: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}`;
      throw new LoaderError("the ISO", why, "Install Debian's grub-pc-bin, xorriso and mtools (`npm run setup` does); or write an ELF with `-o node.elf`.");
    }
    if (mode !== undefined) fs.chmodSync(iso, mode);
    fs.renameSync(iso, out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

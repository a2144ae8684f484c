// Installs what the end-to-end tests need from Debian (tshark, ndisc6, iproute2, ping,
// Debian's python3 with scapy)
// when it is missing and the machine lets us (root, apt-get). Called by `npm test`
// before anything runs. Under CI=true a tool that cannot be installed fails the run;
// elsewhere it prints why and the end-to-end tests will say they are skipped.
"use strict";
const { execSync, spawnSync } = require("child_process");

const TOOLS = { tshark: "tshark", ndisc6: "ndisc6", rdisc6: "ndisc6", ip: "iproute2", ping: "iputils-ping",
  "/usr/bin/python3": "python3", scapy: "python3-scapy", losetup: "mount" };
const ci = process.env.CI === "true";

function have(cmd) {
  if (cmd === "scapy") return spawnSync("/usr/bin/python3", ["-c", "import scapy.all"], { stdio: "ignore" }).status === 0;
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

const missing = Object.keys(TOOLS).filter((t) => !have(t));
if (missing.length === 0) process.exit(0);
const pkgs = [...new Set(missing.map((t) => TOOLS[t]))];
const root = typeof process.getuid === "function" && process.getuid() === 0;
if (!root || !have("apt-get")) {
  const msg = `setup: missing ${missing.join(", ")}; install Debian packages ${pkgs.join(" ")} (needs root and apt-get)`;
  console.error(msg);
  process.exit(ci ? 1 : 0);
}
console.log(`setup: installing ${pkgs.join(" ")} with apt-get`);
try {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execSync("apt-get update -qq", { stdio: "inherit", env });
  execSync(`apt-get install -y -qq ${pkgs.join(" ")}`, { stdio: "inherit", env });
} catch (e) {
  console.error(`setup: apt-get failed: ${e.message}`);
  process.exit(ci ? 1 : 0);
}

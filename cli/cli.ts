// The `persia` command line: build, run a node from a manifest, run the demo, show a
// running node's status, once or live (`persia top`), serve it to Prometheus and a
// browser (`run --metrics`, `status --from … --metrics` for a wasmtime image), capture
// its packets, and issue, show and verify address certificates (`persia cert`). Every
// failure prints what failed, why, and what to do, and exits non-zero.
// Installed as the package's `persia` bin (cli/bin/persia.js).
import * as path from "path";
import * as fs from "fs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { LogLevel, STOP_MAX_MS } from "../abi/kernel";
import { loadManifest, ManifestError } from "../loader/manifest";
import { build } from "./build";
import { launch } from "../hosts/node/launch";
import { LogEntry, Observed } from "../hosts/node/observe/observed";
import { formatLog, LOG_FORMATS, logEntry, LogContext, LogFormat } from "../hosts/node/observe/log";
import { observe, Observing, serveViews } from "../hosts/node/observe/observe";
import { parseListen } from "../hosts/node/observe/http";
import { METRICS_PATH } from "../hosts/node/observe/metrics";
import { followFile, followStream, ImageOutput } from "./follow";
import { demo } from "./demo/demo";
import { diskRequest, queryStatus } from "./status_client";
import { buildImage, statusFromOutput } from "./image";
import { buildMetalImage } from "./image_metal";
import { formatStatus } from "../loader/status/format";
import { metricsText } from "../loader/status/metrics";
import { Op } from "../abi/control";
import { readKeyFile, publicKeyText } from "../loader/control/message";
import { keyProblem } from "../loader/control/keys";
import { KEY_KINDS, keyCommand } from "./key";
import { exportCommand, signCommand, verifyCommand } from "./modsig";
import { DAYS_DEFAULT, certIssue, certShow, certVerify } from "./cert";
import { grantRequest, loadRequest, readRequest, revokeBody, unloadBody } from "../loader/control/request";
import { size as parseSize } from "../loader/manifest/values";
import { control, greet, replyLine, certsOf, blockControl, CtlOptions } from "./ctl";
import { putModule } from "./put";
import { chainText, readChain, parseSource, parseProtocol } from "../loader/control/block";
import { parseAddr, formatAddr } from "../loader/ip6";
import { CERT_NOT_AFTER, CERT_PREFIX, CERT_LEN, CERT_HOLDER, CERT_ISSUER_KEY } from "../wire/layout/cert";
import { top } from "./top";
import { OutputFollower, socketSource, Source } from "./top_source";
import { CaptureOptions, DEFAULT_MAX_SIZE, MIN_MAX_SIZE, captureFromOutput, captureLive, summary } from "./capture";

const DEFAULT_SOCKET = "/run/persia";

function socketFor(name: string, dir: string): string {
  return path.join(dir, `${name}.sock`);
}

function fail(e: unknown): never {
  if (e instanceof ManifestError) process.stderr.write(`persia: the manifest is not valid:\n${e.message}\n`);
  else process.stderr.write(`persia: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

interface RunArgs { manifest: string; socketDir: string; verbose: boolean; metrics?: string; dashboard: boolean; logFormat: LogFormat }

/** Prints log entries and the CLI's own notes on stderr in the chosen format: a note is
 *  "persia: …" in text, an info (or error) line of the host in JSON. */
function logPrinter(format: LogFormat, ctx: LogContext) {
  const print = (e: LogEntry): void => { process.stderr.write(`${formatLog(e, format)}\n`); };
  const note = (message: string, level: "info" | "warn" | "error" = "info"): void => {
    if (format === "json") print(logEntry(level, message, "host", ctx));
    else process.stderr.write(`persia: ${message}\n`);
  };
  return { print, note };
}

async function cmdRun(a: RunArgs): Promise<void> {
  const m = loadManifest(a.manifest);
  const observed = new Observed(m.node.name);
  const ctx: LogContext = {
    node: m.node.name, nics: new Map(m.nics.map((n, id) => [id, n.name])),
    services: () => observed.status()?.services ?? m.services.map((s, id) => ({ id, name: s.domain })),
  };
  const { print, note } = logPrinter(a.logFormat, ctx);
  const listen = a.metrics ?? m.observe.metrics;
  const named = a.metrics !== undefined ? "--metrics" : "observe.metrics in the manifest";
  if (a.dashboard && listen === null) {
    throw new Error("--dashboard needs an HTTP address to be served on: give --metrics ADDR (e.g. --metrics [::1]:9464) " +
      "or observe.metrics in the manifest");
  }
  if (listen !== null) parseListen(listen);   // a bad address fails before the node boots
  const { node, plan } = await launch(m, {
    log: (level, line, origin) => {
      if (level > LogLevel.INFO && !a.verbose) return;
      const entry = logEntry(level, line, origin, ctx);
      observed.pushLog(entry);
      print(entry);
    },
  });
  let served: Observing | null = null;
  try {
    fs.mkdirSync(a.socketDir, { recursive: true });
    const sock = socketFor(plan.node.name, a.socketDir);
    await node.statusServer(sock);
    if (listen !== null) {
      served = await observe(node, observed, listen, { metrics: true, dashboard: a.dashboard },
        (e) => note(`stopped reading the node's status: ${e.message}`, "error")).catch((e: Error) => {
        throw new Error(`${e.message} (the address came from ${named})`);
      });
    }
    note(`node ${plan.node.name} (${plan.node.role}) is running: ` +
      `${plan.nics.length} NIC(s), ${plan.services.length} service(s). Status: persia status --socket ${sock}`);
  } catch (e) {
    node.stop();                               // closes the status socket, which removes its file
    throw e;
  }
  if (served !== null) {
    note(servedLine(plan.node.name, served.url, a.dashboard));
    if (!served.loopback) {
      note(`${served.url} is not a loopback address: anyone who can reach it reads this node's counters, domains ` +
        "and log (spec/security.md); serve on [::1] unless a firewall or a TLS proxy guards it", "warn");
    }
  }
  // The first signal stops gracefully (a router's final RAs, spec/hosts.md "Stopping a
  // node"); a second one stops at once.
  let stopping = false;
  const stop = () => {
    if (stopping) { served?.close(); node.stop(); process.exit(0); }
    stopping = true;
    if (plan.node.role === "router") note(`node ${plan.node.name} is stopping: its last router advertisements go out (at most ${STOP_MAX_MS / 1000} s; interrupt again to stop at once)`);
    void node.shutdown().then(() => { served?.close(); process.exit(0); });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  node.on("error", (e: Error) => {
    if (a.logFormat === "json") { note(e.message, "error"); process.exit(1); }
    fail(e);
  });
}

/** The line that says where the views are (tests read the URLs from it). */
function servedLine(node: string, url: string, dashboard: boolean): string {
  return `metrics of ${node}: ${url}${METRICS_PATH}` + (dashboard ? `; dashboard at ${url}/` : "");
}

interface FollowArgs { from: string; metrics: string; dashboard: boolean; node?: string; logFormat: LogFormat }

/** `persia status --from F --metrics ADDR`: follow an image's output and serve it. */
async function cmdFollow(a: FollowArgs): Promise<void> {
  const observed = new Observed(a.node ?? "a wasmtime image");
  const output = new ImageOutput(observed, {
    node: a.node ?? null, logFormat: a.logFormat, print: (line) => process.stderr.write(`${line}\n`),
    onError: (e) => note(e.message, "error"),
  });
  const { note } = logPrinter(a.logFormat, output.context);
  const source = a.from === "-" ? "stdin" : a.from;
  const stop = a.from === "-"
    ? followStream(process.stdin, (l) => output.line(l), () => note(`${source} ended; serving its last status until interrupted`))
    : followFile(a.from, (l) => output.line(l), undefined, (e) => note(e.message, "error"));
  const served = await serveViews(observed, a.metrics, { metrics: true, dashboard: a.dashboard });
  note(`following ${source}; ${servedLine(observed.node, served.url, a.dashboard)}`);
  const end = () => { stop(); served.close(); process.exit(0); };
  process.on("SIGINT", end);
  process.on("SIGTERM", end);
}

interface TopArgs { node?: string; socket?: string; "socket-dir": string; from?: string; interval: number }

/** `persia top`: the live view of a running node (its status socket) or of an image's output. */
async function cmdTop(a: TopArgs): Promise<void> {
  if (!(a.interval >= 0.1 && a.interval <= 3600)) throw new Error(`--interval ${a.interval}: give seconds from 0.1 to 3600`);
  if (a.from === "-") throw new Error("`persia top --from` follows a file: save the image's output (`wasmtime run … > node.out`) and give that file");
  let name: string, source: Source;
  if (a.from !== undefined) {
    name = path.basename(a.from);
    source = new OutputFollower(a.from);
  } else {
    if (!a.socket && !a.node) throw new Error("name the node (`persia top demo.sabz.city`), or give --socket <path> or --from <file>");
    const sock = a.socket ?? socketFor(a.node!, a["socket-dir"]);
    name = a.node ?? path.basename(sock).replace(/\.sock$/, "");
    source = socketSource(sock);
    await source.read();   // a node that is not there (a typo) fails at once, as `persia status` does; one that stops later is waited for
  }
  process.exit(await top({ name, source, intervalSeconds: a.interval }));
}

interface CtlArgs { target?: string; node: string; key: string; manifest?: string; port?: number; domain?: string; file?: string;
  disk?: string; offset?: string; length?: string; from?: string[]; to?: string; for?: number; proto?: string;
  "dst-port"?: number; chain?: string; o?: string; source?: string; "node-key"?: string; for_domain?: string }

type CtlOp = "hello" | "load" | "unload" | "grant" | "revoke" | "cert" | "certs" | "block" | "unblock" | "put";

/** `persia ctl cert|certs|block|unblock` (spec/control.md, "Address certificates", "Block
 *  signals"). */
async function cmdCtlCert(op: "cert" | "certs" | "block" | "unblock", a: CtlArgs): Promise<void> {
  const o = ctlOptions(a);
  const user = readKeyFile(a.key);
  // A refused request writes nothing: -o may name the chain a holder already has.
  const save = (chain: Uint8Array[]) => {
    if (!a.o || chain.length === 0) return;
    fs.writeFileSync(a.o, chainText(chain));
    process.stdout.write(`wrote ${chain.length} certificate${chain.length === 1 ? "" : "s"} to ${a.o}\n`);
  };
  if (op === "certs") {
    const r = await certsOf(o, user, parseAddr(a.target!));
    process.stdout.write(`${replyLine(r)}\n`);
    for (const c of r.certs) process.stdout.write(certLine(c));
    save(r.certs);
    if (r.result !== 0) process.exit(1);
    return;
  }
  if (op === "cert") {
    const r = await control(o, user, Op.CERT, new Uint8Array(0));
    process.stdout.write(`${replyLine(r)}\n`);
    for (const c of r.certs) process.stdout.write(certLine(c));
    save(r.certs);
    if (r.result !== 0) process.exit(1);
    return;
  }
  if (!a.to || !a.from || a.from.length === 0) throw new Error(`\`persia ctl ${op}\` needs --to (your address) and at least one --from (a source address or prefix)`);
  if (op === "block" && a.for === undefined) throw new Error("`persia ctl block` needs --for <seconds> (how long the filters last, at most a day)");
  const dst = parseAddr(a.to);
  let chain: Uint8Array[];
  if (a.chain) chain = readChain(a.chain);
  else {
    const r = await certsOf(o, user, dst);
    if (r.result !== 0) throw new Error(`the node has no certificate for ${a.to} (${r.text}); ask your address's router for one (\`persia ctl cert\`) or give --chain`);
    chain = r.certs;
  }
  const spec = {
    dst, sources: a.from.map(parseSource), proto: a.proto ? parseProtocol(a.proto) : 0, port: a["dst-port"] ?? 0,
    seconds: op === "block" ? a.for! : 0, timeMs: BigInt(Date.now()), chain,
  };
  const r = await blockControl(o, user, op === "block" ? Op.BLOCK : Op.UNBLOCK, spec);
  process.stdout.write(`${replyLine(r.first)}\n`);
  // A source router's answer is sealed to this key and signed for this request, but by a
  // key nothing here pins (unless the known-nodes file has one for that address): shown, so a
  // person can compare it, not trusted.
  for (const x of r.relayed) {
    process.stdout.write(`${x.from}: ${replyLine(x.reply)} (signed by ${publicKeyText(x.reply.node!)}: compare it with that router's key)\n`);
  }
  if (r.first.result !== 0) process.exit(1);
}

/** One certificate as a line for a person. */
function certLine(c: Uint8Array): string {
  const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
  const until = new Date(Number(v.getBigUint64(CERT_NOT_AFTER, true)) * 1000).toISOString();
  return `  ${formatAddr(c.subarray(CERT_PREFIX, CERT_PREFIX + 16))}/${c[CERT_LEN]} held by ${publicKeyText(c.subarray(CERT_HOLDER, CERT_HOLDER + 32))}, ` +
    `issued by ${publicKeyText(c.subarray(CERT_ISSUER_KEY, CERT_ISSUER_KEY + 32))}, until ${until}\n`;
}

/** `persia ctl put module.wasm --domain d`: send the module to the node's store, showing
 *  progress on stderr; then `persia ctl load` starts it. */
async function cmdCtlPut(a: CtlArgs): Promise<void> {
  const o = ctlOptions(a);
  const user = readKeyFile(a.key);
  if (!a.for_domain) throw new Error("`persia ctl put` needs --domain: the domain the module is for (one of yours; its publisher signs for it)");
  let module: Uint8Array;
  try {
    module = fs.readFileSync(a.file!);
  } catch (e) {
    throw new Error(`cannot read module ${a.file}: ${(e as Error).message}`);
  }
  const started = Date.now();
  const tty = process.stderr.isTTY;
  const r = await putModule(o, user, module, a.for_domain, (p) => {
    if (tty) process.stderr.write(`\rsent ${p.have} of ${p.total} chunks (${p.resent} sent again)`);
  });
  if (tty) process.stderr.write("\n");
  const s = (Date.now() - started) / 1000;
  process.stdout.write(`${replyLine(r.reply)}\n`);
  if (r.progress.sent > 0) {
    process.stdout.write(`${module.length} bytes in ${s.toFixed(1)} s (${(module.length / 1024 / Math.max(s, 0.001)).toFixed(0)} KiB/s), ` +
      `${r.progress.sent} chunks sent, ${r.progress.resent} of them again, ${r.progress.asked} asking for an answer\n`);
  }
  if (!r.stored) process.exit(1);
}

/** Where and how to reach the node, and the key its answers must be signed by: --node-key,
 *  else the manifest's node.identity, else none (the known-nodes file, cli/known_nodes.ts). */
function ctlOptions(a: CtlArgs): CtlOptions {
  let nodeKey: Uint8Array | undefined;
  if (a["node-key"]) {
    const k = a["node-key"];
    const b = k.startsWith("ed25519:") ? Buffer.from(k.slice(8), "base64") : Buffer.alloc(0);
    if (b.length !== 32 || keyProblem(b) !== null) throw new Error(`--node-key ${k} is not a usable ed25519 public key ("ed25519:" and the base64 of 32 bytes, as the node prints at start and \`persia key show\` prints)`);
    nodeKey = new Uint8Array(b);
  } else if (a.manifest) {
    nodeKey = loadManifest(a.manifest).node.identityKey?.publicKey;
  }
  return { node: a.node.replace(/^\[|\]$/g, ""), port: a.port, source: a.source, nodeKey };
}

/** `persia ctl <op>`: build the request, send it, print the answer; exit 1 if refused. */
async function cmdCtl(op: CtlOp, a: CtlArgs): Promise<void> {
  if (op === "cert" || op === "certs" || op === "block" || op === "unblock") return cmdCtlCert(op, a);
  if (op === "put") return cmdCtlPut(a);
  const o = ctlOptions(a);
  const user = readKeyFile(a.key);
  const manifest = () => {
    if (!a.manifest) throw new Error(`\`persia ctl ${op}\` needs the node's manifest (--manifest node.yaml) to resolve NIC and disk names`);
    return loadManifest(a.manifest);
  };
  if (op === "hello") {
    const r = await greet(o, user);
    process.stdout.write(`epoch ${r.epoch.toString(16)}, last sequence number ${r.seq}: ${r.text}\n`);
    return;
  }
  let reqOp: Op, body: Uint8Array;
  if (op === "load") { reqOp = Op.LOAD; body = readRequest(a.file!, (t, f, d) => loadRequest(t, f, d, manifest())).body; }
  else if (op === "grant") { reqOp = Op.GRANT; body = readRequest(a.file!, (t, f, d) => grantRequest(t, f, d, manifest())).body; }
  else if (op === "unload") { reqOp = Op.UNLOAD; body = unloadBody(a.domain!); }
  else {
    const m = manifest();
    const disk = m.disks.findIndex((d) => d.name === a.disk);
    if (disk < 0) throw new Error(`${a.disk} is not a disk of ${m.node.name}; its disks are ${m.disks.map((d) => d.name).join(", ") || "none"}`);
    reqOp = Op.REVOKE;
    body = revokeBody(a.domain!, disk, BigInt(parseSize(a.offset ?? "0")), BigInt(parseSize(a.length)));
  }
  const r = await control(o, user, reqOp, body);
  process.stdout.write(`${replyLine(r)}\n`);
  if (r.result !== 0) process.exit(1);
}

interface CaptureArgs { node?: string; socket?: string; "socket-dir": string; from?: string; manifest?: string; nic?: string;
  service?: string; o: string; count?: number; duration?: number; "max-size": string }

/** `persia capture`: live from a node's status socket, or from an image's saved output. */
async function cmdCapture(a: CaptureArgs): Promise<void> {
  if (a.count !== undefined && (!Number.isSafeInteger(a.count) || a.count < 1)) throw new Error(`--count takes a whole number of packets above 0, not ${a.count}`);
  if (a.duration !== undefined && !(a.duration > 0)) throw new Error(`--duration takes a number of seconds above 0, not ${a.duration}`);
  let maxBytes: number;
  try {
    maxBytes = parseSize(a["max-size"]);
  } catch (e) {
    throw new Error(`--max-size ${(e as Error).message}`);
  }
  if (maxBytes < MIN_MAX_SIZE) throw new Error(`--max-size must leave room for the file's own blocks: at least ${MIN_MAX_SIZE} bytes`);
  const o: CaptureOptions = { out: a.o, nic: a.nic, service: a.service, count: a.count, maxBytes,
    durationMs: a.duration === undefined ? undefined : Math.round(a.duration * 1000) };
  if (a.from !== undefined) {
    if (a.duration !== undefined) throw new Error("--duration is for a live capture; --from reads what the image saved");
    const r = captureFromOutput(fs.readFileSync(a.from === "-" ? 0 : a.from, "utf8"), o, a.manifest);
    process.stderr.write(`${summary(a.o, r)}\n`);
    return;
  }
  let sock = a.socket;
  if (!sock) {
    if (!a.node) throw new Error("name the node (`persia capture edge.sabz.city -o edge.pcapng`), or give --socket <path> or --from <image output>");
    sock = socketFor(a.node, a["socket-dir"]);
  }
  const r = await captureLive(sock, o, (stop) => {
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.stderr.write(`${summary(a.o, r)}\n`);
  process.exit(0);
}

export function main(argv: string[]): void {
  yargs(hideBin(argv))
    .scriptName("persia")
    .usage("$0 <command>\n\nPersiaOS: a WebAssembly microkernel that routes IPv6 packets to domain-named services.")
    .command("build", "compile the kernel and every service to build/wasm/", {}, async () => {
      try {
        await build((l) => process.stderr.write(`${l}\n`));
      } catch (e) { fail(e); }
    })
    .command("run <manifest>", "boot a node from a YAML manifest and run it until SIGINT or SIGTERM",
      (y) => y.positional("manifest", { type: "string", demandOption: true, describe: "the node's manifest (spec/manifest.md)" })
        .option("socket-dir", { type: "string", default: DEFAULT_SOCKET, describe: "where the status socket <node name>.sock goes" })
        .option("verbose", { type: "boolean", default: false, describe: "also print debug lines" })
        .option("metrics", { type: "string", describe: "serve Prometheus metrics over HTTP on this TCP address, e.g. [::1]:9464 " +
          "(default: the manifest's observe.metrics; none if neither names one)" })
        .option("dashboard", { type: "boolean", default: false, describe: "also serve a live dashboard at / of that HTTP address, for a browser" })
        .option("log-format", { choices: LOG_FORMATS, default: "text" as LogFormat, describe: "text (for people) or json (one object a line, for log shippers)" }),
      (a) => cmdRun({ manifest: a.manifest, socketDir: a["socket-dir"], verbose: a.verbose, metrics: a.metrics, dashboard: a.dashboard,
        logFormat: a["log-format"] })
        .catch(fail))
    .command("demo", "boot a demo node with echo, kv and probe services on a virtual link, send it good and bad traffic, and summarise",
      {}, async () => {
        try {
          process.exit((await demo()) ? 0 : 1);
        } catch (e) { fail(e); }
      })
    .command("image <manifest>", "build an image of a node: a Wasm component for the wasmtime CLI, or with --target metal an ELF (or ISO) that boots on a PC or in QEMU",
      (y) => y.positional("manifest", { type: "string", demandOption: true, describe: "the node's manifest (spec/manifest.md); its NICs must be kind vxlan or wireguard (wasmtime) or virtio (metal)" })
        .option("o", { alias: "output", type: "string", demandOption: true, describe: "where to write the image (e.g. node.wasm; for metal node.elf, or node.iso for a GRUB ISO)" })
        .option("target", { choices: ["wasmtime", "metal"] as const, default: "wasmtime" as const, describe: "the host that runs the image (spec/image.md, spec/metal.md)" })
        .option("cmdline", { type: "string", default: "", describe: "for --target metal: the node's command line (for=, status-every=, quiet, capture), in an ISO's grub.cfg or the printed QEMU -append" }),
      async (a) => {
        try {
          if (a.target === "metal") process.stdout.write(await buildMetalImage(a.manifest, a.o, a.cmdline));
          else if (a.cmdline !== "") throw new Error("--cmdline is for --target metal; a wasmtime image takes --for, --status-every, --quiet and --capture after its file");
          else process.stdout.write(await buildImage(a.manifest, a.o));
        } catch (e) { fail(e); }
      })
    .command("sign <module>", "sign a module for the domains a node trusts your key for (tool-conventions format, as wasmsign2)",
      (y) => y.positional("module", { type: "string", demandOption: true, describe: "the .wasm file" })
        .option("key", { type: "string", demandOption: true, describe: "your key file: `persia key new`'s, or a wasmsign2 secret key" })
        .option("o", { alias: "output", type: "string", describe: "where to write the signed module (default: in place)" }),
      (a) => {
        try { process.stdout.write(signCommand(a.module, a.key, a.o)); } catch (e) { fail(e); }
      })
    .command("verify <module>", "check a module's signature as a node would: by given keys, or by a manifest's domains: for a domain",
      (y) => y.positional("module", { type: "string", demandOption: true, describe: "the .wasm file" })
        .option("key", { type: "string", array: true, default: [] as string[], describe: "ed25519:… or a key file (PersiaOS or wasmsign2); repeat for several" })
        .option("manifest", { type: "string", describe: "a node's manifest: its domains: say whose keys count" })
        .option("domain", { type: "string", describe: "with --manifest: the service's domain (default: any domain, as for a store module)" }),
      (a) => {
        try {
          const r = verifyCommand(a.module, a.key, a.manifest, a.domain);
          (r.ok ? process.stdout : process.stderr).write(r.text);
          if (!r.ok) process.exitCode = 1;
        } catch (e) { fail(e); }
      })
    .command("key <action> [file]", "make a key file (a user's ed25519, or a WireGuard x25519 with --kind x25519), print a key file's public key, or export it for wasmsign2",
      (y) => y.positional("action", { choices: ["new", "show", "pub", "export"] as const, demandOption: true })
        .positional("file", { type: "string", describe: "the key file (new: it must not exist)" })
        .option("o", { alias: "output", type: "string", describe: "for new: where to write the key file" })
        .option("kind", { choices: KEY_KINDS, describe: "ed25519 (a user key; new and show) or x25519 (WireGuard, as wg genkey; pub)" })
        .option("format", { choices: ["wasmsign2"] as const, describe: "for export: write the key in this tool's format" }),
      (a) => {
        try {
          const file = a.o ?? a.file;
          if (!file) throw new Error("name the key file: `persia key new -o alice.key`, `persia key show alice.key` or `persia key pub edge.key`");
          if (a.action === "export") {
            if (a.format !== "wasmsign2" || !a.file || !a.o) throw new Error("`persia key export alice.key --format wasmsign2 -o alice` writes alice.sk and alice.pk for wasmsign2");
            process.stdout.write(exportCommand(a.file, a.o));
            return;
          }
          process.stdout.write(keyCommand(a.action, file, a.kind, (s) => process.stderr.write(s)));
        } catch (e) { fail(e); }
      })
    .command("cert", "address certificates: issue one offline (an upstream router delegating a prefix), show them, verify a chain",
      (y) => y
        .command("issue", "sign a certificate of a prefix (or an address) to a holder's key with your seed file",
          (z) => z.option("key", { type: "string", demandOption: true, describe: "the issuer's seed file (`persia key new`), mode 0600" })
            .option("prefix", { type: "string", demandOption: true, describe: "the prefix it certifies, e.g. fd00:b::/64, or one address" })
            .option("holder", { type: "string", demandOption: true, describe: "the holder's public key, ed25519:… (a router's: its node.identity's)" })
            .option("issuer", { type: "boolean", default: false, describe: "the holder may certify addresses inside the prefix (a router)" })
            .option("days", { type: "number", default: DAYS_DEFAULT, describe: "how long it is valid" })
            .option("not-before", { type: "string", describe: "when it starts, ISO 8601 (default: a minute ago)" })
            .option("o", { alias: "output", type: "string", demandOption: true, describe: "the certificate file to write" }),
          (a) => {
            try {
              process.stdout.write(certIssue({ key: a.key, prefix: a.prefix, holder: a.holder, issuer: a.issuer, days: a.days,
                notBefore: a["not-before"], o: a.o }));
            } catch (e) { fail(e); }
          })
        .command("show <files..>", "print every field of the certificates in files, and whether each signature is good",
          (z) => z.positional("files", { type: "string", array: true, demandOption: true }),
          (a) => {
            try {
              process.stdout.write(certShow(a.files as string[]));
            } catch (e) { fail(e); }
          })
        .command("verify <files..>", "check a chain (files in order, leaf first) for an address against trusted keys; exit 1 with the reason",
          (z) => z.positional("files", { type: "string", array: true, demandOption: true })
            .option("address", { type: "string", demandOption: true, describe: "the address the chain must prove" })
            .option("trust", { type: "string", array: true, default: [] as string[], describe: "ed25519:<key>=<prefix>: a key trusted for a prefix (repeat)" })
            .option("at", { type: "string", describe: "check at this time, ISO 8601 (default: now)" }),
          (a) => {
            try {
              process.stdout.write(certVerify({ files: a.files as string[], address: a.address, trust: a.trust, at: a.at }));
            } catch (e) { fail(e); }
          })
        .demandCommand(1, "name one: `persia cert issue`, `persia cert show` or `persia cert verify`"),
      () => {})
    .command("ctl <op> [target]", "send a signed control message to a running node (spec/control.md): load, unload, grant, revoke, hello, cert, certs, block, unblock, put",
      (y) => y.positional("op", { choices: ["hello", "load", "unload", "grant", "revoke", "cert", "certs", "block", "unblock", "put"] as const, demandOption: true })
        .positional("target", { type: "string", describe: "load, grant: the request's YAML file; unload, revoke: the service's domain; certs: the address; put: the module file" })
        .option("domain", { type: "string", describe: "put: the domain the module is for (one of yours)" })
        .option("node", { type: "string", demandOption: true, describe: "an address of the node (one of its prefix addresses)" })
        .option("key", { type: "string", demandOption: true, describe: "your key file (`persia key new`)" })
        .option("manifest", { type: "string", describe: "the node's manifest, to resolve NIC and disk names (load, grant, revoke); its node.identity is the key answers must be signed by" })
        .option("node-key", { type: "string", describe: "the node's public key (ed25519:…, printed by the node at start): answers signed by another are refused. Without it or --manifest, the first key seen is remembered in $PERSIA_KNOWN_NODES (default ~/.persia/known_nodes)" })
        .option("port", { type: "number", describe: "the control port, if not the default" })
        .option("disk", { type: "string", describe: "revoke: the disk's name" })
        .option("offset", { type: "string", describe: "revoke: the extent's offset, as granted (e.g. 0, 1MiB)" })
        .option("length", { type: "string", describe: "revoke: the extent's length, as granted" })
        .option("from", { type: "string", array: true, describe: "block, unblock: a source address or prefix to drop (repeat for more)" })
        .option("to", { type: "string", describe: "block, unblock: your address (its certificate's holder key is --key)" })
        .option("for", { type: "number", describe: "block: seconds the filters last (1 to 86400)" })
        .option("proto", { type: "string", describe: "block, unblock: only this protocol (udp, tcp, icmpv6 or a number)" })
        .option("dst-port", { type: "number", describe: "block, unblock: only this destination port (with --proto udp or tcp)" })
        .option("chain", { type: "string", describe: "block, unblock: your address's certificate chain file (default: ask the node, CERTS)" })
        .option("o", { type: "string", describe: "cert, certs: write the chain to this file (one base64 certificate per line)" })
        .option("source", { type: "string", describe: "cert, certs, block, unblock: send from this address of yours (cert certifies the address it is sent from)" }),
      (a) => {
        if ((a.op === "load" || a.op === "grant" || a.op === "unload" || a.op === "revoke" || a.op === "certs" || a.op === "put") && !a.target) fail(new Error(`\`persia ctl ${a.op}\` needs ${a.op === "load" || a.op === "grant" ? "a request file" : a.op === "put" ? "a module file" : "a service's domain"}`));
        if (a.op === "revoke" && (!a.disk || !a.length)) fail(new Error("`persia ctl revoke` needs --disk and --length (and --offset if not 0)"));
        cmdCtl(a.op, { ...a, file: a.target, domain: a.target, target: a.target, for_domain: a.domain } as CtlArgs & { target?: string }).catch(fail);
      })
    .command("status [node]", "show a running node's NICs, services, routes, neighbors and drop counters",
      (y) => y.positional("node", { type: "string", describe: "the node's name (its manifest's node.name)" })
        .option("socket", { type: "string", describe: "the status socket (default: <socket-dir>/<node>.sock)" })
        .option("socket-dir", { type: "string", default: DEFAULT_SOCKET })
        .option("from", { type: "string", describe: "read the last status line of a wasmtime image's saved output (a file, or - for stdin)" })
        .option("format", { choices: ["text", "json", "metrics"] as const, default: "text" as const })
        .option("metrics", { type: "string", describe: "with --from: follow the output as it grows and serve its newest status " +
          "as Prometheus metrics over HTTP on this TCP address, e.g. [::1]:9464" })
        .option("dashboard", { type: "boolean", default: false, describe: "with --metrics: also serve a live dashboard at / of that address" })
        .option("log-format", { choices: LOG_FORMATS, default: "text" as LogFormat, describe: "with --metrics: print the output's log lines again as text or json" }),
      async (raw) => {
        try {
          // yargs reads `--from -` as an empty --from, and takes the "-" for an empty node name.
          const a = raw.from === "" ? { ...raw, from: "-", node: raw.node === "" ? undefined : raw.node } : raw;
          if (a.dashboard && a.metrics === undefined) throw new Error("--dashboard is served on an HTTP address: add --metrics ADDR (e.g. --metrics [::1]:9464)");
          if (a.metrics !== undefined) {
            if (a.from === undefined) throw new Error("--metrics serves a wasmtime image's output: give it with --from <file> (or - for stdin); " +
              "a Node host serves its own with `persia run <manifest> --metrics <address>`");
            await cmdFollow({ from: a.from, metrics: a.metrics, dashboard: a.dashboard, node: a.node, logFormat: a["log-format"] });
            return;
          }
          if (a.from !== undefined) {
            const s = statusFromOutput(fs.readFileSync(a.from === "-" ? 0 : a.from, "utf8"));
            process.stdout.write(a.format === "json" ? `${JSON.stringify(s, null, 2)}\n`
              : a.format === "metrics" ? await metricsText(s) : formatStatus(s));
            return;
          }
          let sock = a.socket;
          if (!sock) {
            if (!a.node) throw new Error("name the node (`persia status demo.sabz.city`) or give --socket <path>");
            sock = socketFor(a.node, a["socket-dir"]);
          }
          process.stdout.write(await queryStatus(sock, a.format));
        } catch (e) { fail(e); }
      })
    .command("disk <node> <op> <disk> [arg]", "the host's hardware operations on a running node's disk, as on a RAID: " +
      "detach it (closed; the kernel gets ENODEV), attach it again or a replacement, inject I/O errors (fault error|off)",
      (y) => y.positional("node", { type: "string", demandOption: true, describe: "the node's name (its manifest's node.name)" })
        .positional("op", { choices: ["detach", "attach", "fault"] as const, demandOption: true })
        .positional("disk", { type: "string", demandOption: true, describe: "the disk's name in the manifest, or its id" })
        .positional("arg", { type: "string", describe: "attach: the file or block device (default: the one it had); fault: error or off" })
        .option("socket", { type: "string", describe: "the status socket (default: <socket-dir>/<node>.sock)" })
        .option("socket-dir", { type: "string", default: DEFAULT_SOCKET }),
      async (a) => {
        try {
          if (a.op === "fault" && a.arg !== "error" && a.arg !== "off") throw new Error("`persia disk <node> fault <disk>` needs error or off");
          if (a.op === "detach" && a.arg !== undefined) throw new Error("`persia disk <node> detach <disk>` takes nothing more");
          const arg = a.op === "attach" && a.arg !== undefined ? path.resolve(a.arg) : a.arg;
          const sock = a.socket ?? socketFor(a.node, a["socket-dir"]);
          const r = await diskRequest(sock, `disk ${a.disk} ${a.op}${arg === undefined ? "" : ` ${arg}`}`);
          if (!r.ok) throw new Error(r.message);
          process.stdout.write(`${r.message}\n`);
        } catch (e) { fail(e); }
      })
    .command("top [node]", "a live view of a running node, refreshed in place: packets, bytes, fuel and drops per second, egress shares; q quits",
      (y) => y.positional("node", { type: "string", describe: "the node's name (its manifest's node.name)" })
        .option("socket", { type: "string", describe: "the status socket (default: <socket-dir>/<node>.sock)" })
        .option("socket-dir", { type: "string", default: DEFAULT_SOCKET })
        .option("from", { type: "string", describe: "follow a wasmtime image's output file (`--status-every <ms>`) as it grows" })
        .option("interval", { type: "number", default: 1, describe: "seconds between refreshes" }),
      (a) => cmdTop(a).catch(fail))
    .command("capture [node]", "record what a node's kernel receives, sends, delivers and drops (with why) as a pcapng file for Wireshark or tshark",
      (y) => y.positional("node", { type: "string", describe: "the node's name (its manifest's node.name)" })
        .option("socket", { type: "string", describe: "the status socket (default: <socket-dir>/<node>.sock)" })
        .option("socket-dir", { type: "string", default: DEFAULT_SOCKET })
        .option("from", { type: "string", describe: "read the saved stdout of a wasmtime image run with --capture (a file, or - for stdin)" })
        .option("manifest", { type: "string", describe: "with --from: the image's manifest, so that --nic and --service can name its NICs and services" })
        .option("nic", { type: "string", describe: "only records that name this NIC (its manifest name): frames in and out on it, drops on it, " +
          "and what services got from it; a service's own sends name no NIC (spec/observe.md, \"Captures\")" })
        .option("service", { type: "string", describe: "only records that name this service (its domain): what it got and sent, and drops " +
          "on the way to or from it; a frame on a NIC names no service" })
        .option("o", { alias: "output", type: "string", demandOption: true, describe: "the pcapng file to write (- for stdout)" })
        .option("count", { type: "number", describe: "stop after this many packets" })
        .option("duration", { type: "number", describe: "stop after this many seconds" })
        .option("max-size", { type: "string", default: `${DEFAULT_MAX_SIZE >> 20}MiB`, describe: "stop before the file grows past this (e.g. 16MiB)" }),
      (a) => cmdCapture(a).catch(fail))
    .example("$0 build", "compile kernel.wasm and the services after changing them")
    .example("$0 run /etc/persia/edge.yaml", "boot the node the manifest describes (spec/manifest.md)")
    .example("$0 run edge.yaml --metrics [::1]:9464 --dashboard", "the same, with a live dashboard at http://[::1]:9464/")
    .example("$0 status edge.sabz.city", "what the running node is doing: per-NIC and per-service counters, drops by reason")
    .example("$0 image edge.yaml -o edge.wasm", "one Wasm file for `wasmtime run` (it prints the flags to use)")
    .example("$0 status --from edge.log", "the counters of a wasmtime image, from its saved output")
    .example("$0 key new -o alice.key", "a user key; its public half goes in the manifest's users:")
    .example("$0 sign echo.wasm --key publisher.key", "sign a module for the domains: a node trusts publisher.key for")
    .example("$0 verify echo.wasm --manifest edge.yaml --domain echo.sabz.city", "would that node run it for echo.sabz.city?")
    .example("$0 key new --kind x25519 -o edge.key", "a WireGuard key for node.key; prints the public key as wg pubkey does")
    .example("$0 ctl load svc.yaml --node fd00:5ab2:1::1 --key alice.key --manifest edge.yaml", "start a service from the node's store, with the grants in svc.yaml")
    .example("$0 ctl put echo.wasm --domain echo.a.sabz.city --node fd00:5ab2:1::1 --key alice.key", "send a module to the node's store over the network; then `ctl load` starts it")
    .example("$0 cert issue --key up.key --prefix fd00:b::/64 --holder ed25519:… --issuer -o b.cert", "delegate a prefix to a router (its node.certs)")
    .example("$0 cert verify leaf.cert b.cert --address fd00:b::7 --trust ed25519:…=fd00::/16", "check a chain as a node trusting that key would")
    .example("$0 disk edge.sabz.city detach b", "close disk b as a pulled disk; then `attach b /dev/loop7` puts a replacement in")
    .example("$0 status edge.sabz.city --format metrics", "the same for Prometheus")
    .example("$0 run edge.yaml --metrics [::1]:9464", "a node whose metrics Prometheus scrapes at http://[::1]:9464/metrics")
    .example("$0 status --from edge.log --metrics [::1]:9464", "the same for a wasmtime image writing edge.log")
    .example("$0 top edge.sabz.city", "what the node is doing now, per second, until you press q")
    .example("$0 top --from edge.out --interval 2", "the same for a wasmtime image writing its output to edge.out")
    .example("$0 top edge.sabz.city | tee top.log", "one plain frame per interval when stdout is not a terminal")
    .example("$0 capture edge.sabz.city --service echo.sabz.city -o echo.pcapng", "echo's packets, and why any were dropped, for tshark or Wireshark (Ctrl-C stops)")
    .epilog("A node changes only through its manifest and signed control messages (`persia ctl`): there is no " +
      "shell. Packets the node drops are counted by reason; `persia status` shows why. Exit status is 0 on " +
      "success and 1 with a message on stderr otherwise.")
    .demandCommand(1, "name a command; `persia --help` lists them")
    .strict()
    .help()
    .parse();
}

if (require.main === module) main(process.argv);

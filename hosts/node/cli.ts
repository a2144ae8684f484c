// The `persia` command line: build, run a node from a manifest, run the demo, and show a
// running node's status. Every failure prints what failed, why, and what to do, and exits
// non-zero. Installed as the package's `persia` bin (hosts/node/bin/persia.js).
import * as path from "path";
import * as fs from "fs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { LogLevel } from "../../abi/kernel";
import { ManifestError } from "../../loader/manifest";
import { build } from "./build";
import { launchFile } from "./launch";
import { demo } from "./demo/demo";
import { queryStatus } from "./status_client";
import { buildImage, statusFromOutput } from "./image_cli";
import { formatStatus } from "./status_format";
import { metricsText } from "./metrics";

const DEFAULT_SOCKET = "/run/persia";

function socketFor(name: string, dir: string): string {
  return path.join(dir, `${name}.sock`);
}

function fail(e: unknown): never {
  if (e instanceof ManifestError) process.stderr.write(`persia: the manifest is not valid:\n${e.message}\n`);
  else process.stderr.write(`persia: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

async function cmdRun(manifest: string, socketDir: string, verbose: boolean): Promise<void> {
  const { node, plan } = await launchFile(manifest, {
    log: (level, line, origin) => {
      if (level <= LogLevel.INFO || verbose) process.stderr.write(`${LogLevel[level].toLowerCase()} ${origin}: ${line}\n`);
    },
  });
  fs.mkdirSync(socketDir, { recursive: true });
  const sock = socketFor(plan.node.name, socketDir);
  await node.statusServer(sock);
  process.stderr.write(`persia: node ${plan.node.name} (${plan.node.role}) is running: ` +
    `${plan.nics.length} NIC(s), ${plan.services.length} service(s). Status: persia status --socket ${sock}\n`);
  const stop = () => { node.stop(); process.exit(0); };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  node.on("error", (e: Error) => fail(e));
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
        .option("verbose", { type: "boolean", default: false, describe: "also print debug lines" }),
      (a) => cmdRun(a.manifest, a["socket-dir"], a.verbose).catch(fail))
    .command("demo", "boot a demo node with echo, kv and probe services on a virtual link, send it good and bad traffic, and summarise",
      {}, async () => {
        try {
          process.exit((await demo()) ? 0 : 1);
        } catch (e) { fail(e); }
      })
    .command("image <manifest>", "compose the kernel, the WASI shim and the manifest's services into one Wasm component for the wasmtime CLI",
      (y) => y.positional("manifest", { type: "string", demandOption: true, describe: "the node's manifest (spec/manifest.md); its NICs must be kind vxlan" })
        .option("o", { alias: "output", type: "string", demandOption: true, describe: "where to write the image (e.g. node.wasm)" }),
      async (a) => {
        try {
          process.stdout.write(await buildImage(a.manifest, a.o));
        } catch (e) { fail(e); }
      })
    .command("status [node]", "show a running node's NICs, services, routes, neighbors and drop counters",
      (y) => y.positional("node", { type: "string", describe: "the node's name (its manifest's node.name)" })
        .option("socket", { type: "string", describe: "the status socket (default: <socket-dir>/<node>.sock)" })
        .option("socket-dir", { type: "string", default: DEFAULT_SOCKET })
        .option("from", { type: "string", describe: "read the last status line of a wasmtime image's saved output (a file, or - for stdin)" })
        .option("format", { choices: ["text", "json", "metrics"] as const, default: "text" as const }),
      async (a) => {
        try {
          if (a.from !== undefined) {
            const s = statusFromOutput(fs.readFileSync(a.from === "-" ? 0 : a.from, "utf8"));
            process.stdout.write(a.format === "json" ? `${JSON.stringify(s, null, 2)}\n`
              : a.format === "metrics" ? metricsText(s) : formatStatus(s));
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
    .example("$0 build", "compile kernel.wasm and the services after changing them")
    .example("$0 run /etc/persia/edge.yaml", "boot the node the manifest describes (spec/manifest.md)")
    .example("$0 status edge.sabz.city", "what the running node is doing: per-NIC and per-service counters, drops by reason")
    .example("$0 image edge.yaml -o edge.wasm", "one Wasm file for `wasmtime run` (it prints the flags to use)")
    .example("$0 status --from edge.log", "the counters of a wasmtime image, from its saved output")
    .example("$0 status edge.sabz.city --format metrics", "the same for Prometheus")
    .epilog("A node changes only through its manifest (and, later, signed control messages): there is no " +
      "shell. Packets the node drops are counted by reason; `persia status` shows why. Exit status is 0 on " +
      "success and 1 with a message on stderr otherwise.")
    .demandCommand(1, "name a command; `persia --help` lists them")
    .strict()
    .help()
    .parse();
}

if (require.main === module) main(process.argv);

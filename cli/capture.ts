// `persia capture`: what a node's kernel received, sent, delivered and dropped, as a pcapng
// file (loader/capture/file.ts). Live from a running Node host, over its status socket
// (hosts/node/capture.ts streams the records); or from the saved stdout of a wasmtime
// image run with --capture (its capture lines). Either way the same filters (a NIC, a
// service) and limits: a count, a duration (live only), a size. A live capture stops at a
// limit, at SIGINT, or when the node goes away, and always ends the file properly.
// Does not decode packets: tshark or Wireshark read the file.
import * as fs from "fs";
import * as net from "net";
import { compileManifest, loadManifest } from "../loader/manifest";
import { CaptureFile, StopReason } from "../loader/capture/file";
import { CaptureHeader, Filter, RecordReader, parseImageLine, passes } from "../loader/capture/record";
import { socketProblem } from "./status_client";
import { nowUs } from "../hosts/node/capture";

/** The largest file written unless --max-size says otherwise. */
export const DEFAULT_MAX_SIZE = 64 << 20;
/** The smallest --max-size: a file's header and closing blocks need room. */
export const MIN_MAX_SIZE = 4096;
/** How long a stopping capture waits for the node's last lost count. */
const CLOSE_WAIT_MS = 3000;

export interface CaptureOptions {
  out: string;
  nic?: string;
  service?: string;
  count?: number;
  durationMs?: number;
  maxBytes: number;
}

export interface CaptureResult {
  written: number;
  lost: number;
  bytes: number;
  /** Why it stopped, in words. */
  why: string;
}

const STOP_WHY: Record<StopReason, string> = { "count": "--count reached", "max-size": "--max-size reached" };

/** A live capture from the status socket at `path`; resolves when it has stopped and the
 *  file is complete. `interrupt` is called with the function that stops it (SIGINT). */
export function captureLive(path: string, o: CaptureOptions, interrupt: (stop: () => void) => void = () => {}): Promise<CaptureResult> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    const reader = new RecordReader();
    let head = Buffer.alloc(0);
    let file: { cap: CaptureFile; fd: number } | null = null;
    let why: string | null = null;
    let broken: Error | null = null;
    let timer: NodeJS.Timeout | null = null;
    let started = false;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      if (!started) reject(new Error(`the node at ${path} closed the connection before the capture started`));
      if (file === null) return;
      const f = file;
      file = null;
      try {
        if (broken !== null) throw broken;          // the file failed mid-capture: it cannot be ended either
        f.cap.close(nowUs());
      } catch (e) {
        reject(new Error(`cannot write the capture to ${o.out}: ${e instanceof Error ? e.message : String(e)}; ` +
          `what it holds is cut short (${f.cap.written} packet(s) written)`));
        return;
      } finally {
        if (f.fd !== STDOUT) try { fs.closeSync(f.fd); } catch { /* already failed: said above */ }
      }
      resolve({ written: f.cap.written, lost: f.cap.lost, bytes: f.cap.bytes, why: why ?? "the node closed the capture (it stopped?)" });
    };
    const stop = (reason: string): void => {
      if (why !== null) return;
      why = reason;
      sock.end();                                   // the node answers with its last lost count, then closes
      setTimeout(() => sock.destroy(), CLOSE_WAIT_MS).unref();
    };
    sock.on("connect", () => {
      const filter: Record<string, string> = {};
      if (o.nic !== undefined) filter.nic = o.nic;
      if (o.service !== undefined) filter.service = o.service;
      sock.write(`capture ${JSON.stringify(filter)}\n`);
    });
    const take = (chunk: Buffer): void => {
      if (!started) {
        head = Buffer.concat([head, chunk]);
        const nl = head.indexOf(10);
        if (nl < 0) return;
        const answer = captureAnswer(head.subarray(0, nl).toString("utf8"), path);
        if (answer.capture === undefined) {
          sock.destroy();
          reject(new Error(answer.error ?? "the node did not start a capture"));
          return;
        }
        const fd = openOutput(o.out);
        file = { fd, cap: new CaptureFile((b) => fs.writeSync(fd, b), answer.capture, { count: o.count, maxBytes: o.maxBytes }, nowUs()) };
        started = true;
        if (o.durationMs !== undefined) timer = setTimeout(() => stop("--duration passed"), o.durationMs);
        interrupt(() => stop("interrupted"));
        chunk = head.subarray(nl + 1);
      }
      if (file === null) return;
      for (const r of reader.push(chunk)) {
        file.cap.add(r);
        if (file.cap.stopped !== null) stop(STOP_WHY[file.cap.stopped]);
      }
    };
    sock.on("data", (chunk: Buffer) => {
      try {
        take(chunk);
      } catch (e) {                                 // a damaged stream, or the output file cannot be written
        const message = e instanceof Error ? e.message : String(e);
        const written = e instanceof Error && "code" in e;  // the file failed: an errno (ENOSPC, EIO, EPIPE)
        if (file === null) reject(new Error(written ? `cannot write the capture to ${o.out}: ${message}` : message));
        else if (written) broken = e as Error;
        else why = `the capture stream broke: ${message}`;
        sock.destroy();
      }
    });
    sock.on("close", finish);
    sock.on("error", (e: NodeJS.ErrnoException) => {
      if (file !== null) return;                    // after the start, "close" ends the file
      reject(new Error(`cannot capture from ${path}: ${socketProblem(e)}`));
    });
  });
}

const STDOUT = 1;

/** The node's first line: the stream's header or why not. A node from before captures
 *  answers the request as an unknown status request. */
function captureAnswer(line: string, path: string): { capture?: CaptureHeader; error?: string } {
  try {
    const answer = JSON.parse(line) as { capture?: CaptureHeader; error?: string };
    if (answer.error !== undefined && /unknown request "capture/.test(answer.error)) {
      return { error: `the node at ${path} runs a persia from before captures; restart it with this one to capture` };
    }
    return answer;
  } catch {
    throw new Error(`the node at ${path} did not answer the capture request as a node does: ${JSON.stringify(line.slice(0, 80))}`);
  }
}

/** The file to write the capture to: `-` is stdout (`persia capture … -o - | tshark -r -`). */
function openOutput(out: string): number {
  if (out === "-") return STDOUT;
  try {
    return fs.openSync(out, "w");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "its directory does not exist" : code === "EACCES" ? "permission denied"
      : code === "EISDIR" ? "it is a directory" : (e as Error).message;
    throw new Error(`cannot write the capture to ${out}: ${why}; give -o a file in a directory you can write, or - for stdout`);
  }
}

/** A capture from the saved output of a wasmtime image run with --capture. NIC and service
 *  names come from the image's manifest when given (--manifest), else they are ids. */
export function captureFromOutput(text: string, o: CaptureOptions, manifestFile?: string): CaptureResult {
  const header = imageHeader(manifestFile);
  const filter = resolveFilter(o, header, manifestFile);
  const packets = text.split("\n").map(parseImageLine).filter((p) => p !== null);
  if (packets.length === 0) {
    throw new Error("no capture line in that output: run the image with `--capture` and save its stdout (`wasmtime run ... node.wasm --capture > node.log`)");
  }
  const fd = openOutput(o.out);
  const cap = new CaptureFile((b) => fs.writeSync(fd, b), header, { count: o.count, maxBytes: o.maxBytes }, packets[0].us);
  for (const p of packets) {
    if (cap.stopped !== null) break;
    if (passes(filter, p)) cap.add(p);
  }
  cap.close(packets[packets.length - 1].us);
  if (fd !== STDOUT) fs.closeSync(fd);
  return { written: cap.written, lost: 0, bytes: cap.bytes, why: cap.stopped ? STOP_WHY[cap.stopped] : "the end of the saved output" };
}

function imageHeader(manifestFile?: string): CaptureHeader {
  if (manifestFile === undefined) return { node: "a wasmtime image", nics: [], services: [] };
  const { plan } = compileManifest(loadManifest(manifestFile));
  return {
    node: plan.node.name,
    nics: plan.nics.map((n) => ({ id: n.id, name: n.name, layer3: n.kind === "wireguard" })),
    services: plan.services.map((s) => ({ id: s.id, name: s.domain })),
  };
}

/** --nic and --service as ids, from the manifest's names; throws naming the valid ones. */
function resolveFilter(o: CaptureOptions, h: CaptureHeader, manifestFile?: string): Filter {
  const f: Filter = {};
  const find = (what: string, list: { id: number; name: string }[], name: string): number => {
    if (manifestFile === undefined) throw new Error(`to filter by ${what} name, give the image's manifest: --manifest <node.yaml>`);
    const hit = list.find((x) => x.name === name);
    if (!hit) throw new Error(`${JSON.stringify(name)} is not a ${what} of ${h.node}; its ${what}s are ${list.map((x) => x.name).join(", ") || "none"}`);
    return hit.id;
  };
  if (o.nic !== undefined) f.nic = find("NIC", h.nics, o.nic);
  if (o.service !== undefined) f.svc = find("service", h.services, o.service);
  return f;
}

/** The line `persia capture` ends with. */
export function summary(out: string, r: CaptureResult): string {
  const lost = r.lost > 0 ? `; ${r.lost} capture record(s) lost (the capture read too slowly; the node never waits)` : "; none lost";
  return `persia: wrote ${r.written} packet(s) to ${out === "-" ? "stdout" : out} (${r.bytes} bytes)${lost}; stopped: ${r.why}`;
}

// The dashboard as a person gets it (spec/observe.md, "The dashboard"): a node started as
// the command `persia run node.yaml --metrics [::1]:0 --dashboard`, with a VXLAN NIC on the
// loopback whose far end is this test (a traffic peer over a VxlanNic), and the page opened
// in Debian's chromium through playwright-core. The page loads with no console error and
// no failed request, shows the services' domains, and the NIC's and echo's received rates
// rise once the test pings echo; IPv4 frames the test sends show as drops by reason, with
// the words of abi/describe.ts; the log tail shows the probe's lines; the event stream
// delivers its events. Then accessibility checks that can fail: every table has headers,
// every chart a text alternative, every button and link a name, every text its contrast
// (computed in the page), one polite live region, the controls work from the keyboard, and
// reduced motion stops the bars' motion. The screenshot goes to
// build/test-output/dashboard.png for a person to look at.
// Needs chromium (tests/setup.js installs it); no root.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { chromium, Browser, Page } from "playwright-core";
import { ROOT } from "../../hosts/node/paths";
import { VxlanNic } from "../../hosts/node/nic/vxlan";
import { Peer } from "../../cli/peer/peer";
import * as P from "../../cli/peer/packets";
import { parseAddr, parseMac } from "../../loader/ip6";
import { DROP_TEXT } from "../../abi/describe";
import { Drop } from "../../abi/drop";
import { skipOrFail } from "./linux";
import { freePorts } from "../ports";
import { waitFor } from "../wait";
import { persiaRun } from "./persia_run";

const CHROMIUM = "/usr/bin/chromium";
const skip = skipOrFail(fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (run \`node tests/setup.js\` as root)`);
const OUT = path.join(ROOT, "build/test-output");
const ECHO = parseAddr("fd00:5ab2:1::7");
const ME = parseAddr("fd00:5ab2:1::2");
const MY_MAC = parseMac("02:00:00:00:00:02");
const wasm = path.join(ROOT, "build/wasm/services");
/** An IPv4 ethertype and the length of an IPv4 header: a frame the node counts and drops. */
const IPV4 = 0x0800;
const IPV4_HEADER = 20;

function manifest(nodePort: number, peerPort: number): string {
  return `
node: { name: dash.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:5a:b2:00:01", prefixes: ["fd00:5ab2:1::/64"], rate: 100Mbit,
      vxlan: { local: "[::1]:${nodePort}", remote: "[::1]:${peerPort}", vni: 42 } }
services:
  - { domain: echo.sabz.city, module: ${wasm}/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB },
      cpu: { min: 10%, max: 50% }, net: [{ nic: vx0, min: 1Mbit, max: 20Mbit }] }
  - { domain: probe.sabz.city, module: ${wasm}/probe.wasm, addresses: ["fd00:5ab2:1::9"], ram: { min: 64KiB, max: 1MiB } }
`;
}

/** The flags the brief for this machine gives: without the background-networking ones
 *  Chromium's own connections are refused on a closed network. */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

/** `persia run … --dashboard` as a command; resolves once it prints the dashboard's URL. */
async function runNode(file: string, dir: string): Promise<{ url: string; stderr: () => string; stop: () => Promise<void> }> {
  const node = await persiaRun([file, "--socket-dir", dir, "--metrics", "[::1]:0", "--dashboard"],
    /dashboard at (http:\/\/\S+?)\/$/m, "the dashboard's address");
  return { url: node.found, stderr: node.stderr, stop: node.stop };
}

/** The events of /events until it has each of `want`, as the browser's EventSource gets them. */
function events(url: string, want: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const req = http.get(`${url}/events`, (res) => {
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        seen.push(...[...d.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]));
        if (want.every((w) => seen.includes(w))) { req.destroy(); resolve(seen); }
      });
    });
    req.on("error", (e) => (seen.length > 0 ? undefined : reject(e)));
    req.setTimeout(15000, () => { req.destroy(); reject(new Error(`/events gave only ${seen.join(", ") || "nothing"} in 15 s`)); });
  });
}

/** A rate cell's exact value (its data-value), or null while the page shows none. */
async function rate(page: Page, row: string, field: string): Promise<number | null> {
  const v = await page.locator(`${row} td[data-field="${field}"]`).first().getAttribute("data-value", { timeout: 1000 }).catch(() => null);
  return v === null ? null : Number(v);
}

test("the dashboard of a running node loads cleanly in chromium, follows traffic live and is accessible", { skip, timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-dash-"));
  fs.mkdirSync(OUT, { recursive: true });
  let browser: Browser | null = null;
  let node: Awaited<ReturnType<typeof runNode>> | null = null;
  let peer: Peer | null = null;
  let pinging: NodeJS.Timeout | undefined;
  try {
    const [nodePort] = await freePorts(1);
    const nic = await VxlanNic.open({ id: 0, vni: 42, local: { address: "::1", port: 0 }, remote: { address: "::1", port: nodePort } });
    peer = new Peer(nic, MY_MAC, ME);
    fs.writeFileSync(path.join(dir, "node.yaml"), manifest(nodePort, nic.local.port));
    node = await runNode(path.join(dir, "node.yaml"), dir);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    await page.goto(`${node.url}/`);

    await t.test("the page shows the node and its services' domains", async () => {
      await page.locator('#services-body th[scope="row"]', { hasText: "echo.sabz.city" }).waitFor({ timeout: 15000 });
      await page.locator('#services-body th[scope="row"]', { hasText: "probe.sabz.city" }).waitFor({ timeout: 15000 });
      assert.equal(await page.textContent("#node-name"), "dash.sabz.city");
      assert.equal(await page.getAttribute("#connection", "data-state"), "open");
      assert.match((await page.textContent('#services-body tr[data-service="echo.sabz.city"] .state'))!, /running/);
    });

    await t.test("the NIC's and echo's received rates rise when the test pings echo", async () => {
      const nicRx = () => rate(page, '#nics-body tr[data-nic="0"]', "rxPackets");
      const echoRx = () => rate(page, '#services-body tr[data-service="echo.sabz.city"]', "rxPackets");
      // Before any traffic from the peer: the NIC has received nothing, and echo only the
      // probe's one ping a second.
      assert.equal(await waitFor(async () => (await nicRx()) !== null, 15000, "the first rates (two status snapshots)") && await nicRx(), 0);
      const quiet = (await echoRx())!;
      assert.ok(quiet < 5, `echo receives only the probe's pings before the test sends (${quiet}/s)`);
      const mac = await peer!.resolve(ECHO, 5000);
      assert.ok(mac !== null, "echo's address resolves by neighbor discovery");
      let seq = 0;
      // 50 pings a second, spaced so the rate is steady, and every tenth tick an IPv4 frame
      // for the drops; the checks wait for what the page shows.
      pinging = setInterval(() => {
        peer!.sendIp(mac, P.echoRequest(ME, ECHO, 0x5ab2, ++seq, new Uint8Array(56)));
        if (seq % 10 === 0) peer!.send(P.ether(mac, MY_MAC, IPV4, new Uint8Array(IPV4_HEADER)));
      }, 20);
      const reply = await peer!.expect((p) => p.icmpType === P.ICMP.ECHO_REP, 5000);
      assert.ok(reply !== null, "echo answers the test's pings");
      let seen: (number | null)[] = [];
      const risen = await waitFor(async () => { const [n, e] = seen = [await nicRx(), await echoRx()]; return n! > 10 && e! > quiet + 10 && [n!, e!]; },
        20000, () => `the page to show the rates rise (NIC ${seen[0]}/s, echo ${seen[1]}/s)`);
      assert.ok(risen[0]! <= 100, `the NIC's rate is about the 50/s sent, not a count (${risen[0]}/s)`);
      await page.locator('#packets-chart polyline').first().waitFor({ timeout: 5000 });
      assert.match((await page.textContent("#packets-sum"))!, /NIC 0 received: [\d.]+ now, at most [\d.]+/);
      await waitFor(async () => /echo\.sabz\.city/.test((await page.textContent("#egress-body")) ?? ""), 10000,
        "echo's egress class in the scheduler's table");
    });

    await t.test("the IPv4 frames show as drops by reason, in the words of abi/describe.ts", async () => {
      const row = page.locator('#drops-body tr[data-reason="ETHERTYPE_IPV4"]');
      await row.waitFor({ timeout: 15000 });
      assert.match((await row.textContent())!, new RegExp(DROP_TEXT[Drop.ETHERTYPE_IPV4].replace(/[()]/g, "\\$&")));
      await waitFor(async () => /All reasons: [1-9][\d.]* now/.test((await page.textContent("#drops-sum")) ?? ""), 15000,
        "the drops chart to show a rate now");
    });

    await t.test("the log tail shows the node's lines, newest last", async () => {
      await page.locator("#log-lines li .message", { hasText: "probe" }).first().waitFor({ timeout: 15000 });
      const levels = await page.locator("#log-lines li .level").allTextContents();
      assert.ok(levels.length > 0 && levels.every((l) => /^(DEBUG|INFO|WARN|ERROR)$/.test(l)), levels.join(" "));
      const times = await page.locator("#log-lines li time").evaluateAll((ts) => ts.map((x) => Date.parse(x.getAttribute("datetime")!)));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), "oldest first, newest last");
    });

    await t.test("the event stream delivers the snapshot, statuses and log lines", async () => {
      const seen = await events(node!.url, ["snapshot", "status", "log"]);
      assert.equal(seen[0], "snapshot");
    });

    await t.test("accessibility: headers, text alternatives, names, contrast, one polite live region", async () => {
      const found = await page.evaluate(A11Y);
      assert.deepEqual(found, [], found.join("\n"));
    });

    await t.test("the controls work from the keyboard, and reduced motion stops the bars' motion", async () => {
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement?.className), "skip", "the first Tab reaches the skip link");
      await waitFor(async () => { await page.keyboard.press("Tab"); return page.evaluate(() => document.activeElement?.id === "pause"); },
        5000, "Tab to reach the pause button", 1);
      await page.keyboard.press("Space");
      assert.equal(await page.getAttribute("#pause", "aria-pressed"), "true");
      const frozen = await page.textContent("#node-line");
      const announced = await page.textContent("#announce");
      assert.match(announced!, /paused/i);
      await page.keyboard.press("Enter");
      assert.equal(await page.getAttribute("#pause", "aria-pressed"), "false");
      await waitFor(async () => (await page.textContent("#node-line")) !== frozen, 10000, "the page to update again after resuming");
      const moving = await page.evaluate(() => getComputedStyle(document.querySelector(".bar .fill")!).transitionDuration);
      assert.notEqual(moving, "0s", "bars move by default");
      await page.emulateMedia({ reducedMotion: "reduce" });
      assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector(".bar .fill")!).transitionDuration), "0s");
      await page.emulateMedia({ reducedMotion: null });
    });

    await t.test("nothing failed: no console error or warning, no failed request, nothing from elsewhere", () => {
      const origin = new URL(node!.url).origin;
      assert.deepEqual(requested.filter((u) => new URL(u).origin !== origin), []);
      assert.deepEqual(problems, []);
    });

    // Shot once the page has settled at a rate and the log has lines: what a person sees.
    const shot = path.join(OUT, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    const weight = await page.evaluate(() => performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation"))
      .filter((e) => !e.name.endsWith("/events")).reduce((n, e) => n + (e as PerformanceResourceTiming).encodedBodySize, 0));
    console.log(`# dashboard screenshot: ${shot} (page weight ${weight} bytes)`);
    assert.ok(fs.statSync(shot).size > 10000, "the screenshot has content");
  } finally {
    clearInterval(pinging);
    await browser?.close();
    await node?.stop();
    peer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs in the page: every problem found, as a sentence. Contrast per WCAG 2.2: 4.5:1 for
 *  text (3:1 when large), 3:1 for the charts' lines against their background. */
function A11Y(): string[] {
  const problems: string[] = [];
  const text = (id: string | null) => (id ? document.getElementById(id)?.textContent?.trim() ?? "" : "");
  const named = (e: Element) => (e.getAttribute("aria-label") ?? "").trim() ||
    (e.getAttribute("aria-labelledby") ?? "").split(/\s+/).map(text).join(" ").trim() || (e.textContent ?? "").trim();

  if (!document.documentElement.lang) problems.push("the page has no lang");
  if (document.querySelectorAll("h1").length !== 1) problems.push("the page needs exactly one h1");
  for (const landmark of ["header", "main"]) if (!document.querySelector(landmark)) problems.push(`no <${landmark}>`);
  let level = 1;
  for (const h of document.querySelectorAll("h1, h2, h3, h4")) {
    const l = Number(h.tagName[1]);
    if (l > level + 1) problems.push(`heading "${h.textContent}" skips from h${level} to h${l}`);
    level = l;
  }
  for (const s of document.querySelectorAll("section")) if (!named(s)) problems.push(`a section has no name`);
  for (const table of document.querySelectorAll("table")) {
    const name = table.caption?.textContent?.trim() || named(table);
    if (!name) problems.push("a table has no caption or name");
    const heads = table.querySelectorAll('thead th[scope="col"]').length;
    const cols = Math.max(...[...table.rows].map((r) => [...r.cells].reduce((n, c) => n + c.colSpan, 0)));
    if (heads === 0 || heads !== cols) problems.push(`table "${name}": ${heads} column headers for ${cols} columns`);
    for (const row of table.tBodies[0]?.rows ?? []) {
      if (row.cells.length > 1 && !row.querySelector('th[scope="row"]')) problems.push(`table "${name}": a row without a row header`);
    }
  }
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.getAttribute("aria-hidden") === "true") continue;
    if (svg.getAttribute("role") !== "img" || !named(svg)) problems.push(`chart #${svg.id} has no role=img with a text alternative`);
    else if (!/now/.test(named(svg))) problems.push(`chart #${svg.id}'s text alternative gives no numbers: "${named(svg)}"`);
  }
  for (const e of document.querySelectorAll("button, a[href], [role=button], input, select, textarea")) {
    if (!named(e)) problems.push(`a ${e.tagName.toLowerCase()} has no accessible name`);
  }
  const live = document.querySelectorAll("[aria-live], [role=status], [role=alert], [role=log]");
  if (live.length !== 1 || live[0].getAttribute("aria-live") !== "polite") problems.push(`${live.length} live regions; want one, polite`);
  const box = document.getElementById("log-box")!;
  if (box.scrollHeight > box.clientHeight && box.tabIndex < 0) problems.push("the scrolling log cannot be reached by keyboard");

  const rgb = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
  const lum = (c: number[]) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a: number[], b: number[]) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (e: Element | null): number[] => {
    for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c;
    }
    return [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set<Element>();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement!;
    if (!n.textContent!.trim() || checked.has(e) || e.closest(".visually-hidden, .skip")) continue;
    checked.add(e);
    const style = getComputedStyle(e);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const fg = e instanceof SVGElement ? rgb(style.fill) : rgb(style.color);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = ratio(fg, background(e));
    if (r < need) problems.push(`"${n.textContent!.trim().slice(0, 40)}" has contrast ${r.toFixed(2)}:1, needs ${need}:1`);
  }
  for (const line of document.querySelectorAll(".chart .line, .swatch")) {
    const style = getComputedStyle(line);
    const c = line instanceof SVGElement ? rgb(style.stroke) : rgb(style.borderTopColor);
    const r = ratio(c, background(line.closest("svg") ?? line.parentElement));
    if (r < 3) problems.push(`a chart line (${line.getAttribute("class")}) has contrast ${r.toFixed(2)}:1, needs 3:1`);
  }
  return problems;
}

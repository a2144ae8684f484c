// hosts/node/observe/http.ts: the views' one HTTP server only shows (GET and HEAD), says
// what it serves when a path is wrong, and refuses a request that reached a loopback
// address under a DNS name (DNS rebinding), whether it listens on loopback or everywhere,
// and a request another web page makes (Sec-Fetch-Site, Origin).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "http";
import { localName, ObserveServer, parseListen } from "../../../hosts/node/observe/http";

function get(port: number, path: string, host: string, method = "GET", more: Record<string, string> = {}): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "::1", port, path, method, headers: { host, ...more } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ code: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("listen addresses: bracketed IPv6, IPv4, a bare port; anything else says how to write one", () => {
  assert.deepEqual(parseListen("[::1]:9464"), { host: "::1", port: 9464 });
  assert.deepEqual(parseListen("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListen(":9464"), { host: undefined, port: 9464 });
  for (const bad of ["[::1]", "x:y", "99999", "::1:80"]) assert.throws(() => parseListen(bad), /\[::1\]:9464/, bad);
});

test("a Host header is local when it is an address literal or localhost", () => {
  for (const h of ["[::1]:9464", "[::1]", "127.0.0.1:80", "localhost:9", "LOCALHOST", undefined]) assert.ok(localName(h), String(h));
  for (const h of ["evil.example", "evil.example:9464", "127.0.0.1.nip.io:80", "[::1].evil"]) assert.ok(!localName(h), h);
});

for (const listen of ["[::1]:0", "[::]:0"]) {
  test(`on ${listen}: GET is answered, other methods and unknown paths are refused, a rebound name too`, async () => {
    const server = new ObserveServer().route("/a", (_req, res) => { res.end("shown"); });
    const { port } = await server.listen(listen);
    try {
      assert.deepEqual(await get(port, "/a", `[::1]:${port}`), { code: 200, body: "shown" });
      assert.equal((await get(port, "/a", `localhost:${port}`)).code, 200);
      const post = await get(port, "/a", `[::1]:${port}`, "POST");
      assert.equal(post.code, 405);
      assert.match(post.body, /only shows the node/);
      const missing = await get(port, "/b", `[::1]:${port}`);
      assert.equal(missing.code, 404);
      assert.match(missing.body, /this node serves \/a/);
      const rebound = await get(port, "/a", `evil.example:${port}`);
      assert.equal(rebound.code, 403);
      assert.match(rebound.body, /DNS name that points at a loopback address/);
    } finally {
      server.close();
    }
  });
}

test("a request another web page makes is refused; the node's own page, Prometheus and curl are answered", async () => {
  const server = new ObserveServer().route("/a", (_req, res) => { res.end("shown"); });
  const { port } = await server.listen("[::1]:0");
  const host = `[::1]:${port}`;
  try {
    const refused: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" },
      { origin: "http://evil.example" }, { origin: `https://${host}` }];
    for (const more of refused) {
      const r = await get(port, "/a", host, "GET", more);
      assert.equal(r.code, 403, JSON.stringify(more));
      assert.match(r.body, /a request from another web page is refused/);
    }
    const answered: Record<string, string>[] = [{}, { "sec-fetch-site": "same-origin", origin: `http://${host}` }, { "sec-fetch-site": "none" }];
    for (const more of answered) {
      assert.equal((await get(port, "/a", host, "GET", more)).code, 200, JSON.stringify(more));
    }
  } finally {
    server.close();
  }
});

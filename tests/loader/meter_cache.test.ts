// The metering cache (loader/instrument/cache.ts, issue #17): one metering and one compile
// per distinct module in a process however many services run it; the key is the module's
// bytes under this metering version, so other bytes are metered afresh; a module the pass
// refuses is never kept, so the next one to ask gets its own error; and what the cache
// returns is the metered module (it exports persia_fuel), never the input.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";
import { compileMetered, meterCached, meterCacheClear, meterCacheStats, meterKey, METER_VERSION } from "../../loader/instrument/cache";
import { FUEL_EXPORTS } from "../../abi/contract";
import { LoaderError } from "../../loader/errors";
import { WASM_DIR } from "../../hosts/node/paths";
import { OP, buildService, eventService } from "../hosts/service_fixture";
import { ServiceHost } from "../../hosts/node/services";

const ECHO = () => new Uint8Array(fs.readFileSync(path.join(WASM_DIR, "services/echo.wasm")));

test("one module run by many services is metered and compiled once, and the module is the metered one", async () => {
  meterCacheClear();
  const echo = ECHO();
  const first = await compileMetered(echo, "a.sabz.city");
  for (let i = 0; i < 20; i++) assert.equal(await compileMetered(new Uint8Array(echo), `s${i}.sabz.city`), first);
  assert.deepEqual([meterCacheStats.metered, meterCacheStats.compiled], [1, 1]);
  const exported = WebAssembly.Module.exports(first).map((e) => e.name);
  for (const g of Object.values(FUEL_EXPORTS)) assert.ok(exported.includes(g.name), `the cached module exports ${g.name}: it is metered`);
  assert.notDeepEqual((await meterCached(echo, "x.sabz.city")).bytes, echo);
});

test("a ServiceHost with many services of one module meters it once", async () => {
  meterCacheClear();
  const host = new ServiceHost();
  const echo = ECHO();
  for (let id = 0; id < 12; id++) assert.equal(await host.add(id, echo, `e${id}.sabz.city`, 16 + (id % 3)), true);
  assert.equal(meterCacheStats.metered, 1, "three RAM ceilings, one metering");
});

test("the key is the bytes under this metering version: other bytes are metered again", async () => {
  meterCacheClear();
  const a = eventService([0x01]), b = eventService([0x01, 0x01]);
  assert.notEqual(meterKey(a), meterKey(b));
  assert.notEqual(meterKey(a), createHash("sha256").update(a).digest("hex"), "the version is part of the key");
  assert.match(`${METER_VERSION}`, /^\d+$/);
  await meterCached(a, "a.sabz.city");
  await meterCached(b, "b.sabz.city");
  await meterCached(a, "c.sabz.city");
  assert.deepEqual([meterCacheStats.metered, meterCacheStats.hits], [2, 1]);
});

test("a module the pass refuses is not kept: each asker gets its own refusal", async () => {
  meterCacheClear();
  const TRY_CATCH_ALL = [0x06, OP.void, 0x01, 0x19, OP.end];
  const bytes = buildService({ types: [[[], []]], funcImports: [], memory: { min: 1 },
    funcs: [{ type: 0, body: TRY_CATCH_ALL }], exports: [["persia_event", 0]] });
  for (const name of ["one.sabz.city", "two.sabz.city"]) {
    await assert.rejects(compileMetered(bytes, name), (e) => e instanceof LoaderError && e.what === `service ${name}`);
  }
  assert.deepEqual([meterCacheStats.metered, meterCacheStats.hits], [0, 0]);
});

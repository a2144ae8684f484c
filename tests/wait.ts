// Waiting in a test for something that happens on another clock (a child process, Linux, a
// node on its own event loop): waitFor checks a condition until it holds and fails naming
// what it waited for once the deadline passes; within bounds a wait on one event (a promise).
// A test waits for the event it needs, never
// for a fixed time: on a fast machine it goes on at once, on a slow one it waits longer,
// and either way a missing event is a clear failure, not a wrong count. A deadline is a
// bound on a hang, so make it generous. Not for a node on the test's own clock
// (tests/integration/bench.ts moves that clock itself). Used by tests in every folder.

/** Resolves after ms of wall-clock time. Only for spacing what a test sends, or for a
 *  window a test measures (and then it says why): never to wait for something to happen. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a condition returns when it holds. */
type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/** Checks `cond` (at once, then every `everyMs`) until it returns a truthy value, which it
 *  resolves to; rejects after `deadlineMs` with "waited <ms> ms for <what>". `what` may be a
 *  function, called only then, to add what was seen instead. */
export async function waitFor<T>(cond: () => T | Promise<T>, deadlineMs: number, what: string | (() => string),
  everyMs = 20): Promise<Truthy<T>> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await cond();
    if (v) return v as Truthy<T>;
    if (Date.now() >= end) {
      throw new Error(`waited ${deadlineMs} ms for ${typeof what === "string" ? what : what()}, in vain`);
    }
    await sleep(Math.min(everyMs, Math.max(1, end - Date.now())));
  }
}

/** Resolves with what came first: `done`'s value, or "timeout" after ms (a bound on waiting
 *  for a child process to start or exit, where there is one event to wait for, not a
 *  condition to poll). */
export function within<T>(done: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([done, new Promise<"timeout">((r) => { timer = setTimeout(() => r("timeout"), ms); })])
    .finally(() => clearTimeout(timer));
}

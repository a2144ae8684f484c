// kernel/wg/replay.ts, RFC 6479 as wireguard-go's replay/replay.go: each counter is taken
// once; one more than 8,128 behind the newest is refused; a jump forward clears what it
// passes; nothing at or past the limit is taken. Keypair slot 0's window, driven directly.
import { replayReset, replayCheck } from "../../../kernel/wg/replay";

const LIMIT: u64 = 1 << 20;
const WINDOW: u64 = 8128;

describe("the replay window", () => {
  beforeEach(() => { replayReset(0); });

  it("takes each counter once, in any order inside the window", () => {
    expect(replayCheck(0, 0, LIMIT)).toBe(true);
    expect(replayCheck(0, 0, LIMIT)).toBe(false);
    expect(replayCheck(0, 5, LIMIT)).toBe(true);
    expect(replayCheck(0, 3, LIMIT)).toBe(true);
    expect(replayCheck(0, 3, LIMIT)).toBe(false);
    expect(replayCheck(0, 5, LIMIT)).toBe(false);
    expect(replayCheck(0, 4, LIMIT)).toBe(true);
  });

  it("keeps exactly 8,128 counters behind the newest", () => {
    let top: u64 = 20000;
    expect(replayCheck(0, top, LIMIT)).toBe(true);
    expect(replayCheck(0, top - WINDOW, LIMIT)).toBe(true);       // the oldest still in
    expect(replayCheck(0, top - WINDOW, LIMIT)).toBe(false);
    expect(replayCheck(0, top - WINDOW - 1, LIMIT)).toBe(false);  // one behind it
    expect(replayCheck(0, 0, LIMIT)).toBe(false);
  });

  it("a jump forward forgets what it passes, so old counters in new blocks are not taken as seen", () => {
    for (let c: u64 = 0; c < 200; c++) expect(replayCheck(0, c, LIMIT)).toBe(true);
    let far: u64 = 200 + 128 * 64 + 7;                             // past the whole ring
    expect(replayCheck(0, far, LIMIT)).toBe(true);
    expect(replayCheck(0, far - 1, LIMIT)).toBe(true);              // never seen, same ring slot as before
    expect(replayCheck(0, far - 64, LIMIT)).toBe(true);
    expect(replayCheck(0, 150, LIMIT)).toBe(false);                 // far behind now
  });

  it("refuses the limit and anything past it", () => {
    expect(replayCheck(0, LIMIT - 1, LIMIT)).toBe(true);
    expect(replayCheck(0, LIMIT, LIMIT)).toBe(false);
    expect(replayCheck(0, U64.MAX_VALUE, LIMIT)).toBe(false);
  });
});

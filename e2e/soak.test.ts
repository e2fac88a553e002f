// The soak run, short: two senders behind proxies that cut their connections every 0.2-1 s write to
// one account open on a core client, the CLI's listener and two web apps; the listener is killed
// while it catches up from the archive and Prosody is killed and restarted mid-run. Every device
// must end with every message once, in each sender's order, and every outbox empty.
// `npm run soak` runs the long version and prints the figures.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak, type SoakResult } from '../bench/soak/run.ts';
import { table } from '../bench/soak/report.ts';

describe('delivery under cuts, a server crash and a client crash', { timeout: 240_000 }, () => {
  let soaked: SoakResult | undefined;
  it('stores every message once, in order, on every device (readable or marked with its reason), and leaves no outbox entry', async () => {
    const result = await runSoak({
      senders: 2,
      messages: 50,
      intervalMs: 200,
      browsers: 2,
      cli: true,
      cuts: [[0, 0.8]],
      cliDownAt: 0.1,
      cliBackAt: 0.2,
      restartAt: 0.5,
      settleQuietMs: 30_000,
      settleMaxMs: 60_000,
    });
    soaked = result;
    const report = table(result);
    console.log(report);
    assert.ok(result.cuts > 0, 'the proxies cut the senders at least once');
    assert.ok(result.catchUpKill?.readyBeforeKill === false, 'the CLI was killed mid-catch-up');
    assert.ok(
      !result.notes.some((line) => line.includes('after the last message')),
      'Prosody restarted while messages were still being written',
    );
    for (const client of result.clients) {
      assert.deepEqual(
        {
          client: client.name,
          // Not stored at all; an undecryptable message is stored, with its reason (next test).
          missing: client.lost - client.undecryptable,
          duplicated: client.duplicated,
          outOfOrder: client.outOfOrder,
        },
        { client: client.name, missing: 0, duplicated: 0, outOfOrder: 0 },
        report,
      );
    }
    assert.equal(result.outboxLeft, 0, report);
    assert.equal(result.uncaught, 0, 'no error went unhandled in the clients');
    assert.deepEqual(
      result.cliExits.filter((exit) => !exit.killed),
      [],
      'the CLI listener never exited by itself',
    );
  });

  it('every message is readable on every device', () => {
    assert.ok(soaked, 'the soak ran');
    for (const client of soaked.clients)
      assert.equal(
        client.undecryptable,
        0,
        `${client.name}: ${client.undecryptable} undecryptable`,
      );
  });
});

// The delivery soak on a two-node ejabberd cluster, short (bench/soak/cluster.ts; `npm run soak --
// --server ejabberd-cluster` runs the long version and prints the figures): senders on both nodes
// write to one account with a device on each node; node one is killed (SIGKILL) mid-traffic, its
// clients fail over to node two by themselves, node one starts again and rejoins, and a client on
// it writes too. Needs ejabberd (.ci/run installs it).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterTable, runClusterSoak, type ClusterSoakResult } from '../../bench/soak/cluster.ts';

describe('a node killed mid-traffic and back', { timeout: 180_000 }, () => {
  let result: ClusterSoakResult;
  let report = '';
  before(async () => {
    result = await runClusterSoak({
      senders: 2,
      messages: 40,
      intervalMs: 150,
      killAt: 0.3,
      backAt: 0.6,
      receiversOver: 'websocket',
      // A receipt that has not come 2 s after the server's ack: the message goes once more (core's
      // 15 s would make the run wait that long for what the killed node lost).
      redeliverAfterMs: 2000,
      settleQuietMs: 20_000,
      settleMaxMs: 60_000,
    });
    report = clusterTable(result);
  });

  test('every message reaches the account, nothing twice, everything readable, no outbox entry left; node one rejoins and its clients move', (t) => {
    for (const line of report.split('\n')) t.diagnostic(line);
    // What every device of the account got together: the promise the senders' receipts keep.
    for (let sender = 0; sender < 2; sender++) {
      const missingEverywhere = (result.clients[0]?.perSender[sender]?.missing ?? []).filter(
        (seq) => result.clients.every((c) => c.perSender[sender]?.missing.includes(seq)),
      );
      assert.deepEqual(missingEverywhere, [], `sender ${sender}: ${report}`);
    }
    for (const client of result.clients)
      assert.deepEqual(
        { device: client.name, duplicated: client.duplicated, undecryptable: client.undecryptable },
        { device: client.name, duplicated: 0, undecryptable: 0 },
        report,
      );
    assert.equal(result.outboxLeft, 0, report);
    assert.equal(result.uncaught, 0, 'no error went unhandled in the clients');
    const moved = [...result.clients, ...result.senders].filter((c) => c.home === 1);
    assert.ok(
      moved.every((c) => c.backOnlineAfter !== null),
      `every client of node one back online: ${report}`,
    );
    assert.ok(Number.isFinite(result.rejoinSeconds), 'node one rejoined');
  });

  // What a device misses while its stream moves comes from the archive on its next stream: the
  // messages routed to its old session on the dead node were archived by the other device's
  // session (ejabberd archives a message sent to the account in one session, the one with the
  // highest priority and resource name: device-2 here). This held once the test nodes kept the
  // archive in memory (test-utils ejabberd.ts): over ejabberd's default on-disk table, sessions
  // stalled for tens of seconds, archived late, and a device missed what the other confirmed.
  test('every device holds every message, once', () => {
    for (const client of result.clients)
      assert.deepEqual(
        { device: client.name, lost: client.lost, duplicated: client.duplicated },
        { device: client.name, lost: 0, duplicated: 0 },
        report,
      );
    assert.ok(result.settled, report);
  });

  test(
    'every device shows them in send order',
    {
      todo:
        'a message node one acked and lost with it goes again (chat/redelivery.ts) after later ' +
        'ones reached the devices, and is stored where it arrives; placing it by its stamp put ' +
        'messages out of order elsewhere (doc/design.md)',
    },
    () => {
      for (const client of result.clients)
        assert.deepEqual(
          { device: client.name, outOfOrder: client.outOfOrder },
          { device: client.name, outOfOrder: 0 },
          report,
        );
    },
  );
});

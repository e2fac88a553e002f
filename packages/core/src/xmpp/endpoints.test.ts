// Endpoints: SRV lookups against a DNS server of the test's own on loopback (never the real
// network), their RFC 2782 order, and sessions that try every address and fail over to another when
// the one in use goes away, against a real Prosody behind loopback proxies.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import {
  startDnsResponder,
  startProsody,
  startTcpProxy,
  trustCertificateAuthority,
  until,
  type DnsResponder,
  type ProsodyServer,
  type TcpProxy,
} from '@hush/test-utils';
import xml from '@xmpp/xml';
import {
  openSessionAt,
  orderByPriorityAndWeight,
  platformSrvResolver,
  resolveEndpoints,
  type ResolveSrv,
} from './endpoints.ts';
import { isHushError } from '../errors.ts';
import type { XmppSession } from './session.ts';

let dns: DnsResponder;
let resolveSrv: ResolveSrv;

before(async () => {
  dns = await startDnsResponder();
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([dns.address]);
  resolveSrv = (name) => resolver.resolveSrv(name);
});
after(() => dns.close());

describe('resolveEndpoints', () => {
  test('both SRV services as one list by priority, direct TLS first on a tie, each target once', async () => {
    dns.srv.set('_xmpps-client._tcp.a.example', [
      { priority: 10, weight: 0, port: 5223, target: 'two.a.example.' },
      { priority: 5, weight: 0, port: 443, target: 'one.a.example.' },
    ]);
    dns.srv.set('_xmpp-client._tcp.a.example', [
      { priority: 5, weight: 0, port: 5222, target: 'one.a.example.' },
      { priority: 20, weight: 0, port: 5222, target: 'three.a.example.' },
    ]);
    assert.deepEqual(await resolveEndpoints('A.example.', { resolveSrv, random: () => 0 }), [
      'xmpps://one.a.example:443',
      'xmpp://one.a.example:5222',
      'xmpps://two.a.example:5223',
      'xmpp://three.a.example:5222',
    ]);
    assert.ok(dns.asked.includes('_xmpps-client._tcp.a.example'));
  });

  test('no records: the domain on 5222; a "." target for the client service: not offered at all', async () => {
    assert.deepEqual(await resolveEndpoints('none.example', { resolveSrv }), [
      'xmpp://none.example:5222',
    ]);
    dns.srv.set('_xmpps-client._tcp.tls.example', [
      { priority: 0, weight: 0, port: 0, target: '.' },
    ]);
    assert.deepEqual(await resolveEndpoints('tls.example', { resolveSrv }), [
      'xmpp://tls.example:5222',
    ]);
    dns.srv.set('_xmpp-client._tcp.off.example', [
      { priority: 0, weight: 0, port: 0, target: '.' },
    ]);
    await assert.rejects(resolveEndpoints('off.example', { resolveSrv }), {
      code: 'ServerUnreachable',
    });
  });

  test('bad input and failed lookups are typed errors', async () => {
    await assert.rejects(resolveEndpoints('not a domain', { resolveSrv }), {
      code: 'InvalidUsername',
    });
    const failing: ResolveSrv = () =>
      Promise.reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }));
    await assert.rejects(resolveEndpoints('x.example', { resolveSrv: failing }), {
      code: 'ServerUnreachable',
    });
    // Node has a resolver of its own; the web and the app give their list instead.
    assert.equal(typeof platformSrvResolver(), 'function');
  });

  test('weights: a draw picks in proportion, and every record comes once', () => {
    const records = [
      { priority: 1, weight: 0, name: 'zero' },
      { priority: 1, weight: 10, name: 'ten' },
      { priority: 1, weight: 30, name: 'thirty' },
      { priority: 0, weight: 5, name: 'first' },
    ];
    const names = (random: number) =>
      orderByPriorityAndWeight(records, () => random).map((r) => r.name);
    assert.deepEqual(names(0), ['first', 'zero', 'ten', 'thirty']);
    assert.deepEqual(names(0.999), ['first', 'thirty', 'ten', 'zero']);
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646;
    const firsts = { ten: 0, thirty: 0, zero: 0 };
    for (let i = 0; i < 4000; i++) {
      const [, second] = orderByPriorityAndWeight(records, random);
      firsts[second?.name as keyof typeof firsts]++;
    }
    assert.ok(
      firsts.thirty > firsts.ten * 2 && firsts.ten > firsts.zero * 5,
      JSON.stringify(firsts),
    );
  });
});

describe('sessions over several addresses', () => {
  let server: ProsodyServer;
  let jid: string;
  const password = 'endpoints-password';
  const sessions: XmppSession[] = [];
  const proxies: TcpProxy[] = [];

  before(async () => {
    server = await startProsody();
    trustCertificateAuthority(server.caCert);
    jid = await server.createAccount('ends', password);
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await Promise.all(proxies.map((p) => p.close()));
    await server?.stop();
  });

  const proxy = async () => {
    const made = await startTcpProxy(server.ports.c2sTls);
    proxies.push(made);
    return made;
  };

  test('SRV records lead to the server: a dead first target is skipped, the certificate is checked against the domain', async () => {
    const dead = await proxy();
    dead.refuse(true);
    const live = await proxy();
    // The targets are names the certificate does not hold; the domain (localhost) is what counts.
    dns.srv.set('_xmpps-client._tcp.localhost', [
      { priority: 0, weight: 0, port: dead.port, target: 'node1.localhost' },
      { priority: 1, weight: 0, port: live.port, target: 'node2.localhost' },
    ]);
    const endpoints = (await resolveEndpoints('localhost', { resolveSrv })).map((e) =>
      e.replace(/node\d\.localhost/, '127.0.0.1'),
    );
    assert.deepEqual(endpoints.slice(0, 2), [
      `xmpps://127.0.0.1:${dead.port}`,
      `xmpps://127.0.0.1:${live.port}`,
    ]);
    const session = await openSessionAt(
      { jid, password, timeoutMs: 10_000 },
      endpoints.slice(0, 2),
    );
    sessions.push(session);
    assert.match(session.jid, /^ends@localhost\//);
    assert.equal(session.client.options.service, `xmpps://127.0.0.1:${live.port}`);
    assert.equal(dead.accepted, 1);
  });

  test('the address in use goes away: the session reconnects through another and messages flow', async () => {
    const [a, b] = [await proxy(), await proxy()];
    const session = await openSessionAt(
      { jid, password, resource: 'roaming', reconnect: { initialDelayMs: 20, maxDelayMs: 200 } },
      [`xmpps://localhost:${a.port}`, `xmpps://localhost:${b.port}`],
    );
    sessions.push(session);
    assert.equal(session.client.options.service, `xmpps://localhost:${a.port}`);
    const other = await openSessionAt({ jid, password, resource: 'other' }, [
      `xmpps://localhost:${server.ports.c2sTls}`,
    ]);
    sessions.push(other);
    const received: string[] = [];
    session.onStanza((stanza) => {
      const body = stanza.getChildText('body');
      if (stanza.is('message') && body) received.push(body);
    });

    a.refuse(true);
    a.cut();
    await until(
      () =>
        session.client.status === 'online' &&
        session.client.options.service === `xmpps://localhost:${b.port}`,
      'the session online through the other address',
    );
    await other.send(
      xml('message', { to: session.jid, type: 'chat', id: 'after' }, xml('body', {}, 'moved')),
    );
    await until(() => received.includes('moved'), 'the message through the other address');

    // And back round the list when that one goes too.
    a.refuse(false);
    b.refuse(true);
    b.cut();
    await until(
      () =>
        session.client.status === 'online' &&
        session.client.options.service === `xmpps://localhost:${a.port}`,
      'the session back on the first address',
    );
  });

  test('none reachable: ServerUnreachable; a refused login stops at the first address', async () => {
    const dead = await proxy();
    dead.refuse(true);
    await assert.rejects(
      openSessionAt({ jid, password }, [`xmpps://localhost:${dead.port}`]),
      (error: unknown) => isHushError(error, 'ServerUnreachable'),
    );
    const live = await proxy();
    await assert.rejects(
      openSessionAt({ jid, password: 'wrong-password' }, [
        `xmpps://localhost:${server.ports.c2sTls}`,
        `xmpps://localhost:${live.port}`,
      ]),
      { code: 'WrongPassword' },
    );
    assert.equal(live.accepted, 0);
    await assert.rejects(openSessionAt({ jid, password }, []), { code: 'ServerUnreachable' });
    await assert.rejects(openSessionAt({ jid, password }, ['ws://localhost:1/x']), {
      code: 'EncryptionRequired',
    });
  });
});

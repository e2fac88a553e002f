// XEP-0484 FAST on a real Prosody 13 with mod_sasl2_fast: a returning device logs in with its token
// (bound to TLS where TLS is reachable), with no PBKDF2; without a usable token it falls back to its
// SCRAM keys; a password change makes both outdated, and only the password logs in again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startProsody,
  trustCertificateAuthority,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import { HushError, isHushError } from '../errors.ts';
import { changePassword } from '../account/manage.ts';
import { openSession, type SessionOptions } from './session.ts';
import type { SavedLogin } from './saved-login.ts';

/** Counts PBKDF2 runs (WebCrypto's deriveBits) while `run` runs. */
async function countingPbkdf2<T>(run: () => Promise<T>): Promise<{ result: T; runs: number }> {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.deriveBits.bind(subtle);
  let runs = 0;
  subtle.deriveBits = ((...args: Parameters<typeof original>) => {
    runs++;
    return original(...args);
  }) as typeof original;
  try {
    return { result: await run(), runs };
  } finally {
    subtle.deriveBits = original;
  }
}

async function logIn(options: SessionOptions): Promise<{ mechanism: string; saved: SavedLogin }> {
  const session = await openSession(options);
  try {
    return { mechanism: session.mechanism, saved: session.savedLogin };
  } finally {
    await session.close();
  }
}

describe('FAST on Prosody 13 (SASL2, Bind 2, FAST offered)', () => {
  let server: ProsodyServer;
  let services: { name: string; service: string; fast: string; scram: string }[];
  before(async () => {
    server = await startProsody({ settings: { COMMUNITY_MODULES: 'true' } });
    trustCertificateAuthority(server.caCert);
    services = [
      {
        name: 'wss',
        service: server.websocketUrl,
        fast: 'HT-SHA-256-NONE',
        scram: 'SCRAM-SHA-256',
      },
      {
        name: 'xmpps',
        service: `xmpps://localhost:${server.ports.c2sTls}`,
        fast: 'HT-SHA-256-EXPR',
        scram: 'SCRAM-SHA-256-PLUS',
      },
      {
        name: 'xmpp',
        service: `xmpp://localhost:${server.ports.c2s}`,
        fast: 'HT-SHA-256-EXPR',
        scram: 'SCRAM-SHA-256-PLUS',
      },
    ];
  });
  after(() => server?.stop());

  test('a password login gets keys and a token; the next login uses the token, with no PBKDF2', async () => {
    for (const [index, { name, service, fast, scram }] of services.entries()) {
      const jid = await server.createAccount(`fast${index}`, 'fast-password');
      const first = await logIn({ service, jid, password: 'fast-password' });
      assert.equal(first.mechanism, scram, name);
      assert.ok(first.saved.scram, name);
      assert.equal(first.saved.fast?.mechanism, fast, name);
      const { result: again, runs } = await countingPbkdf2(() =>
        logIn({ service, jid, savedLogin: first.saved }),
      );
      assert.equal(again.mechanism, fast, name);
      assert.equal(runs, 0, name);
      assert.equal(again.saved.clientId, first.saved.clientId);
      assert.deepEqual(again.saved.scram, first.saved.scram);
    }
  });

  test('after a server restart the saved login still logs in; a token the server does not know falls back to the keys', async () => {
    const { service } = services[1] ?? assert.fail();
    const jid = await server.createAccount('restart', 'restart-password');
    const { saved } = await logIn({ service, jid, password: 'restart-password' });
    await server.restart();
    const afterRestart = await logIn({ service, jid, savedLogin: saved }).catch((e) => {
      console.log('CAUSE', e, e.cause);
      throw e;
    });
    assert.equal(afterRestart.mechanism, 'HT-SHA-256-EXPR');
    const token = saved.fast ?? assert.fail('no token');
    const forged = { ...saved, fast: { ...token, token: `${token.token}x` } };
    const { result: fallback, runs } = await countingPbkdf2(() =>
      logIn({ service, jid, savedLogin: forged }),
    );
    assert.equal(fallback.mechanism, 'SCRAM-SHA-256-PLUS');
    assert.equal(runs, 0);
    // A new token replaced the refused one.
    assert.ok(fallback.saved.fast);
    assert.notEqual(fallback.saved.fast.token, forged.fast.token);
    assert.equal(
      (await logIn({ service, jid, savedLogin: fallback.saved })).mechanism,
      'HT-SHA-256-EXPR',
    );
  });

  test('a password change renews the saved login here; the old one is refused with WrongPassword', async () => {
    const { service } = services[0] ?? assert.fail();
    const jid = await server.createAccount('change', 'change-password-1');
    const { saved: old } = await logIn({ service, jid, password: 'change-password-1' });
    // Prosody dates a password change in whole seconds and keeps tokens issued in that same second.
    const tokenSecond = Math.floor(Date.now() / 1000);
    await until(() => Math.floor(Date.now() / 1000) > tokenSecond, 'the next second', 2_000);
    // Changed on this device: the session derives a new saved login and reports it.
    const reported: SavedLogin[] = [];
    const session = await openSession({
      service,
      jid,
      savedLogin: old,
      onSavedLogin: (login) => reported.push(login),
    });
    let renewed: SavedLogin;
    try {
      await changePassword(session, 'change-password-2');
      renewed = session.savedLogin;
    } finally {
      await session.close();
    }
    assert.ok(renewed.scram && renewed.fast);
    assert.notEqual(renewed.scram.salt, old.scram?.salt);
    assert.deepEqual(reported.at(-1), renewed);
    assert.equal(renewed.clientId, old.clientId);
    assert.equal((await logIn({ service, jid, savedLogin: renewed })).mechanism, 'HT-SHA-256-NONE');
    const stillKeys = {
      clientId: renewed.clientId,
      ...(renewed.scram && { scram: renewed.scram }),
    };
    assert.equal((await logIn({ service, jid, savedLogin: stillKeys })).mechanism, 'SCRAM-SHA-256');
    // The old saved login (token issued before the change, keys for the old salt) is refused.
    await assert.rejects(openSession({ service, jid, savedLogin: old }), (error) =>
      isHushError(error, 'WrongPassword'),
    );
  });
});

describe('a credential still being read', () => {
  let server: ProsodyServer;
  before(async () => {
    server = await startProsody({ settings: { COMMUNITY_MODULES: 'true' } });
    trustCertificateAuthority(server.caCert);
  });
  after(() => server?.stop());

  test('the login waits for it while the connection opens; nothing to log in with is WrongPassword', async () => {
    const jid = await server.createAccount('pending', 'pending-password');
    const service = server.websocketUrl;
    const { saved } = await logIn({ service, jid, password: 'pending-password' });
    // A vault read still under way when openSession starts.
    let release: (login: SavedLogin) => void = () => undefined;
    const credential = new Promise<{ savedLogin: SavedLogin }>((resolve) => {
      release = (login) => resolve({ savedLogin: login });
    });
    const opening = openSession({ service, jid, pendingCredential: credential });
    // Still unread as the connection starts; the login takes it when it comes.
    release(saved);
    const session = await opening;
    try {
      assert.equal(session.mechanism, 'HT-SHA-256-NONE');
      assert.equal(session.savedLogin.clientId, saved.clientId);
    } finally {
      await session.close();
    }
    await assert.rejects(
      openSession({ service, jid, pendingCredential: Promise.resolve({}) }),
      (error) => isHushError(error, 'WrongPassword'),
    );
    await assert.rejects(
      openSession({
        service,
        jid,
        pendingCredential: Promise.reject(new HushError('ProtocolError', 'vault unreadable')),
      }),
      (error) => isHushError(error, 'ProtocolError'),
    );
  });
});

describe('saved keys where the server offers no FAST', () => {
  let server: ProsodyServer;
  before(async () => {
    server = await startProsody();
    trustCertificateAuthority(server.caCert);
  });
  after(() => server?.stop());

  test('the SCRAM keys log in, with no PBKDF2', async () => {
    const jid = await server.createAccount('plain', 'plain-password');
    const service = server.websocketUrl;
    const first = await logIn({ service, jid, password: 'plain-password' });
    assert.equal(first.saved.fast, undefined);
    const { result, runs } = await countingPbkdf2(() =>
      logIn({ service, jid, savedLogin: first.saved }),
    );
    assert.equal(result.mechanism, 'SCRAM-SHA-256');
    assert.equal(runs, 0);
  });
});

// RFC 5802 SCRAM — https://www.rfc-editor.org/rfc/rfc5802
// RFC 7677 SCRAM-SHA-256 — https://www.rfc-editor.org/rfc/rfc7677
// The RFC test vectors, every way a server message can be wrong, the xmpp.js adapter, and logins
// against a real Prosody that stores SCRAM-SHA-256 credentials.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createHash, createHmac, pbkdf2Sync, randomBytes as nodeRandomBytes } from 'node:crypto';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { isHushError } from '../errors.ts';
import { openSession } from './session.ts';
import { changePassword } from '../account/manage.ts';
import {
  ScramClient,
  ScramError,
  makeClientNonce,
  defaultRandomBytes,
  decodeBase64,
  encodeBase64,
  saslPrep,
  type ScramClientOptions,
  type ScramFailure,
} from './scram.ts';
import { scramSasl, type SaslFactoryLike } from './scram-sasl.ts';

// RFC 5802 §5: user "user", password "pencil", SCRAM-SHA-1.
const RFC5802 = {
  options: {
    mechanism: 'SCRAM-SHA-1',
    username: 'user',
    password: 'pencil',
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
  },
  clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
  serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
} as const satisfies Vector;

// RFC 7677 §3: the same user and password, SCRAM-SHA-256.
const RFC7677 = {
  options: {
    mechanism: 'SCRAM-SHA-256',
    username: 'user',
    password: 'pencil',
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  },
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst:
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
} as const satisfies Vector;

interface Vector {
  options: ScramClientOptions;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}

const failsWith = (reason: ScramFailure) => (error: unknown) =>
  error instanceof ScramError && error.reason === reason && isHushError(error, 'ProtocolError');

/** A client that has sent client-first, ready for a (possibly bad) server-first. */
function started(vector: Vector): ScramClient {
  const client = new ScramClient(vector.options);
  client.clientFirst();
  return client;
}

describe('RFC test vectors', () => {
  for (const [name, vector] of [
    ['RFC 5802 SCRAM-SHA-1', RFC5802],
    ['RFC 7677 SCRAM-SHA-256', RFC7677],
  ] as const) {
    test(name, async () => {
      const client = new ScramClient(vector.options);
      assert.equal(client.clientFirst(), vector.clientFirst);
      assert.equal(await client.clientFinal(vector.serverFirst), vector.clientFinal);
      assert.equal(client.verified, false);
      client.verifyServerFinal(vector.serverFinal);
      assert.equal(client.verified, true);
      client.assertVerified();
    });
  }
});

describe('channel binding (RFC 5802 §6, RFC 9266 tls-exporter)', () => {
  const binding = { type: 'tls-exporter' as const, data: new Uint8Array(32).map((_, i) => i * 7) };
  const serverFirst = RFC7677.serverFirst;

  test('-PLUS sends p=tls-exporter and proves over the gs2 header and the binding data', async () => {
    const client = new ScramClient({
      ...RFC7677.options,
      mechanism: 'SCRAM-SHA-256-PLUS',
      channelBinding: binding,
    });
    const first = client.clientFirst();
    assert.equal(first, 'p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await client.clientFinal(serverFirst);
    const cbind = Buffer.concat([Buffer.from('p=tls-exporter,,'), Buffer.from(binding.data)]);
    const withoutProof = `c=${cbind.toString('base64')},r=${/r=([^,]+)/.exec(serverFirst)?.[1]}`;
    assert.ok(final.startsWith(`${withoutProof},p=`));
    // The proof, computed independently with node:crypto.
    const salted = pbkdf2Sync(
      'pencil',
      Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      4096,
      32,
      'sha256',
    );
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,${serverFirst},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, i) => byte ^ (signature[i] ?? 0)));
    assert.equal(final, `${withoutProof},p=${proof.toString('base64')}`);
  });

  test('a client that could bind but is not offered -PLUS says so (y), so a stripped offer fails', async () => {
    const client = new ScramClient({ ...RFC7677.options, channelBinding: binding });
    assert.equal(client.clientFirst(), 'y,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    assert.match(await client.clientFinal(serverFirst), /^c=eSws,/);
  });

  test('-PLUS without a binding is refused before anything is sent', async () => {
    assert.throws(
      () => new ScramClient({ ...RFC7677.options, mechanism: 'SCRAM-SHA-256-PLUS' }),
      failsWith('NoChannelBinding'),
    );
  });
});

describe('a misbehaving server is refused', () => {
  test('a tampered server signature', async () => {
    const client = started(RFC7677);
    await client.clientFinal(RFC7677.serverFirst);
    const signature = decodeBase64(RFC7677.serverFinal.slice(2));
    assert.ok(signature);
    signature[0] = (signature[0] ?? 0) ^ 1;
    assert.throws(
      () => client.verifyServerFinal(`v=${encodeBase64(signature)}`),
      failsWith('ServerSignatureMismatch'),
    );
    assert.equal(client.verified, false);
    // The failure sticks: a later correct signature cannot rescue the exchange.
    assert.throws(
      () => client.verifyServerFinal(RFC7677.serverFinal),
      failsWith('ServerSignatureMismatch'),
    );
    assert.throws(() => client.assertVerified(), failsWith('ServerSignatureMismatch'));
  });

  test('the SHA-1 signature for a SHA-256 exchange (wrong length)', async () => {
    const client = started(RFC7677);
    await client.clientFinal(RFC7677.serverFirst);
    assert.throws(
      () => client.verifyServerFinal(RFC5802.serverFinal),
      failsWith('ServerSignatureMismatch'),
    );
  });

  test('an iteration count below 4096, or absurdly high', async () => {
    await assert.rejects(
      async () => started(RFC7677).clientFinal(RFC7677.serverFirst.replace('i=4096', 'i=4095')),
      failsWith('IterationCountTooLow'),
    );
    await assert.rejects(
      async () => started(RFC7677).clientFinal(RFC7677.serverFirst.replace('i=4096', 'i=1')),
      failsWith('IterationCountTooLow'),
    );
    await assert.rejects(
      async () =>
        started(RFC7677).clientFinal(RFC7677.serverFirst.replace('i=4096', 'i=2000000000')),
      failsWith('IterationCountTooHigh'),
    );
    for (const bad of ['i=0', 'i=-4096', 'i=4096.5', 'i=0x2000', 'i=', 'i=40960000000']) {
      await assert.rejects(
        async () => started(RFC7677).clientFinal(RFC7677.serverFirst.replace('i=4096', bad)),
        failsWith('MalformedServerMessage'),
        bad,
      );
    }
  });

  test('a server nonce that does not extend the client nonce', async () => {
    const serverPart = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    for (const nonce of [
      `xOprNGfwEbeRWgbNEkqO${serverPart}`, // first character changed
      `${serverPart}rOprNGfwEbeRWgbNEkqO`, // contains it, but not at the start
      'rOprNGfwEbeRWgbNEkqO', // our nonce echoed with nothing of the server's
      'rOprNGfwEbeRWgbNEk', // a prefix of ours
    ]) {
      await assert.rejects(
        async () =>
          started(RFC7677).clientFinal(
            RFC7677.serverFirst.replace(`rOprNGfwEbeRWgbNEkqO${serverPart}`, nonce),
          ),
        failsWith('NonceMismatch'),
        nonce,
      );
    }
  });

  test('malformed server-first and server-final messages, and an error from the server', async () => {
    for (const bad of [
      '',
      'garbage',
      'r=rOprNGfwEbeRWgbNEkqOxyz,i=4096', // no salt
      'r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==', // no iterations
      'r=rOprNGfwEbeRWgbNEkqOxyz,s=not base64!,i=4096',
      'r=rOprNGfwEbeRWgbNEkqOxyz,s=,i=4096',
      'm=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
      'r=rOprNGfwEbeRWgbNEkqOxyz,r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    ]) {
      await assert.rejects(
        async () => started(RFC7677).clientFinal(bad),
        failsWith('MalformedServerMessage'),
        bad,
      );
    }
    const finalFor = async () => {
      const client = started(RFC7677);
      await client.clientFinal(RFC7677.serverFirst);
      return client;
    };
    await assert.rejects(
      async () => (await finalFor()).verifyServerFinal(''),
      failsWith('MalformedServerMessage'),
    );
    await assert.rejects(
      async () => (await finalFor()).verifyServerFinal('v=***'),
      failsWith('ServerSignatureMismatch'),
    );
    // RFC 5802 §7: a proof the server could not verify is a wrong password, not a broken protocol.
    await assert.rejects(
      async () => (await finalFor()).verifyServerFinal('e=invalid-proof'),
      (error: unknown) =>
        error instanceof ScramError &&
        error.reason === 'ServerRejected' &&
        isHushError(error, 'WrongPassword'),
    );
    await assert.rejects(
      async () => (await finalFor()).verifyServerFinal('e=other-error'),
      failsWith('ServerRejected'),
    );
    await assert.rejects(
      async () => (await finalFor()).verifyServerFinal('e=constructor'),
      failsWith('ServerRejected'),
    );
    // Success declared with no signature at all is no proof.
    await assert.rejects(
      async () => (await finalFor()).assertVerified(),
      failsWith('ServerSignatureMissing'),
    );
  });

  test('messages out of order', async () => {
    const client = new ScramClient(RFC7677.options);
    await assert.rejects(
      async () => client.clientFinal(RFC7677.serverFirst),
      failsWith('OutOfOrder'),
    );
    assert.throws(() => client.verifyServerFinal(RFC7677.serverFinal), failsWith('OutOfOrder'));
    client.clientFirst();
    assert.throws(() => client.clientFirst(), failsWith('OutOfOrder'));
    assert.throws(() => client.verifyServerFinal(RFC7677.serverFinal), failsWith('OutOfOrder'));
  });
});

describe('nonces, names and encodings', () => {
  test('the client nonce comes from the injected random source', async () => {
    const requested: number[] = [];
    const bytes = decodeBase64('fyko+d2lbbFgONRv9qkxdawL');
    assert.ok(bytes);
    const nonce = makeClientNonce((length) => {
      requested.push(length);
      return bytes;
    });
    assert.equal(nonce, 'fyko+d2lbbFgONRv9qkxdawL');
    assert.deepEqual(requested, [18]);
    assert.notEqual(makeClientNonce(), makeClientNonce());
    assert.match(makeClientNonce(), /^[A-Za-z0-9+/]{24}$/);
    // A random source that returns too little is not trusted.
    assert.throws(() => makeClientNonce(() => new Uint8Array(4)), failsWith('NoRandomSource'));
  });

  test('without crypto.getRandomValues it fails closed, never falling back to Math.random', () => {
    const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    assert.ok(original?.configurable);
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
    const mathRandom = Math.random;
    let mathRandomCalls = 0;
    Math.random = () => {
      mathRandomCalls++;
      return mathRandom();
    };
    try {
      assert.throws(() => defaultRandomBytes(18), failsWith('NoRandomSource'));
      assert.throws(() => makeClientNonce(), failsWith('NoRandomSource'));
      assert.equal(mathRandomCalls, 0);
    } finally {
      Math.random = mathRandom;
      Object.defineProperty(globalThis, 'crypto', original);
    }
    assert.equal(defaultRandomBytes(18).length, 18);
  });

  test("usernames escape ',' and '='; SASLprep maps spaces and normalises", () => {
    const client = new ScramClient({ ...RFC7677.options, username: 'a,b=c' });
    assert.equal(client.clientFirst(), 'n,,n=a=2Cb=3Dc,r=rOprNGfwEbeRWgbNEkqO');
    assert.equal(saslPrep('I\u00ADX'), 'IX'); // RFC 4013 §3 example: soft hyphen mapped to nothing
    assert.equal(saslPrep('\u00AA'), 'a'); // NFKC
    assert.equal(saslPrep('\u2168'), 'IX'); // NFKC
    assert.equal(saslPrep('pass\u00A0word'), 'pass word');
    assert.equal(saslPrep('a\u034Fb\uFE0Fc\u200Bd'), 'abcd'); // combining joiners and selectors
  });

  test('base64 round-trips and rejects non-canonical text', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = nodeRandomBytes(length);
      const text = encodeBase64(bytes);
      assert.equal(text, bytes.toString('base64'));
      assert.deepEqual(decodeBase64(text), new Uint8Array(bytes));
    }
    for (const bad of ['A', 'AB=', 'AB=C', 'AR==', 'ABC=A===', ' QQ==', 'QQ==\n', 'Q-==']) {
      assert.equal(decodeBase64(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('xmpp.js adapter', () => {
  interface Mechanism {
    name: string;
    clientFirst: boolean;
    response(credentials: { username: string; password: string }): string;
    challenge(text: string): unknown;
  }
  /** A stand-in for saslmechanisms' factory, holding xmpp.js's default registrations. */
  function fakeFactory(): SaslFactoryLike {
    return {
      _mechs: [
        { name: 'SCRAM-SHA-1', mech: 'stock' },
        { name: 'PLAIN', mech: 'plain' },
        { name: 'ANONYMOUS', mech: 'anonymous' },
      ],
      use(name, mech) {
        this._mechs.push({ name, mech });
        return this;
      },
    };
  }
  const success = (text?: string) => ({
    name: 'success',
    getNS: () => 'urn:ietf:params:xml:ns:xmpp-sasl',
    text: () => text ?? '',
    getChildText: () => null,
  });
  const sasl2Success = (additionalData: string) => ({
    name: 'success',
    getNS: () => 'urn:xmpp:sasl:2',
    text: () => '',
    getChildText: (name: string) => (name === 'additional-data' ? additionalData : null),
  });
  const fixedNonce = (nonce: string) => () => decodeBase64(nonce) ?? new Uint8Array();
  // RFC 5802's nonce is 18 bytes, ours too; RFC 7677's is shorter, so the adapter runs on RFC 5802.
  const credentials = { username: 'user', password: 'pencil' };

  async function login() {
    const saslFactory = fakeFactory();
    const entity = new EventEmitter();
    const scram = scramSasl(
      { saslFactory, entity },
      { randomBytes: fixedNonce(RFC5802.options.clientNonce) },
    );
    const entry = saslFactory._mechs.find((candidate) => candidate.name === 'SCRAM-SHA-1');
    const Mechanism = entry?.mech as new () => Mechanism;
    const mechanism = new Mechanism();
    assert.equal(mechanism.response(credentials), RFC5802.clientFirst);
    await mechanism.challenge(RFC5802.serverFirst);
    assert.equal(mechanism.response(credentials), RFC5802.clientFinal);
    return { saslFactory, entity, scram, mechanism };
  }

  test('replaces the stock SCRAM-SHA-1 and puts SCRAM first, bound before unbound, SHA-256 before SHA-1', async () => {
    const { saslFactory } = await login();
    assert.deepEqual(
      saslFactory._mechs.map((entry) => entry.name),
      [
        'SCRAM-SHA-256-PLUS',
        'SCRAM-SHA-1-PLUS',
        'SCRAM-SHA-256',
        'SCRAM-SHA-1',
        'PLAIN',
        'ANONYMOUS',
      ],
    );
    assert.ok(saslFactory._mechs.every((entry) => entry.mech !== 'stock'));
  });

  test('verifies the signature sent in <success/>', async () => {
    const { entity, scram } = await login();
    entity.emit('nonza', success(btoa(RFC5802.serverFinal)));
    scram.assertServerVerified();
  });

  test('verifies the signature in a SASL2 <success/>', async () => {
    const { entity, scram } = await login();
    entity.emit('nonza', sasl2Success(btoa(RFC5802.serverFinal)));
    scram.assertServerVerified();
    const tampered = await login();
    tampered.entity.emit('nonza', sasl2Success(btoa(`v=${encodeBase64(new Uint8Array(20))}`)));
    assert.throws(
      () => tampered.scram.assertServerVerified(),
      failsWith('ServerSignatureMismatch'),
    );
  });

  test('verifies the signature sent as a last challenge, then answers empty', async () => {
    const { entity, scram, mechanism } = await login();
    await mechanism.challenge(RFC5802.serverFinal);
    assert.equal(mechanism.response(credentials), '');
    entity.emit('nonza', success());
    scram.assertServerVerified();
  });

  test('a tampered or missing signature in <success/> fails the login', async () => {
    const tampered = await login();
    tampered.entity.emit('nonza', success(btoa(`v=${encodeBase64(new Uint8Array(20))}`)));
    assert.throws(
      () => tampered.scram.assertServerVerified(),
      failsWith('ServerSignatureMismatch'),
    );
    const missing = await login();
    missing.entity.emit('nonza', success());
    assert.throws(() => missing.scram.assertServerVerified(), failsWith('ServerSignatureMissing'));
    const garbage = await login();
    garbage.entity.emit('nonza', success('%%%'));
    assert.throws(() => garbage.scram.assertServerVerified(), failsWith('MalformedServerMessage'));
  });
});

/**
 * Runs `run` with every WebSocket it opens recording the frames the client sends and passing
 * the frames it receives through `rewrite` (a man in the middle, for the tampering test).
 */
async function onWatchedWebSocket<T>(
  run: () => Promise<T>,
  rewrite: (frame: string) => string = (frame) => frame,
): Promise<{ result: T; frames: string[] }> {
  const frames: string[] = [];
  const Original = globalThis.WebSocket;
  globalThis.WebSocket = class WatchedWebSocket extends Original {
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      frames.push(String(data));
      super.send(data);
    }
    override addEventListener(
      ...[type, listener, options]: Parameters<EventTarget['addEventListener']>
    ): void {
      if (type !== 'message' || typeof listener !== 'function') {
        super.addEventListener(type, listener, options);
        return;
      }
      super.addEventListener(
        type,
        (event) =>
          listener(
            new MessageEvent('message', { data: rewrite(String((event as MessageEvent).data)) }),
          ),
        options,
      );
    }
  };
  try {
    return { result: await run(), frames };
  } finally {
    globalThis.WebSocket = Original;
  }
}

describe('against a real Prosody (SCRAM-SHA-256 credentials)', () => {
  let server: ProsodyServer;
  before(async () => {
    server = await startProsody();
    trustCertificateAuthority(server.caCert);
    await server.createAccount('scram', 'scram-password ünïcode');
  });
  after(() => server?.stop());

  test('logs in with SCRAM-SHA-256 over wss, never sending PLAIN or the password', async () => {
    const requested: number[] = [];
    const { result: session, frames } = await onWatchedWebSocket(() =>
      openSession({
        service: server.websocketUrl,
        jid: 'scram@localhost',
        password: 'scram-password ünïcode',
        randomBytes: (length) => {
          requested.push(length);
          return new Uint8Array(nodeRandomBytes(length));
        },
      }),
    );
    try {
      assert.equal(session.mechanism, 'SCRAM-SHA-256');
      assert.match(session.jid, /^scram@localhost\//);
      assert.deepEqual(requested, [18], 'our mechanism drew the client nonce');
      const auths = frames.filter((frame) => frame.startsWith('<auth'));
      assert.equal(auths.length, 1);
      assert.match(auths[0] ?? '', /mechanism="SCRAM-SHA-256"/);
      const payload = atob(/>([^<]*)<\/auth>/.exec(auths[0] ?? '')?.[1] ?? '');
      assert.match(payload, /^n,,n=scram,r=[A-Za-z0-9+/]{24}$/);
      assert.ok(frames.every((frame) => !frame.includes('PLAIN')));
      assert.ok(frames.every((frame) => !frame.includes('scram-password')));
    } finally {
      await session.close();
    }
  });

  test('a wrong password is WrongPassword', async () => {
    await assert.rejects(
      openSession({ service: server.websocketUrl, jid: 'scram@localhost', password: 'wrong' }),
      (error) => isHushError(error, 'WrongPassword'),
    );
  });

  test('a random source that fails stops the login instead of weakening it', async () => {
    await assert.rejects(
      openSession({
        service: server.websocketUrl,
        jid: 'scram@localhost',
        password: 'scram-password ünïcode',
        randomBytes: () => new Uint8Array(0),
      }),
      failsWith('NoRandomSource'),
    );
  });

  test('a server signature altered on the wire fails the login although the server said success', async () => {
    const tamper = (frame: string) =>
      frame.replace(
        /(<success[^>]*>)([^<]+)(<\/success>)/,
        (_, open: string, data: string, close: string) => {
          const signature = decodeBase64(atob(data).slice(2)) ?? new Uint8Array(32);
          signature[0] = (signature[0] ?? 0) ^ 1;
          return `${open}${btoa(`v=${encodeBase64(signature)}`)}${close}`;
        },
      );
    await assert.rejects(
      onWatchedWebSocket(
        () =>
          openSession({
            service: server.websocketUrl,
            jid: 'scram@localhost',
            password: 'scram-password ünïcode',
          }),
        tamper,
      ),
      failsWith('ServerSignatureMismatch'),
    );
  });

  test('STARTTLS and direct TLS use SCRAM-SHA-256 too, bound to the TLS session (-PLUS)', async () => {
    for (const service of [
      `xmpp://localhost:${server.ports.c2s}`,
      `xmpps://localhost:${server.ports.c2sTls}`,
    ]) {
      const session = await openSession({
        service,
        jid: 'scram@localhost',
        password: 'scram-password ünïcode',
      });
      try {
        assert.equal(session.mechanism, 'SCRAM-SHA-256-PLUS', service);
      } finally {
        await session.close();
      }
    }
  });
});

describe('with SASL2, Bind 2 and FAST offered (the production configuration)', () => {
  let server: ProsodyServer;
  before(async () => {
    server = await startProsody({ settings: { COMMUNITY_MODULES: 'true' } });
    trustCertificateAuthority(server.caCert);
    await server.createAccount('scram', 'scram-password ünïcode');
  });
  after(() => server?.stop());

  test('the session opens only after the SCRAM exchange is verified, bound where TLS is reachable', async () => {
    for (const [service, mechanism] of [
      [server.websocketUrl, 'SCRAM-SHA-256'],
      [`xmpps://localhost:${server.ports.c2sTls}`, 'SCRAM-SHA-256-PLUS'],
      [`xmpp://localhost:${server.ports.c2s}`, 'SCRAM-SHA-256-PLUS'],
    ] as const) {
      const session = await openSession({
        service,
        jid: 'scram@localhost',
        password: 'scram-password ünïcode',
      });
      try {
        assert.equal(session.mechanism, mechanism, service);
      } finally {
        await session.close();
      }
    }
  });

  test('a server signature altered in the SASL2 <success/> fails the login', async () => {
    const tamper = (frame: string) =>
      frame.replace(
        /(<additional-data>)([^<]+)(<\/additional-data>)/,
        (_, open: string, data: string, close: string) => {
          const signature = decodeBase64(atob(data).slice(2)) ?? new Uint8Array(32);
          signature[0] = (signature[0] ?? 0) ^ 1;
          return `${open}${btoa(`v=${encodeBase64(signature)}`)}${close}`;
        },
      );
    await assert.rejects(
      onWatchedWebSocket(
        () =>
          openSession({
            service: server.websocketUrl,
            jid: 'scram@localhost',
            password: 'scram-password ünïcode',
            timeoutMs: 10_000,
          }),
        tamper,
      ),
      failsWith('ServerSignatureMismatch'),
    );
  });
});

describe('keys instead of the password', () => {
  let server: ProsodyServer;
  before(async () => {
    server = await startProsody({ settings: { COMMUNITY_MODULES: 'true' } });
    trustCertificateAuthority(server.caCert);
    await server.createAccount('keys', 'keys-password');
  });
  after(() => server?.stop());

  test('a login leaves SCRAM keys that log in again without the password, on every transport', async () => {
    const first = await openSession({
      service: server.websocketUrl,
      jid: 'keys@localhost',
      password: 'keys-password',
    });
    const keys = first.scramKeys;
    await first.close();
    assert.ok(keys);
    assert.equal(keys.hash, 'SHA-256');
    assert.ok(keys.iterations >= 4096);
    assert.equal(keys.clientKey.length, 32);
    assert.equal(keys.serverKey.length, 32);
    assert.ok(!JSON.stringify(keys).includes('keys-password'));
    for (const service of [
      server.websocketUrl,
      `xmpps://localhost:${server.ports.c2sTls}`,
      `xmpp://localhost:${server.ports.c2s}`,
    ]) {
      const again = await openSession({ service, jid: 'keys@localhost', scramKeys: keys });
      try {
        assert.match(again.mechanism, /^SCRAM-SHA-256/, service);
        assert.deepEqual(again.scramKeys, keys);
      } finally {
        await again.close();
      }
    }
  });

  test('keys that do not fit any more (password changed, or tampered) are WrongPassword, never a login', async () => {
    const session = await openSession({
      service: server.websocketUrl,
      jid: 'keys@localhost',
      password: 'keys-password',
    });
    const keys = session.scramKeys;
    assert.ok(keys);
    // Altered keys: the server refuses the proof.
    const wrong = { ...keys, clientKey: keys.clientKey.map((byte) => byte ^ 1) };
    await assert.rejects(
      openSession({ service: server.websocketUrl, jid: 'keys@localhost', scramKeys: wrong }),
      (error) => isHushError(error, 'WrongPassword'),
    );
    // A server key that is not the server's: its signature does not verify.
    const impostor = { ...keys, serverKey: keys.serverKey.map((byte) => byte ^ 1) };
    await assert.rejects(
      openSession({ service: server.websocketUrl, jid: 'keys@localhost', scramKeys: impostor }),
      failsWith('ServerSignatureMismatch'),
    );
    // A new password means a new salt: the saved keys are outdated.
    await changePassword(session, 'new-keys-password');
    await session.close();
    await assert.rejects(
      openSession({ service: server.websocketUrl, jid: 'keys@localhost', scramKeys: keys }),
      (error) =>
        error instanceof ScramError &&
        error.reason === 'KeysOutdated' &&
        isHushError(error, 'WrongPassword'),
    );
    await assert.rejects(
      openSession({ service: server.websocketUrl, jid: 'keys@localhost' }),
      (error) => isHushError(error, 'WrongPassword'),
    );
  });
});

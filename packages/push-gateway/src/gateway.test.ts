// Push end to end with real parts: Prosody with mod_cloud_notify, the gateway as its component,
// core's Push on each device, and a local HTTPS stand-in for the Expo push service, Web Push and
// UnifiedPush endpoints (the vendors' own cannot be reached from here). What a push service
// receives is checked as it would check it: the VAPID JWT verified, the RFC 8291 payload decrypted
// with the subscription's keys, and nothing of the message (body, sender) anywhere in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  startProsody,
  trustCertificateAuthority,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import {
  openSession,
  Push,
  memoryPushState,
  type PushStateStore,
  type PushTarget,
  type XmppSession,
} from '@hush/core';
import xml from '@xmpp/xml';
import { component } from '@xmpp/component';
import {
  keepSocketErrorsHandled,
  startGateway,
  type Gateway,
  type GatewayEvent,
} from './gateway.ts';
import { RegistrationStore } from './store.ts';
import { expoProvider } from './providers/expo.ts';
import { generateVapidKeys, unifiedPushProvider, webPushProvider } from './providers/web-push.ts';
import { createLogger } from './log.ts';
import {
  decryptWebPush,
  startPushServiceStandIn,
  subscriptionKeys,
  verifyVapid,
  type PushServiceStandIn,
} from './push-service-stand-in.ts';

const PASSWORD = 'push-test-password';
const BODY = 'the words only alice and bob may read';
const secret = randomBytes(32).toString('base64url');
const vapid = { ...generateVapidKeys(), subject: 'mailto:postmaster@localhost' };
let server: ProsodyServer;
let standIn: PushServiceStandIn;
let stateDir: string;
let gateway: Gateway;
let store: RegistrationStore;
const events: GatewayEvent[] = [];
const infoLog: string[] = [];
const pushStates = new Map<string, PushStateStore>();
let alice: XmppSession;

async function startTestGateway(): Promise<void> {
  store = new RegistrationStore(join(stateDir, 'registrations.sqlite'));
  gateway = await startGateway({
    domain: 'localhost',
    service: `xmpp://127.0.0.1:${server.ports.component}`,
    secret,
    store,
    providers: {
      expo: await expoProvider({ baseUrl: standIn.url }),
      webpush: webPushProvider(vapid),
      unifiedpush: unifiedPushProvider(vapid),
    },
    vapidPublicKey: vapid.publicKey,
    // Every wake-up counts here; the limit has a test of its own.
    rateLimit: { intervalMs: 0, perHour: 1000 },
    // The stand-in answers on this machine.
    allowPrivateEndpoints: true,
    log: createLogger('info', (line) => infoLog.push(line)),
  });
  gateway.subscribe((event) => events.push(event));
}

const login = (name: string) =>
  openSession({
    service: server.websocketUrl,
    jid: `${name}@localhost`,
    password: PASSWORD,
    resource: `${name}-phone`,
  });

/** Logs `name` in, runs `work` with its Push, and logs out: the device is away afterwards. */
async function onDevice(name: string, work: (push: Push) => Promise<void>): Promise<void> {
  const session = await login(name);
  const state = pushStates.get(name) ?? memoryPushState();
  pushStates.set(name, state);
  try {
    await work(new Push({ session, state }));
  } finally {
    await session.close();
  }
}

const webPushTarget = (path: string, keys = subscriptionKeys()) => ({
  subscription: keys,
  target: { provider: 'webpush', endpoint: `${standIn.url}${path}`, keys: keys.keys } as PushTarget,
});

const sendFromAlice = (to: string, ...children: ReturnType<typeof xml>[]) =>
  alice.send(
    xml(
      'message',
      { to: `${to}@localhost`, type: 'chat', id: randomBytes(6).toString('hex') },
      ...children,
    ),
  );
function first<T>(items: readonly T[]): T {
  const [item] = items;
  assert.ok(item !== undefined, 'nothing there');
  return item;
}
async function registrationOf(name: string) {
  const registration = await pushStates.get(name)?.load();
  assert.ok(registration, `${name} has push on`);
  return registration;
}
const requestsTo = (path: string) => standIn.requests.filter((request) => request.path === path);

/**
 * Prosody handles alice's stanzas in order and sends its publishes to the gateway in order: once
 * erin's wake-up has arrived, every publish caused before it has reached the gateway, and idle()
 * waits for their answers.
 */
async function settle(): Promise<void> {
  const before = requestsTo('/up/erin').length;
  await sendFromAlice('erin', xml('body', {}, 'sentinel'));
  await until(() => requestsTo('/up/erin').length > before, "erin's wake-up");
  await gateway.idle();
}

before(async () => {
  server = await startProsody({ push: { gatewaySecret: secret } });
  trustCertificateAuthority(server.caCert);
  const certDir = dirname(server.caFile);
  standIn = await startPushServiceStandIn({
    cert: await readFile(join(certDir, 'localhost.crt'), 'utf8'),
    key: await readFile(join(certDir, 'localhost.key'), 'utf8'),
  });
  stateDir = await mkdtemp(join(tmpdir(), 'hush-push-gateway-'));
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus'])
    await server.createAccount(name, PASSWORD);
  await startTestGateway();
  alice = await login('alice');
  await onDevice('erin', (push) =>
    push
      .enable({ provider: 'unifiedpush', endpoint: `${standIn.url}/up/erin` })
      .then(() => undefined),
  );
});

after(async () => {
  await alice?.close();
  await gateway?.stop();
  await standIn?.close();
  await server?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

let carolSubscription: ReturnType<typeof subscriptionKeys>;

test('a message to a device that is away wakes it once through its push service, saying nothing of the message', async () => {
  await onDevice('bob', async (push) => {
    await push.enable({ provider: 'expo', endpoint: 'ExponentPushToken[bob-token-0123456789]' });
  });
  await onDevice('carol', async (push) => {
    assert.equal(await push.vapidPublicKey(), vapid.publicKey, 'the key a browser subscribes with');
    const { subscription, target } = webPushTarget('/wp/carol');
    carolSubscription = subscription;
    await push.enable(target);
  });
  await onDevice('dave', async (push) => {
    await push.enable({ provider: 'unifiedpush', endpoint: `${standIn.url}/up/dave` });
  });

  // A chat state is not worth waking anyone for; a message with a body, or OMEMO without one, is.
  await sendFromAlice('bob', xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }));
  await sendFromAlice('bob', xml('body', {}, BODY));
  await sendFromAlice(
    'carol',
    xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('header', { sid: '7' })),
    xml('store', { xmlns: 'urn:xmpp:hints' }),
  );
  await sendFromAlice('dave', xml('body', {}, BODY));
  await settle();

  const expo = requestsTo('/--/api/v2/push/send');
  const carol = requestsTo('/wp/carol');
  const dave = requestsTo('/up/dave');
  assert.deepEqual([expo.length, carol.length, dave.length], [1, 1, 1], 'one wake-up each');
  assert.ok(
    events.some((event) => event.type === 'quiet'),
    'the chat state was published, and not sent on',
  );

  const [expoMessage] = JSON.parse(first(expo).body.toString()) as Record<string, unknown>[];
  assert.equal(expoMessage?.to, 'ExponentPushToken[bob-token-0123456789]');
  assert.equal(expoMessage?.body, 'New message');
  assert.deepEqual(expoMessage?.data, { type: 'message' });

  const webPush = first(carol);
  assert.equal(webPush.headers['content-encoding'], 'aes128gcm');
  assert.equal(webPush.headers.urgency, 'high');
  assert.ok(Number(webPush.headers.ttl) > 0);
  const { claims, publicKey } = verifyVapid(
    webPush.headers.authorization as string,
    `${standIn.url}/wp/carol`,
  );
  assert.equal(publicKey, vapid.publicKey);
  assert.equal(claims.sub, 'mailto:postmaster@localhost');
  assert.equal(decryptWebPush(webPush.body, carolSubscription), '{"type":"message"}');

  assert.equal(first(dave).body.toString(), '{"type":"message"}');

  for (const request of [...expo, ...carol, ...dave]) {
    const seen = JSON.stringify(request.headers) + request.body.toString('latin1');
    assert.ok(
      !seen.includes(BODY) && !seen.includes('alice'),
      `nothing of the message in ${request.path}`,
    );
  }
  const log = infoLog.join('\n');
  for (const secretThing of ['bob', 'carol', 'dave', 'ExponentPushToken', standIn.url])
    assert.ok(
      !log.includes(secretThing),
      `the info log names no account or endpoint (${secretThing})`,
    );
});

test('a phone is woken in the words it registered with, and in new ones after a change of language', async () => {
  const token = 'ExponentPushToken[gus-token-0123456789]';
  const russian = { title: 'Hush', body: 'Новое сообщение' };
  const expoTo = (to: string) =>
    requestsTo('/--/api/v2/push/send')
      .map((request) => first(JSON.parse(request.body.toString()) as Record<string, unknown>[]))
      .filter((message) => message.to === to);
  await onDevice('gus', (push) =>
    push.enable({ provider: 'expo', endpoint: token, words: russian }).then(() => undefined),
  );
  await sendFromAlice('gus', xml('body', {}, BODY));
  await settle();
  const [woken] = expoTo(token);
  assert.deepEqual([woken?.title, woken?.body], [russian.title, russian.body]);
  assert.deepEqual(woken?.data, { type: 'message' });
  assert.deepEqual(
    [first(expoTo('ExponentPushToken[bob-token-0123456789]')).body],
    ['New message'],
    'a phone that gave no words is woken in English',
  );

  // Switched to English: registered again with the new words, the old node forgotten.
  const old = await registrationOf('gus');
  const english = { title: 'Hush', body: 'New message' };
  await onDevice('gus', (push) =>
    push.enable({ provider: 'expo', endpoint: token, words: english }).then(() => undefined),
  );
  assert.equal(store.get(old.node), undefined, 'the gateway forgot the old node');
  assert.deepEqual(store.get((await registrationOf('gus')).node)?.words, english);
  await sendFromAlice('gus', xml('body', {}, BODY));
  await settle();
  const wakes = expoTo(token);
  assert.equal(wakes.length, 2, 'one wake-up per message, none through the old node');
  assert.equal(wakes[1]?.body, 'New message');
});

test('after log-out (push disabled) a message wakes nothing; a new token replaces the old one', async () => {
  await onDevice('bob', (push) => push.disable());
  assert.equal(await pushStates.get('bob')?.load(), undefined);
  const before = requestsTo('/--/api/v2/push/send').length;
  await sendFromAlice('bob', xml('body', {}, BODY));
  await settle();
  assert.equal(requestsTo('/--/api/v2/push/send').length, before, 'no wake-up after log-out');

  // Carol's browser gets a new subscription: the old endpoint is disabled and forgotten.
  const old = await registrationOf('carol');
  const renewed = webPushTarget('/wp/carol-2');
  await onDevice('carol', (push) => push.enable(renewed.target).then(() => undefined));
  assert.equal(store.get(old.node), undefined, 'the gateway forgot the old endpoint');
  await sendFromAlice('carol', xml('body', {}, BODY));
  await settle();
  assert.equal(requestsTo('/wp/carol').length, 1, 'the old endpoint is not woken again');
  const wake = first(requestsTo('/wp/carol-2'));
  assert.equal(decryptWebPush(wake.body, renewed.subscription), '{"type":"message"}');
});

test('an endpoint its push service no longer knows (410, DeviceNotRegistered) is dropped', async () => {
  const dave = await registrationOf('dave');
  standIn.answer('/up/dave', 410);
  await sendFromAlice('dave', xml('body', {}, BODY));
  await until(() => store.get(dave.node) === undefined, "dave's registration dropped");

  await onDevice('fay', (push) =>
    push
      .enable({ provider: 'expo', endpoint: 'ExponentPushToken[fay-token-0123456789]' })
      .then(() => undefined),
  );
  const fay = await registrationOf('fay');
  standIn.answer('expo-ticket', 410);
  await sendFromAlice('fay', xml('body', {}, BODY));
  await until(() => store.get(fay.node) === undefined, "fay's registration dropped");
  assert.equal(events.filter((event) => event.type === 'gone').length, 2);
});

test('registrations survive a restart of the gateway', async () => {
  await gateway.stop();
  await startTestGateway();
  const before = requestsTo('/wp/carol-2').length;
  // Prosody notices the component back within its reconnect; the publish waits for nothing else.
  await until(
    async () => {
      await sendFromAlice('carol', xml('body', {}, BODY));
      return until(() => requestsTo('/wp/carol-2').length > before, 'a wake-up', 2_000).catch(
        () => false,
      );
    },
    'a wake-up after the restart',
    30_000,
  );
});

test('only the server publishes, and only its accounts register', async () => {
  const carol = await registrationOf('carol');
  const forged = xml(
    'iq',
    { type: 'set', to: gateway.address },
    xml(
      'pubsub',
      { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml(
        'publish',
        { node: carol.node },
        xml('item', {}, xml('notification', { xmlns: 'urn:xmpp:push:0' })),
      ),
    ),
  );
  await assert.rejects(
    alice.request(forged),
    (error: { condition?: string }) => error.condition === 'forbidden',
  );
  const bad = xml(
    'iq',
    { type: 'set', to: gateway.address },
    xml(
      'register',
      { xmlns: 'urn:hush:push:0', provider: 'webpush' },
      xml('endpoint', {}, 'http://127.0.0.1/'),
    ),
  );
  await assert.rejects(
    alice.request(bad),
    (error: { condition?: string }) => error.condition === 'bad-request',
  );
});

test('a socket the component lets go of keeps an error listener: its later reset ends nothing', async () => {
  const xmpp = component({
    service: `xmpp://127.0.0.1:${server.ports.component}`,
    domain: 'push.localhost',
    password: secret,
  });
  keepSocketErrorsHandled(xmpp);
  xmpp.on('error', () => undefined);
  const connection = xmpp as unknown as {
    connect(service: string): Promise<void>;
    socket: { emit(event: 'error', error: Error): boolean; destroy?(): void };
    _detachSocket(): void;
  };
  await connection.connect(`xmpp://127.0.0.1:${server.ports.component}`);
  const socket = connection.socket;
  // As xmpp.js lets go of a socket: its own error listener goes with it. Without another, the
  // reset below would be thrown (an unhandled 'error' ends the process).
  connection._detachSocket();
  assert.doesNotThrow(() => socket.emit('error', new Error('read ECONNRESET')));
  socket.destroy?.();
});

// The app's account against a real Prosody: what it does when the connection comes back on a new
// stream after the server restarted under it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  changePassword,
  createMemoryStorage,
  encryptFile,
  openSession,
  type SavedLogin,
  type Storage,
} from '@hush/core';
import {
  startProsody,
  trustCertificateAuthority,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import type { KeptFiles, Platform } from '../platform/types.ts';
import { AccountController } from './account.ts';
import { offlinePlatform } from '../platform/offline-platform.ts';

const PASSWORD = 'account-test-password';
let server: ProsodyServer;
const controllers: AccountController[] = [];

/** The platform of a device with memory storage, on this test's server. */
function testPlatform(
  storage: Storage,
  logins = new Map<string, SavedLogin>(),
  legacy = new Map<string, string>(),
): Platform {
  const files = new Map<string, Uint8Array>();
  const keptFiles: KeptFiles = {
    read: async (url) => files.get(url),
    write: async (url, bytes) => void files.set(url, bytes),
  };
  const vault: Platform['vault'] = () => ({
    load: async (jid) => logins.get(jid),
    save: async (jid, login) => void logins.set(jid, login),
    forget: async (jid) => void logins.delete(jid),
    legacyPassword: async (jid) => legacy.get(jid),
    eraseLegacyPassword: async (jid) => void legacy.delete(jid),
  });
  return offlinePlatform({
    name: 'native',
    openStorage: async () => storage,
    keptFiles,
    vault,
    defaultService: () => server.websocketUrl,
    playableUri: async () => ({ uri: 'file:///none', release: () => undefined }),
  });
}

describe('AccountController after a server restart', { timeout: 120_000 }, () => {
  before(async () => {
    server = await startProsody();
    trustCertificateAuthority(server.caCert);
  });
  after(async () => {
    for (const controller of controllers) await controller.close();
    await server?.stop();
  });

  it('sends a file the cut connection left half-sent once it is connected again', async () => {
    const jid = await server.createAccount('dana', PASSWORD);
    const peer = await server.createAccount('eve', PASSWORD);
    const storage = createMemoryStorage();
    const controller = new AccountController(testPlatform(storage));
    controllers.push(controller);
    await controller.start();
    await controller.logIn({ jid, password: PASSWORD });
    assert.equal(controller.getSnapshot().phase, 'online', controller.getSnapshot().error?.message);

    // A voice message whose upload the cut connection interrupted: encrypted and kept, not sent.
    const { ciphertext, key, iv } = encryptFile(new TextEncoder().encode('a voice message'));
    const id = globalThis.crypto.randomUUID();
    await storage.uploads.put({
      id,
      account: jid,
      peer,
      ciphertext,
      key,
      iv,
      createdAt: Date.now(),
      attempts: 1,
    });

    await server.restart();
    await until(
      () => controller.getSnapshot().phase === 'offline',
      'the app to see the cut',
      30_000,
    );
    await until(() => controller.getSnapshot().phase === 'online', 'the app back online', 60_000);
    // Out with the connection that came back, not only at the next start of the app.
    await until(
      async () => (await storage.uploads.list(jid)).length === 0,
      'the half-sent file to be sent',
      30_000,
    );
    const message = await storage.messages.get(jid, id);
    assert.match(message?.body ?? '', /^aesgcm:\/\//);
  });
});

describe('AccountController: a saved login, never the password', { timeout: 120_000 }, () => {
  before(async () => {
    server = await startProsody({ settings: { COMMUNITY_MODULES: 'true' } });
    trustCertificateAuthority(server.caCert);
  });
  after(async () => {
    for (const controller of controllers.splice(0)) await controller.close();
    await server?.stop();
  });

  const started = async (platform: Platform) => {
    const controller = new AccountController(platform);
    controllers.push(controller);
    await controller.start();
    return controller;
  };

  it('logs in with the password once, then starts from the saved login (FAST), also after a server restart', async () => {
    const jid = await server.createAccount('fran', PASSWORD);
    const storage = createMemoryStorage();
    const logins = new Map<string, SavedLogin>();
    const first = await started(testPlatform(storage, logins));
    await first.logIn({ jid, password: PASSWORD });
    assert.equal(first.getSnapshot().phase, 'online', first.getSnapshot().error?.message);
    await first.close();
    const saved = logins.get(jid);
    assert.ok(saved?.scram && saved.fast);
    assert.equal((await storage.accounts.get(jid))?.password, undefined);
    assert.ok(!JSON.stringify([...logins.values()]).includes(PASSWORD));

    await server.restart();
    const again = await started(testPlatform(storage, logins));
    await until(() => again.getSnapshot().phase === 'online', 'the app online', 30_000);
    assert.equal(again.current?.session.mechanism, 'HT-SHA-256-NONE');
  });

  it("migrates an older version's kept password to a saved login and erases it", async () => {
    const jid = await server.createAccount('gil', PASSWORD);
    const storage = createMemoryStorage();
    await storage.accounts.put({ jid, service: server.websocketUrl, resource: 'hush-old' });
    const logins = new Map<string, SavedLogin>();
    const legacy = new Map([[jid, PASSWORD]]);
    const controller = await started(testPlatform(storage, logins, legacy));
    await until(() => controller.getSnapshot().phase === 'online', 'the app online', 30_000);
    assert.equal(legacy.size, 0);
    assert.ok(logins.get(jid)?.scram);
  });

  it('shows the password prompt (WrongPassword) when the password changed on another device', async () => {
    const jid = await server.createAccount('hal', PASSWORD);
    const storage = createMemoryStorage();
    const logins = new Map<string, SavedLogin>();
    const first = await started(testPlatform(storage, logins));
    await first.logIn({ jid, password: PASSWORD });
    await first.close();
    // Prosody dates a password change in whole seconds and keeps tokens issued in that same second.
    const tokenSecond = Math.floor(Date.now() / 1000);
    await until(() => Math.floor(Date.now() / 1000) > tokenSecond, 'the next second', 2_000);
    // Changed on another device: a new salt, and the token predates it.
    const elsewhere = await openSession({ service: server.websocketUrl, jid, password: PASSWORD });
    await changePassword(elsewhere, `${PASSWORD}-2`);
    await elsewhere.close();
    const again = await started(testPlatform(storage, logins));
    await until(() => again.getSnapshot().phase === 'signedOut', 'the password prompt', 30_000);
    assert.equal(again.getSnapshot().error?.code, 'WrongPassword');
    assert.equal(again.getSnapshot().jid, jid);
  });
});

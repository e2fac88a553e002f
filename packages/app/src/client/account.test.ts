// The app's account against a real Prosody: what it does when the connection comes back on a new
// stream after the server restarted under it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStorage, encryptFile, type Storage } from '@hush/core';
import {
  startProsody,
  trustCertificateAuthority,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import type { KeptFiles, Platform } from '../platform/types.ts';
import { AccountController } from './account.ts';

const PASSWORD = 'account-test-password';
let server: ProsodyServer;
const controllers: AccountController[] = [];

/** The platform of a device with memory storage, on this test's server. */
function testPlatform(storage: Storage): Platform {
  const passwords = new Map<string, string>();
  const files = new Map<string, Uint8Array>();
  const keptFiles: KeptFiles = {
    read: async (url) => files.get(url),
    write: async (url, bytes) => void files.set(url, bytes),
  };
  return {
    name: 'native',
    openStorage: async () => storage,
    deleteStorage: async () => undefined,
    keptFiles,
    vault: () => ({
      load: async (jid) => passwords.get(jid),
      save: async (jid, password) => void passwords.set(jid, password),
      forget: async (jid) => void passwords.delete(jid),
    }),
    defaultService: () => server.websocketUrl,
    readRecording: async () => new Uint8Array(),
    playableUri: async () => ({ uri: 'file:///none', release: () => undefined }),
    initialInvite: async () => undefined,
    forgetInitialInvite: () => undefined,
    notifications: {
      access: () => 'unsupported',
      request: async () => 'unsupported',
      show: () => undefined,
    },
    showUnread: () => undefined,
    pickFile: async () => undefined,
    saveFile: async () => undefined,
  };
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

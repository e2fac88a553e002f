// First contact with Converse.js 14 (its released build from the npm registry, with its own OMEMO
// library) in Chromium, both ways, between accounts that are not each other's contacts: Hush writes
// first to a Converse user, and a Converse user writes first to Hush. Converse publishes its bundle
// with signedPreKeyId='0', which Hush must accept. The Hush side is the core library in this process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import xml from '@xmpp/xml';
import { conversePage, repoRoot, trustCertificateAuthority, until } from '@hush/test-utils';
import { testClients } from '@hush/test-utils/sessions';
import { bundleNode, fetchDeviceList, type HushClient, type Storage } from '@hush/core';
import {
  fetchBundle as fetchOmemo2Bundle,
  fetchDeviceList as fetchOmemo2Devices,
} from '../packages/core/src/omemo2/pep.ts';
import { openProfile, startStack, type Stack, untilConverseSeesDevice } from './harness.ts';

const password = 'first contact with converse';
let stack: Stack;
let shots: string;
const contexts: BrowserContext[] = [];
const clients = testClients(() => stack.prosody);

async function converse(name: string): Promise<Page> {
  const folder = join(shots, 'page', name);
  await mkdir(folder, { recursive: true });
  const websocketUrl = `${stack.url.replace(/^https/, 'wss')}xmpp-websocket`;
  await writeFile(
    join(folder, 'index.html'),
    conversePage({ websocketUrl, jid: `${name}@localhost`, password }),
  );
  await stack.prosody.createAccount(name, password);
  const context = await openProfile(stack);
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  // DEBUG_CONVERSE=1 shows what Converse logs.
  if (process.env.DEBUG_CONVERSE) {
    page.on('console', (m) => console.error(`converse ${m.type()}: ${m.text()}`));
  }
  await page.goto(`${stack.url}converse-page/${name}/index.html`);
  await page.waitForFunction(
    'window.hushTest && window.hushTest.api.connection.connected()',
    undefined,
    { timeout: 30_000 },
  );
  return page;
}

async function hush(name: string): Promise<{ client: HushClient; storage: Storage }> {
  await stack.prosody.createAccount(name, password);
  return clients.start(`${name}@localhost`, password);
}

/** The text of Converse's decrypted message with this plaintext from `peer`, waiting for it. */
async function converseReceived(page: Page, peer: string, text: string) {
  const handle = await page.waitForFunction(
    `(() => {
      const boxes = window.hushTest.state?.chatboxes ?? window.hushTest.chatboxes;
      // Converse keeps the decrypted text as 'plaintext' beside the fallback body.
      const message = boxes?.get(${JSON.stringify(peer)})?.messages.findWhere({
        plaintext: ${JSON.stringify(text)},
      });
      return message
        ? { encrypted: !!message.get('is_encrypted'), namespace: message.get('encryption_namespace') }
        : undefined;
    })()`,
    undefined,
    { timeout: 30_000, polling: 100 },
  );
  return (await handle.jsonValue()) as { encrypted: boolean; namespace: string };
}

describe('first contact with Converse.js', { timeout: 240_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-converse-first-'));
    console.log(`screenshots: ${shots}`);
    stack = await startStack({
      folders: {
        '/converse/': join(repoRoot, 'node_modules/converse.js'),
        '/converse-page/': join(shots, 'page'),
      },
    });
    trustCertificateAuthority(stack.prosody.caCert);
  });

  after(async () => {
    await clients.closeAll();
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
  });

  it('Hush writes first to a Converse.js user who is not a contact', async () => {
    const page = await converse('conv1');
    const hana = await hush('hana');
    // Converse publishes its device list and bundle once its OMEMO store is ready.
    const deviceId = await until(
      async () => (await fetchDeviceList(hana.client.session, 'conv1@localhost'))[0],
      'the device list of Converse.js',
      30_000,
    );
    const bundle = await hana.client.session.request(
      xml(
        'iq',
        { type: 'get', to: 'conv1@localhost' },
        xml(
          'pubsub',
          { xmlns: 'http://jabber.org/protocol/pubsub' },
          xml('items', { node: bundleNode(deviceId) }),
        ),
      ),
    );
    const signedId = bundle
      .getChild('pubsub')
      ?.getChild('items')
      ?.getChild('item')
      ?.getChild('bundle')
      ?.getChild('signedPreKeyPublic')?.attrs.signedPreKeyId;
    console.log(`Converse.js signed prekey id: ${signedId}`);
    // Converse.js 14 publishes OMEMO 2 too: Hush reads its device list and bundle.
    const [omemo2Device] = await until(
      async () => {
        const devices = await fetchOmemo2Devices(hana.client.session, 'conv1@localhost');
        return devices.length > 0 && devices;
      },
      'the OMEMO 2 device list of Converse.js',
      30_000,
    );
    assert.ok(omemo2Device);
    const omemo2Bundle = await fetchOmemo2Bundle(
      hana.client.session,
      'conv1@localhost',
      omemo2Device.id,
    );
    assert.ok(omemo2Bundle.preKeys.length > 0);

    const sent = await hana.client.messenger.sendText('conv1@localhost', 'Hush writes first');
    const stored = await hana.storage.messages.get(sent.account, sent.id);
    assert.notEqual(stored?.state, 'failed', stored?.failure?.message);
    assert.deepEqual(await converseReceived(page, 'hana@localhost', 'Hush writes first'), {
      encrypted: true,
      namespace: 'urn:xmpp:omemo:2',
    });

    await page.evaluate(`(async () => {
      const chat = await window.hushTest.api.chats.get('hana@localhost');
      chat.save({ omemo_active: true });
      await chat.sendMessage({ body: 'Converse answers' });
    })()`);
    const answer = await until(
      async () =>
        (
          await hana.storage.messages.history('hana@localhost', 'conv1@localhost', { limit: 10 })
        ).find((m) => m.direction === 'in' && (m.body === 'Converse answers' || m.failure)),
      'the answer from Converse.js',
      30_000,
    );
    assert.equal(answer.body, 'Converse answers', answer.failure?.message);
    assert.equal(answer.encrypted, true);
    await page.screenshot({ path: join(shots, '01-hush-first.png') });
  });

  it('a Converse.js user writes first to Hush, who is not a contact', async () => {
    const hugo = await hush('hugo');
    const page = await converse('conv2');
    await untilConverseSeesDevice(page, 'hugo@localhost');
    await page.evaluate(`(async () => {
      const chat = await window.hushTest.api.chats.open('hugo@localhost', {}, true);
      chat.save({ omemo_active: true });
      await chat.sendMessage({ body: 'Converse writes first' });
    })()`);
    const first = await until(
      async () =>
        (
          await hugo.storage.messages.history('hugo@localhost', 'conv2@localhost', { limit: 10 })
        ).find((m) => m.direction === 'in' && (m.body === 'Converse writes first' || m.failure)),
      'the first message from Converse.js',
      30_000,
    );
    assert.equal(first.body, 'Converse writes first', first.failure?.message);
    assert.equal(first.encrypted, true);

    const sent = await hugo.client.messenger.sendText('conv2@localhost', 'Hush answers');
    const stored = await hugo.storage.messages.get(sent.account, sent.id);
    assert.notEqual(stored?.state, 'failed', stored?.failure?.message);
    assert.deepEqual(await converseReceived(page, 'hugo@localhost', 'Hush answers'), {
      encrypted: true,
      namespace: 'urn:xmpp:omemo:2',
    });
    await page.screenshot({ path: join(shots, '02-converse-first.png') });
  });
});

// Interoperability with another XMPP web client: Converse.js (its released build from the npm
// registry, with its own OMEMO library) in one Chromium profile, the Hush web app in another, on the
// same server. Messages go both ways end-to-end encrypted with OMEMO 2 (both publish it): each side
// decrypts the other's, Converse's read marker (sent inside OMEMO 2) shows, and the server's archive
// holds ciphertext only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { conversePage, repoRoot } from '@hush/test-utils';
import {
  openProfile,
  signUpWithInvite,
  startStack,
  wordsFor,
  type Stack,
  untilConverseSeesDevice,
} from './harness.ts';

const password = 'talks to converse';
/** The app's words in the browsers' language (HUSH_LOCALE: the suite runs in English and Russian). */
const t = wordsFor();
let stack: Stack;
let shots: string;
const contexts: BrowserContext[] = [];
let alice: Page;
let converse: Page;

/** Everything below `dir`, as text: what the server keeps on disk. */
async function serverFiles(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'latin1');
  }
  return text;
}

describe('Hush and Converse.js', { timeout: 240_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-converse-'));
    console.log(`screenshots: ${shots}`);
    const page = join(shots, 'page');
    stack = await startStack({
      folders: {
        '/converse/': join(repoRoot, 'node_modules/converse.js'),
        '/converse-page/': page,
      },
    });
    await mkdir(page);
    const websocketUrl = `${stack.url.replace(/^https/, 'wss')}xmpp-websocket`;
    await writeFile(
      join(page, 'index.html'),
      conversePage({
        websocketUrl,
        jid: 'conv@localhost',
        password,
        settings: { auto_subscribe: true },
      }),
    );
    await stack.prosody.createAccount('conv', password);

    for (let i = 0; i < 2; i++) contexts.push(await openProfile(stack));
    const [aliceContext, converseContext] = contexts as [BrowserContext, BrowserContext];
    alice = aliceContext.pages()[0] ?? (await aliceContext.newPage());
    converse = converseContext.pages()[0] ?? (await converseContext.newPage());
    for (const p of [alice, converse]) {
      p.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    }
    // DEBUG_CONVERSE=1 shows what Converse logs.
    if (process.env.DEBUG_CONVERSE) {
      converse.on('console', (m) => console.error(`converse ${m.type()}: ${m.text()}`));
    }
    await signUpWithInvite(alice, stack, 'alice', password);
    await converse.goto(`${stack.url}converse-page/index.html`);
    await converse.waitForFunction(
      'window.hushTest && window.hushTest.api.connection.connected()',
      undefined,
      { timeout: 30_000 },
    );
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
  });

  it('Converse.js writes to Hush and Hush answers, OMEMO-encrypted both ways', async () => {
    // Alice adds the Converse user, which accepts (auto_subscribe) and writes first, with OMEMO.
    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('conv@localhost');
    await alice.getByTestId('add-contact').click();
    await alice.getByTestId('composer-input').waitFor();
    await untilConverseSeesDevice(converse, 'alice@localhost');
    await converse.evaluate(`(async () => {
      const chat = await window.hushTest.api.chats.open('alice@localhost', {}, true);
      window.hushChat = chat;
      chat.save({ omemo_active: true });
      await chat.sendMessage({ body: 'Hello from Converse' });
    })()`);
    await alice.getByText('Hello from Converse').waitFor({ timeout: 30_000 });
    assert.equal(await alice.getByTestId('unencrypted').count(), 0, 'decrypted OMEMO');
    assert.equal(await alice.getByTestId('undecryptable').count(), 0);

    await alice.getByTestId('composer-input').fill('Hello from Hush');
    await alice.getByTestId('send-button').click();
    const received = (await (
      await converse.waitForFunction(
        `(() => {
          // Converse keeps the decrypted text as 'plaintext' beside the fallback body.
          const message = window.hushChat.messages.findWhere({ plaintext: 'Hello from Hush' });
          return message
            ? {
                encrypted: !!message.get('is_encrypted'),
                namespace: message.get('encryption_namespace'),
              }
            : undefined;
        })()`,
        undefined,
        { timeout: 30_000 },
      )
    ).jsonValue()) as { encrypted: boolean; namespace: string };
    assert.deepEqual(
      received,
      { encrypted: true, namespace: 'urn:xmpp:omemo:2' },
      'Converse decrypted an OMEMO 2 message (both publish OMEMO 2: the newest both speak)',
    );
    await converse.getByText('Hello from Hush').first().waitFor();
    await converse.screenshot({ path: join(shots, '01-converse.png') });
    await alice.screenshot({ path: join(shots, '02-hush.png') });

    const archived = await serverFiles(stack.prosody.dataDir);
    assert.ok(archived.includes('urn:xmpp:omemo:2'), 'OMEMO on the server');
    assert.ok(!archived.includes('Hello from Converse'), 'no clear text from Converse');
    assert.ok(!archived.includes('Hello from Hush'), 'no clear text from Hush');
  });

  it("Converse.js's displayed marker for Hush's OMEMO 2 message (sent inside OMEMO 2) shows it as read", async () => {
    await alice.getByLabel(t('message.state.read')).last().waitFor({ timeout: 20_000 });
  });
});

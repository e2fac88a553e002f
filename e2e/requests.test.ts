// Strangers, downloads and accessibility in the web app, in the browser's language (HUSH_LOCALE:
// the suite runs once in English and once in Russian). Someone not in Alice's contacts who writes
// first is a request, not a chat: she reads it, then blocks one stranger (nothing more from them
// shows) and adds another (who joins the chats). A file that came with a name downloads under it.
// axe-core finds nothing wrong on each main screen: onboarding, the chat list (with a request), a
// chat, a contact's details and settings.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xml from '@xmpp/xml';
import type { BrowserContext, Page } from 'playwright-core';
import {
  FileSender,
  createMemoryStorage,
  encryptFile,
  formatAesgcmUrl,
  openSession,
  startClient,
  uploadFile,
  type HushClient,
  type XmppSession,
} from '@hush/core';
import { tone, trustCertificateAuthority } from '@hush/test-utils';
import {
  defaultLocale,
  openProfile,
  policyViolations,
  signUpWithInvite,
  startStack,
  wordsFor,
  type Stack,
} from './harness.ts';
import { accessibilityViolations, type Violation } from './axe.ts';

const password = 'correct horse battery';
const t = wordsFor(defaultLocale);
let stack: Stack;
let shots: string;
let context: BrowserContext;
let alice: Page;
let spammer: XmppSession;
let dave: HushClient;

const shot = (name: string) => alice.screenshot({ path: join(shots, `${name}.png`) });

/** What axe-core may still find, by screen and rule: nothing now. Anything else fails the suite. */
const KNOWN: Readonly<Record<string, readonly string[]>> = {};

/** What axe-core found on each screen checked. */
const violations: Record<string, Violation[]> = {};

/** axe-core on the screen as shown; the flow goes on either way, to check every screen. */
async function accessible(screen: string): Promise<void> {
  await shot(`axe-${screen}`);
  const found = await accessibilityViolations(alice);
  if (found.length > 0) violations[screen] = found;
}

/** A plain chat message from a session of the test's own. */
const say = (session: XmppSession, to: string, body: string) =>
  session.send(
    xml('message', { to, type: 'chat', id: crypto.randomUUID() }, xml('body', {}, body)),
  );

describe(`strangers, downloads and accessibility (${defaultLocale})`, { timeout: 240_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-requests-'));
    console.log(`screenshots: ${shots}`);
    stack = await startStack();
    trustCertificateAuthority(stack.prosody.caCert);
    context = await openProfile(stack);
    alice = context.pages()[0] ?? (await context.newPage());
    alice.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    for (const name of ['spammer', 'dave']) await stack.prosody.createAccount(name, password);
    spammer = await openSession({
      service: stack.prosody.websocketUrl,
      jid: 'spammer@localhost',
      password,
    });
    const session = await openSession({
      service: stack.prosody.websocketUrl,
      jid: 'dave@localhost',
      password,
    });
    dave = await startClient({ session, storage: createMemoryStorage() });
  });

  after(async () => {
    await dave?.close();
    await dave?.session.close();
    await spammer?.close();
    await context?.close().catch(() => undefined);
    await stack?.stop();
  });

  it('onboarding and the empty chat list are accessible', async () => {
    await alice.goto(stack.url);
    await alice.getByTestId('tab-invite').waitFor();
    await accessible('onboarding');
    await signUpWithInvite(alice, stack, 'alice', password);
    await accessible('chat-list-empty');
  });

  it("a stranger's message is a request: read it, block them, and nothing more of theirs shows", async () => {
    await say(spammer, 'alice@localhost', 'Cheap watches, today only');
    const request = alice.getByTestId('request-spammer@localhost');
    await request.waitFor({ timeout: 30_000 });
    await alice
      .getByTestId('request-preview-spammer@localhost')
      .getByText('Cheap watches, today only')
      .waitFor();
    await request.getByText(t('chats.stranger', { name: 'spammer' })).waitFor();
    assert.equal(await alice.getByTestId('chat-spammer@localhost').count(), 0, 'not a chat');
    await accessible('chat-list-request');

    // Read before deciding.
    await alice.getByTestId('request-open-spammer@localhost').click();
    await alice.getByText('Cheap watches, today only').last().waitFor();
    await alice.getByTestId('back').click();

    // The test server runs without the community modules, so it takes no spam reports: only
    // blocking is offered (core's reporting tests cover a server with mod_spam_reporting).
    assert.equal(await alice.getByTestId('report-spammer@localhost').count(), 0);
    await alice.getByTestId('block-spammer@localhost').click();
    await request.waitFor({ state: 'detached', timeout: 20_000 });

    await say(spammer, 'alice@localhost', 'Are you there?');
    // Dave writes after the blocked message was sent: once his request shows, the server has
    // handled the other.
    await spammer.request(
      xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    );
    await dave.messenger.sendText('alice@localhost', 'Hello from Dave');
    await alice.getByTestId('request-dave@localhost').waitFor({ timeout: 30_000 });
    assert.equal(await alice.getByTestId('request-spammer@localhost').count(), 0);
    assert.equal(await alice.getByText('Are you there?').count(), 0);
  });

  it('a stranger added joins the chats; a chat, their details and settings are accessible', async () => {
    await alice.getByTestId('add-stranger-dave@localhost').click();
    await alice
      .getByTestId('request-dave@localhost')
      .waitFor({ state: 'detached', timeout: 20_000 });
    await alice.getByTestId('chat-dave@localhost').click({ timeout: 20_000 });
    await alice.getByText('Hello from Dave').last().waitFor({ timeout: 20_000 });
    await accessible('chat');
    await alice.getByTestId('open-contact').click();
    await alice.getByTestId('contact-address').waitFor();
    await accessible('contact-details');
    await alice.getByTestId('back').click();
    await alice.getByTestId('back').click();
    await alice.getByTestId('open-settings').click();
    await alice.getByTestId('own-name-input').waitFor();
    await accessible('settings');
    await alice.getByTestId('back').click();
  });

  it('a file that came with a name downloads under it', async () => {
    const name = 'Quarterly report 2026.pdf';
    const bytes = new TextEncoder().encode('%PDF-1.4\n% a report\n');
    const sealed = encryptFile(bytes);
    const upload = await uploadFile(dave.session, {
      bytes: sealed.ciphertext,
      filename: name,
      contentType: 'application/octet-stream',
    });
    await dave.messenger.sendText(
      'alice@localhost',
      formatAesgcmUrl(upload.url, sealed.key, sealed.iv),
    );
    await alice.getByTestId('chat-dave@localhost').click({ timeout: 20_000 });
    const save = alice.getByTestId('file-save').last();
    await save.waitFor({ timeout: 30_000 });
    const download = alice.waitForEvent('download');
    await save.click();
    assert.equal((await download).suggestedFilename(), name);
    await alice.getByTestId('back').click();
  });

  it('a voice message shows its waveform and plays at the speed chosen, both kept after a reload', async () => {
    // Two seconds fading in: quiet bars first, loud ones last.
    const bytes = await tone(join(shots, 'fade-in.ogg'), 2, [
      ...['-af', 'afade=t=in:st=0:d=2', '-c:a', 'libopus', '-f', 'ogg'],
    ]);
    const files = new FileSender({
      session: dave.session,
      storage: createMemoryStorage(),
      messenger: dave.messenger,
    });
    await files.send('alice@localhost', bytes);
    await alice.getByTestId('chat-dave@localhost').click({ timeout: 20_000 });
    const heights = async () =>
      alice
        .getByTestId('voice-waveform-bar')
        .evaluateAll((bars) =>
          bars.map((bar) =>
            parseFloat((bar as unknown as { style: { height: string } }).style.height),
          ),
        );
    await alice.getByTestId('voice-waveform').waitFor({ timeout: 30_000 });
    const drawn = await heights();
    assert.equal(drawn.length, 40);
    assert.ok((drawn[0] ?? 100) < 50 && (drawn.at(-1) ?? 0) > 90, `a fade-in: ${drawn.join(' ')}`);

    const speed = alice.getByTestId('voice-speed');
    assert.match(await speed.innerText(), /^1×$/);
    await speed.click();
    await alice
      .getByTestId('voice-speed')
      .getByText(/^1[.,]5×$/)
      .waitFor();
    await shot('voice-waveform');

    await alice.reload();
    await alice.getByTestId('voice-waveform').waitFor({ timeout: 30_000 });
    assert.deepEqual(await heights(), drawn);
    await alice
      .getByTestId('voice-speed')
      .getByText(/^1[.,]5×$/)
      .waitFor();
    await alice.getByTestId('back').click();
  });

  it('axe-core found nothing wrong on any screen beyond what is known', () => {
    const unknown = Object.entries(violations).flatMap(([screen, found]) =>
      found
        .filter((violation) => !(KNOWN[screen] ?? []).includes(violation.id))
        .map((violation) => ({ screen, ...violation })),
    );
    assert.deepEqual(unknown, []);
  });

  it('axe-core found nothing wrong on any screen', () => {
    assert.deepEqual(violations, {});
  });

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

// The web app end to end: two people sign up with invites in two Chromium profiles, add each other,
// write both ways and see delivered and read; a reload keeps the history; a wrong password shows its
// error. Screenshots of the main screens go to the folder printed at the start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import {
  onlineIn,
  openProfile,
  patternFor,
  startStack,
  webBuild,
  type Stack,
  policyViolations,
  waitInPage,
  wordsFor,
} from './harness.ts';

const password = 'correct horse battery';
/** The app's words in the browsers' language (HUSH_LOCALE: the suite runs in English and Russian). */
const t = wordsFor();
const pattern = patternFor();
/** A device's line in a list of devices: 'Device 1234 · Verified'. */
const deviceLine = new RegExp(`^${pattern('device.line', { id: '\\d+' })}`);
let stack: Stack;
let shots: string;
const contexts: BrowserContext[] = [];
let alice: Page;
let bob: Page;
const measured: Record<string, string> = {};

/** Every file below `dir`, concatenated: what the server keeps on disk. */
function readTree(dir: string): string {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .map((path) => {
      const stat = statSync(path);
      if (stat.isDirectory()) return readTree(path);
      return stat.isFile() ? readFileSync(path, 'latin1') : '';
    })
    .join('\n');
}

async function page(context: BrowserContext): Promise<Page> {
  const p = context.pages()[0] ?? (await context.newPage());
  p.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  return p;
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`) });
}

async function signUp(p: Page, url: string, invite: string | undefined, name: string) {
  await p.goto(url);
  if (invite !== undefined) {
    await p.getByTestId('tab-invite').click();
    await p.getByTestId('invite-input').fill(invite);
  }
  await p.getByTestId('username-input').fill(name);
  await p.getByTestId('password-input').fill(password);
  await p.getByTestId('submit').click();
  await onlineIn(p);
}

describe('Hush web app', { timeout: 240_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-screens-'));
    console.log(`screenshots: ${shots}`);
    stack = await startStack();
    const [aliceContext, bobContext] = [await openProfile(stack), await openProfile(stack)];
    contexts.push(aliceContext, bobContext);
    alice = await page(aliceContext);
    bob = await page(bobContext);
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
    console.log('measured:', JSON.stringify(measured, null, 2));
  });

  it('signs up from an invite page link and from a pasted invite', async () => {
    // The invite page form: https://DOMAIN/invite?TOKEN opens the app with the invite filled in.
    const aliceToken = /preauth=([^;&]+)/.exec(await stack.prosody.createInvite())?.[1];
    await alice.goto(`${stack.url}invite?${aliceToken}`);
    await alice.getByTestId('username-input').waitFor();
    assert.match(await alice.getByTestId('invite-input').inputValue(), /invite\?/);
    await shot(alice, '01-onboarding-invite');
    await signUp(alice, `${stack.url}invite?${aliceToken}`, undefined, 'alice');
    // The used invite leaves the address bar: a reload does not offer it again.
    assert.equal(new URL(alice.url()).search, '');
    await signUp(bob, stack.url, await stack.prosody.createInvite(), 'bob');
    await shot(alice, '02-chat-list-empty');
  });

  it('adds a contact and exchanges messages both ways with delivered and read', async () => {
    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('bob@localhost');
    await shot(alice, '03-add-contact');
    await alice.getByTestId('add-contact').click();
    await alice.getByTestId('composer-input').waitFor();

    // Bob sees the request and accepts it.
    await bob.getByTestId('approve-alice@localhost').click({ timeout: 20_000 });

    await alice.getByTestId('composer-input').fill('Hello Bob');
    // Typing shows on Bob's chat list before the message arrives (XEP-0085).
    await bob.getByTestId('typing-alice@localhost').waitFor({ timeout: 10_000 });
    await shot(bob, '04a-chat-list-typing');
    const sentAt = Date.now();
    await alice.getByTestId('send-button').click();
    await bob.getByTestId('preview-alice@localhost').getByText('Hello Bob').waitFor();
    measured.sendToShownMs = String(Date.now() - sentAt);
    await alice.getByLabel(t('message.state.delivered')).last().waitFor({ timeout: 20_000 });
    await shot(bob, '04-chat-list-unread');
    assert.equal(await bob.getByTestId('unread-alice@localhost').innerText(), '1');
    // The unread count in the tab's title.
    await waitInPage(bob, "document.title === '(1) Hush'", 5_000);

    await bob.getByTestId('chat-alice@localhost').click();
    await bob.getByText('Hello Bob').waitFor();
    await alice.getByLabel(t('message.state.read')).last().waitFor({ timeout: 20_000 });
    await waitInPage(bob, "document.title === 'Hush'", 5_000);
    await shot(alice, '05-chat-read');

    await bob.getByTestId('composer-input').fill('Hi Alice, got it');
    await bob.getByTestId('send-button').click();
    await alice.getByText('Hi Alice, got it').waitFor();
    await bob.getByLabel(t('message.state.read')).last().waitFor({ timeout: 20_000 });
    await shot(bob, '06-chat-bob');
    // OMEMO on both sides: no bubble says it travelled in the clear, and the server's archive
    // holds ciphertext only.
    assert.equal(await bob.getByTestId('unencrypted').count(), 0);
    assert.equal(await alice.getByTestId('unencrypted').count(), 0);
    const archived = await readTree(stack.prosody.dataDir);
    assert.ok(
      archived.includes('urn:xmpp:omemo:2'),
      'the archive has OMEMO messages (OMEMO 2: both devices publish it)',
    );
    assert.ok(!archived.includes('Hello Bob'), 'no clear text on the server');

    await bob.getByTestId('open-contact').click();
    await bob.getByTestId('fingerprints').getByText(deviceLine).first().waitFor();
    await shot(bob, '07-contact-details');
    await bob.getByTestId('back').click();
    await bob.getByTestId('back').click();
  });

  it('comes back by itself after the connection drops, and what was written meanwhile arrives', async () => {
    // Alice is still in the conversation with Bob.
    await alice.getByTestId('composer-input').waitFor();
    stack.refuseConnections(true);
    stack.dropConnections();
    await alice.getByTestId('composer-offline').waitFor({ timeout: 10_000 });
    // Written while offline: shown at once as sending, sent when the connection is back.
    await alice.getByTestId('composer-input').fill('Written offline');
    await alice.getByTestId('send-button').click();
    await alice.getByText('Written offline').waitFor();
    await alice.getByLabel(t('message.state.pending')).last().waitFor();
    await shot(alice, '05a-written-offline');
    stack.refuseConnections(false);
    await alice.getByTestId('composer-offline').waitFor({ state: 'detached', timeout: 30_000 });
    await alice.getByTestId('composer-input').fill('After the drop');
    await alice.getByTestId('send-button').click();
    await bob.getByTestId('preview-alice@localhost').getByText('After the drop').waitFor({
      timeout: 30_000,
    });
    await alice.getByLabel(t('message.state.delivered')).last().waitFor({ timeout: 20_000 });
    // In the order written, both delivered.
    await bob.getByTestId('chat-alice@localhost').click();
    const texts = await bob.getByTestId('message-text').allInnerTexts();
    assert.deepEqual(texts.slice(-2), ['Written offline', 'After the drop']);
    assert.equal(await alice.getByLabel(t('message.state.pending')).count(), 0);
    await bob.getByTestId('back').click();
    await alice.getByTestId('back').click();
  });

  it('shows a message that cannot be encrypted as failed, with a retry', async () => {
    // dave has never used an OMEMO client: nothing can be encrypted for him, and nothing is sent
    // in the clear instead.
    await stack.prosody.createAccount('dave', password);
    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('dave@localhost');
    await alice.getByTestId('add-contact').click();
    await alice.getByTestId('composer-input').fill('Are you there?');
    await alice.getByTestId('send-button').click();
    await alice
      .locator(`[data-testid^="state-"][aria-label="${t('message.state.failed')}"]`)
      .waitFor({ timeout: 20_000 });
    await alice.getByText(t('common.retry')).waitFor();
    await shot(alice, '08-failed-retry');
    await alice.getByTestId('back').click();
  });

  it('notifies a message that arrives while the tab is hidden, and the notification opens the chat', async () => {
    const bobContext = contexts[1];
    assert.ok(bobContext);
    await bobContext.grantPermissions(['notifications'], { origin: new URL(stack.url).origin });
    // Record what the app shows (headless Chromium has no notification centre to look at), then
    // hide the tab as switching to another one does.
    await bob.evaluate(`{
      const Real = window.Notification;
      window.shown = [];
      window.Notification = class extends Real {
        constructor(title, options) {
          super(title, options);
          window.shown.push(this);
        }
      };
    }`);
    await bob.getByTestId('open-settings').click();
    await bob.getByTestId('notifications-granted').waitFor();
    await shot(bob, '08a-settings-notifications');
    await bob.getByTestId('back').click();
    const setHidden = (hidden: boolean) =>
      bob.evaluate(`{
        Object.defineProperty(document, 'visibilityState', {
          configurable: true,
          get: () => '${hidden ? 'hidden' : 'visible'}',
        });
        document.dispatchEvent(new Event('visibilitychange'));
      }`);
    await setHidden(true);

    await alice.getByTestId('chat-bob@localhost').click();
    await alice.getByTestId('composer-input').fill('Are you there, Bob?');
    await alice.getByTestId('send-button').click();
    await waitInPage(bob, 'window.shown.length > 0');
    assert.deepEqual(
      await bob.evaluate('window.shown.map(({ title, body, tag }) => ({ title, body, tag }))'),
      [{ title: 'alice@localhost', body: 'Are you there, Bob?', tag: 'hush-chat-alice@localhost' }],
    );
    // Back in front, the notification opens the conversation.
    await setHidden(false);
    await bob.evaluate('window.shown[0].onclick()');
    await bob.getByTestId('composer-input').waitFor();
    await bob.getByText('Are you there, Bob?').waitFor();
    await alice.getByLabel(t('message.state.read')).last().waitFor({ timeout: 20_000 });
    await bob.getByTestId('back').click();
    await alice.getByTestId('back').click();
  });

  it('keeps the history and the same OMEMO device across a reload, readable before the connection is back', async () => {
    const fingerprint = async () => {
      await bob.getByTestId('open-settings').click();
      const card = bob.getByTestId('own-fingerprint');
      await card.getByText(/^[0-9a-f]{8} /).waitFor({ timeout: 20_000 });
      const text = await card.innerText();
      await bob.getByTestId('back').click();
      return /([0-9a-f]{8} ){7}[0-9a-f]{8}/.exec(text)?.[0];
    };
    const before = await fingerprint();
    assert.ok(before, 'the device shows its fingerprint');
    const started = Date.now();
    await bob.reload();
    await bob.getByTestId('chat-alice@localhost').waitFor();
    measured.coldStartToInteractiveMs = String(Date.now() - started);
    await onlineIn(bob);
    measured.coldStartToConnectedMs = String(Date.now() - started);
    await bob.getByTestId('chat-alice@localhost').click();
    await bob.getByText('Hello Bob').waitFor();
    await bob.getByText('Hi Alice, got it').waitFor();
    await bob.getByTestId('back').click();
    // One device across reloads: a new one per page load would bloat every contact's device list.
    assert.equal(await fingerprint(), before);
    await bob.getByTestId('chat-alice@localhost').click();
    await bob.setViewportSize({ width: 1280, height: 800 });
    await shot(bob, '11-desktop-chat');
    await bob.setViewportSize({ width: 420, height: 760 });
  });

  it('started offline, the app keeps what is written and sends it once the server is reachable', async () => {
    stack.refuseConnections(true);
    stack.dropConnections();
    // The open chat is the page's address (/chat/alice@localhost): the reload keeps it open.
    await bob.reload();
    await bob.getByTestId('composer-offline').waitFor();
    assert.equal(decodeURIComponent(new URL(bob.url()).pathname), '/chat/alice@localhost');
    await bob.getByTestId('composer-input').fill('Written before connecting');
    await bob.getByTestId('send-button').click();
    await bob.getByText('Written before connecting').waitFor();
    await bob.getByLabel(t('message.state.pending')).last().waitFor();
    stack.refuseConnections(false);
    await alice
      .getByTestId('preview-bob@localhost')
      .getByText('Written before connecting')
      .waitFor({ timeout: 30_000 });
    await bob.getByLabel(t('message.state.delivered')).last().waitFor({ timeout: 20_000 });
    await bob.getByTestId('back').click();
  });

  it('shows the wrong-password error on login', async () => {
    const context = await openProfile(stack);
    contexts.push(context);
    const p = await page(context);
    // A profile that never saw the app: download, parse, IndexedDB opened, first screen usable.
    const started = Date.now();
    await p.goto(stack.url);
    await p.getByTestId('jid-input').waitFor();
    measured.firstVisitToLoginFormMs = String(Date.now() - started);
    await p.getByTestId('jid-input').fill('alice@localhost');
    await p.getByTestId('password-input').fill('not the password');
    await p.getByTestId('submit').click();
    await p.getByTestId('error-WrongPassword').waitFor({ timeout: 20_000 });
    await shot(p, '09-wrong-password');
  });

  it('deletes an account on the server and on the device', async () => {
    const context = await openProfile(stack);
    contexts.push(context);
    const p = await page(context);
    await signUp(p, stack.url, await stack.prosody.createInvite(), 'carol');
    await p.getByTestId('open-settings').click();
    await p
      .getByTestId('own-fingerprint')
      .getByText(/^[0-9a-f]{8} /)
      .waitFor();
    await p.getByTestId('delete-account').click();
    await shot(p, '10-settings-delete');
    await p.getByTestId('confirm-delete').click();
    await p.getByTestId('tab-login').waitFor({ timeout: 20_000 });
    await p.getByTestId('jid-input').fill('carol@localhost');
    await p.getByTestId('password-input').fill(password);
    await p.getByTestId('submit').click();
    await p.getByTestId('error-WrongPassword').waitFor({ timeout: 20_000 });
  });

  it('a second device of the same account: each lists the other, and reading on one clears the other', async () => {
    const context = await openProfile(stack);
    contexts.push(context);
    const tablet = await page(context);
    await tablet.goto(stack.url);
    await tablet.getByTestId('tab-login').click();
    await tablet.getByTestId('jid-input').fill('alice@localhost');
    await tablet.getByTestId('password-input').fill(password);
    await tablet.getByTestId('submit').click();
    await onlineIn(tablet);

    // Each device shows the other among "Your other devices", by fingerprint.
    for (const device of [alice, tablet]) {
      await device.getByTestId('open-settings').click();
      const card = device.getByTestId('own-devices');
      await card.getByText(deviceLine).first().waitFor({ timeout: 20_000 });
      await card
        .getByText(/^([0-9a-f]{8} ){7}[0-9a-f]{8}$/)
        .first()
        .waitFor({ timeout: 20_000 });
    }
    await tablet.getByTestId('own-devices').scrollIntoViewIfNeeded();
    await shot(tablet, '09a-settings-other-devices');
    for (const device of [alice, tablet]) await device.getByTestId('back').click();

    await bob.getByTestId('chat-alice@localhost').click();
    await bob.getByTestId('composer-input').fill('For both of your devices');
    await bob.getByTestId('send-button').click();
    for (const device of [alice, tablet]) {
      await device
        .getByTestId('preview-bob@localhost')
        .getByText('For both of your devices')
        .waitFor({ timeout: 20_000 });
      await device.getByTestId('unread-bob@localhost').waitFor();
    }
    // Read on the tablet: the marker it sends reaches the first device too (a carbon).
    await tablet.getByTestId('chat-bob@localhost').click();
    await tablet.getByText('For both of your devices').waitFor();
    await alice.getByTestId('unread-bob@localhost').waitFor({ state: 'detached', timeout: 20_000 });
    await bob.getByLabel(t('message.state.read')).last().waitFor({ timeout: 20_000 });
    await bob.getByTestId('back').click();
    await context.close();
  });

  it('ships its bundle precompressed: Brotli and gzip copies of every script, each the same code', () => {
    const dir = join(webBuild, '_expo/static/js/web');
    const scripts = readdirSync(dir).filter((f) => f.endsWith('.js'));
    assert.ok(scripts.length > 0, 'the export has scripts');
    let brotli = 0;
    let gzip = 0;
    for (const script of scripts) {
      const code = readFileSync(join(dir, script));
      const br = readFileSync(join(dir, `${script}.br`));
      const gz = readFileSync(join(dir, `${script}.gz`));
      assert.ok(brotliDecompressSync(br).equals(code), `${script}.br is the script`);
      assert.ok(gunzipSync(gz).equals(code), `${script}.gz is the script`);
      assert.ok(br.length < gz.length && gz.length < code.length, `${script}: br < gz < as is`);
      brotli += br.length;
      gzip += gz.length;
    }
    measured.bundleBrotliKiB = (brotli / 1024).toFixed(0);
    measured.bundleGzipKiB = (gzip / 1024).toFixed(0);
  });

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

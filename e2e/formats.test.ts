// The web app plays voice messages in every format other clients send, not only its own WebM:
// AAC in M4A (Conversations, Monal, Hush on iOS and Android), Opus in Ogg, WebM and MP4. A second
// client made of core itself (as the CLI and the phone apps use it) sends each as an encrypted file
// (XEP-0454 over OMEMO); the browser decrypts, shows the duration read from the file, and plays it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  FileSender,
  createMemoryStorage,
  openSession,
  startClient,
  type HushClient,
} from '@hush/core';
import { trustCertificateAuthority, tone } from '@hush/test-utils';
import {
  openProfile,
  signUpWithInvite,
  startStack,
  type Stack,
  policyViolations,
  voiceSeconds,
  wordsFor,
} from './harness.ts';

const password = 'formats of voice';
/** The app's words in the browsers' language (HUSH_LOCALE: the suite runs in English and Russian). */
const t = wordsFor();
const SECONDS = 2;
// What each kind of client sends, made by ffmpeg from a tone.
const FORMATS: Record<string, string[]> = {
  'AAC in M4A': ['-c:a', 'aac', '-f', 'ipod'],
  'Opus in Ogg': ['-c:a', 'libopus', '-f', 'ogg'],
  'Opus in WebM': ['-c:a', 'libopus', '-f', 'webm'],
  'Opus in MP4': ['-c:a', 'libopus', '-f', 'mp4'],
};

let stack: Stack;
let dir: string;
let context: BrowserContext;
let alice: Page;
let phone: HushClient;

describe('voice message formats in the web app', { timeout: 180_000 }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hush-e2e-formats-'));
    console.log(`screenshots: ${dir}`);
    stack = await startStack();
    context = await openProfile(stack);
    alice = context.pages()[0] ?? (await context.newPage());
    alice.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await signUpWithInvite(alice, stack, 'alice', password);
    trustCertificateAuthority(stack.prosody.caCert);
    await stack.prosody.createAccount('phone', password);
    const session = await openSession({
      service: stack.prosody.websocketUrl,
      jid: 'phone@localhost',
      password,
    });
    phone = await startClient({ session, storage: createMemoryStorage() });
  });

  after(async () => {
    await phone?.close();
    await phone?.session.close();
    await context?.close().catch(() => undefined);
    await stack?.stop();
  });

  it('shows and plays AAC/M4A and Opus in Ogg, WebM and MP4 sent by another client', async () => {
    const files = new FileSender({
      session: phone.session,
      storage: createMemoryStorage(),
      messenger: phone.messenger,
    });
    for (const [name, args] of Object.entries(FORMATS)) {
      const bytes = await tone(join(dir, name.replaceAll(' ', '-')), SECONDS, args);
      await files.send('alice@localhost', bytes);
    }

    // The phone is not among Alice's contacts: its messages are a request, read from there.
    await alice.getByTestId('request-open-phone@localhost').click({ timeout: 30_000 });
    const bubbles = alice.getByTestId('voice-bubble');
    const deadline = Date.now() + 30_000;
    while ((await bubbles.count()) < Object.keys(FORMATS).length) {
      assert.ok(Date.now() < deadline, `only ${await bubbles.count()} voice messages arrived`);
      await alice.waitForTimeout(100);
    }
    const names = Object.keys(FORMATS);
    for (const [index, name] of names.entries()) {
      const bubble = bubbles.nth(index);
      const label = (await bubble.getAttribute('aria-label')) ?? '';
      const shown = voiceSeconds(label);
      assert.ok(Math.abs(shown - SECONDS) <= 0.1, `${name}: shown ${shown} s for ${SECONDS} s`);
      await bubble.getByTestId('voice-play').click();
      // Decoded and playing: the position moves on, then it is paused again.
      const until = Date.now() + 10_000;
      while (/^0:00 /.test(await bubble.getByTestId('voice-time').innerText())) {
        assert.ok(Date.now() < until, `${name}: the position never moved`);
        await alice.waitForTimeout(100);
      }
      await bubble.getByLabel(t('file.pause')).click();
    }
    await alice.screenshot({ path: join(dir, '01-four-formats.png') });
  });

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

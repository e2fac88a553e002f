// The server restarted under two open web apps: stopped cleanly, then killed as a crash would. The
// apps cannot resume their streams (the server forgot them) and log in anew; without a reload both
// must be back to what a first start gives them: shown online to each other, "Online" in the list,
// and messages live both ways, including what was written while the server was down.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import {
  onlineIn,
  openProfile,
  policyViolations,
  signUpWithInvite,
  startStack,
  type Stack,
  wordsFor,
} from './harness.ts';

const password = 'correct horse battery';
/** The app's words in the browsers' language (HUSH_LOCALE: the suite runs in English and Russian). */
const t = wordsFor();
/** How long an app may take to be back after the server is: its reconnect backoff, and a margin. */
const BACK_MS = 60_000;
let stack: Stack;
const contexts: BrowserContext[] = [];
let alice: Page;
let bob: Page;
const measured: Record<string, number> = {};

async function openChat(p: Page, peer: string): Promise<void> {
  await p.getByTestId(`chat-${peer}`).click({ timeout: 20_000 });
  await p.getByTestId('composer-input').waitFor();
}

async function send(p: Page, text: string): Promise<void> {
  await p.getByTestId('composer-input').fill(text);
  await p.getByTestId('send-button').click();
}

/** Waits until `p` shows `text` in its open conversation; returns when that was. */
async function shown(p: Page, text: string): Promise<number> {
  await p.getByTestId('message-text').getByText(text, { exact: true }).waitFor({
    timeout: BACK_MS,
  });
  return Date.now();
}

/** The open conversation's header says the peer is online. */
async function peerOnline(p: Page): Promise<void> {
  await p.getByTestId('header-subtitle').getByText(t('chat.online'), { exact: true }).waitFor({
    timeout: BACK_MS,
  });
}

describe('the server restarts under two open web apps', { timeout: 300_000 }, () => {
  before(async () => {
    stack = await startStack();
    for (let i = 0; i < 2; i++) contexts.push(await openProfile(stack));
    const [a, b] = contexts as [BrowserContext, BrowserContext];
    alice = a.pages()[0] ?? (await a.newPage());
    bob = b.pages()[0] ?? (await b.newPage());
    for (const p of [alice, bob])
      p.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await signUpWithInvite(alice, stack, 'alice', password);
    await signUpWithInvite(bob, stack, 'bob', password);
    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('bob@localhost');
    await alice.getByTestId('add-contact').click();
    await alice.getByTestId('composer-input').waitFor();
    await bob.getByTestId('approve-alice@localhost').click({ timeout: 20_000 });
    await openChat(bob, 'alice@localhost');
    await send(alice, 'Before the restart');
    await shown(bob, 'Before the restart');
    await send(bob, 'Seen it');
    await shown(alice, 'Seen it');
    await peerOnline(alice);
    await peerOnline(bob);
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
    console.log(`measured: ${JSON.stringify(measured)}`);
  });

  for (const how of [
    { name: 'stopped and started', kill: false },
    { name: 'killed and started', kill: true },
  ]) {
    it(`${how.name}: both apps are back online and get live messages, no reload`, async () => {
      // Both stay in the conversation, as people would.
      const loads = { alice: 0, bob: 0 };
      alice.on('load', () => loads.alice++);
      bob.on('load', () => loads.bob++);
      await stack.prosody.halt({ kill: how.kill });
      // Written while the server is down: kept, and sent once it is back.
      await send(alice, `Written while down (${how.name})`);
      await stack.prosody.start();
      const back = Date.now();
      await shown(bob, `Written while down (${how.name})`);

      // Live both ways on the new streams.
      await send(alice, `Live from alice (${how.name})`);
      const toBob = await shown(bob, `Live from alice (${how.name})`);
      await send(bob, `Live from bob (${how.name})`);
      const toAlice = await shown(alice, `Live from bob (${how.name})`);
      measured[`${how.kill ? 'kill' : 'stop'}: restart to first live message at bob, ms`] =
        toBob - back;
      measured[`${how.kill ? 'kill' : 'stop'}: restart to first live message at alice, ms`] =
        toAlice - back;
      // Bob has the conversation open: delivered, then read.
      await alice
        .getByLabel(
          t('message.fromYou', {
            text: `Live from alice (${how.name})`,
            state: t('message.state.read'),
          }),
          { exact: true },
        )
        .waitFor({ timeout: BACK_MS });

      // Each sees the other online again (presence was sent on the new streams)...
      await peerOnline(alice);
      await peerOnline(bob);
      // ...and its own connection as online.
      for (const p of [alice, bob]) {
        await p.getByTestId('back').click();
        await onlineIn(p, BACK_MS);
      }
      assert.deepEqual(loads, { alice: 0, bob: 0 }, 'no page was reloaded');
      await openChat(alice, 'bob@localhost');
      await openChat(bob, 'alice@localhost');
    });
  }

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

// A voice message is as long as the button was held, and the live timer counts from the press, not
// from when the microphone was open. Chromium's fake microphone plays a tone and opens at once; a
// real one takes a while (an audio device waking up, a Bluetooth headset switching profile), so the
// page's getUserMedia is made to take MICROPHONE_OPEN_MS as well. The hold is measured from the
// mouse going down to it going up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { tone } from '@hush/test-utils';
import {
  openProfile,
  policyViolations,
  signUpWithInvite,
  startStack,
  type Stack,
  voiceSeconds,
} from './harness.ts';

const password = 'correct horse battery';
/** How far the recorded length may be from the hold. */
const TOLERANCE_S = 0.3;
/** How long opening the microphone takes in these pages. */
const MICROPHONE_OPEN_MS = 700;
let stack: Stack;
const contexts: BrowserContext[] = [];
let alice: Page;
let bob: Page;

/**
 * Holds the record button for `ms` from the press to the release; returns the hold it measured and
 * what the live timer showed just before the release.
 */
async function holdFor(p: Page, ms: number): Promise<{ held: number; timer: string }> {
  const box = await p.getByTestId('record-button').boundingBox();
  assert.ok(box, 'the record button is on screen');
  await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const pressed = Date.now();
  await p.mouse.down();
  await p.getByTestId('recording-indicator').waitFor({ timeout: ms });
  const left = pressed + ms - 100 - Date.now();
  if (left > 0) await p.waitForTimeout(left);
  const timer = await p.getByTestId('recording-duration').innerText();
  await p.waitForTimeout(Math.max(0, pressed + ms - Date.now()));
  await p.mouse.up();
  return { held: (Date.now() - pressed) / 1000, timer };
}

/** The duration the newest voice message on `p` shows, once there are more than `before`. */
async function newestDuration(p: Page, before: number): Promise<number> {
  const bubbles = p.getByTestId('voice-bubble');
  const deadline = Date.now() + 30_000;
  while ((await bubbles.count()) <= before) {
    assert.ok(Date.now() < deadline, 'the voice message was not sent');
    await p.waitForTimeout(50);
  }
  const label = (await bubbles.nth(before).getAttribute('aria-label')) ?? '';
  const seconds = voiceSeconds(label);
  assert.ok(Number.isFinite(seconds), `a duration in "${label}"`);
  return seconds;
}

describe('voice message length', { timeout: 240_000 }, () => {
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hush-e2e-voice-length-'));
    const fakeAudio = join(dir, 'tone.wav');
    await tone(fakeAudio, 20, ['-ar', '48000', '-ac', '1']);
    stack = await startStack();
    for (let i = 0; i < 2; i++) contexts.push(await openProfile(stack, { fakeAudio }));
    for (const context of contexts) {
      await context.grantPermissions(['microphone']);
      await context.addInitScript(`{
        const devices = navigator.mediaDevices;
        const open = devices.getUserMedia.bind(devices);
        devices.getUserMedia = async (constraints) => {
          const stream = await open(constraints);
          await new Promise((resolve) => setTimeout(resolve, ${MICROPHONE_OPEN_MS}));
          return stream;
        };
      }`);
    }
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
    await bob.getByTestId('approve-alice@localhost').click({ timeout: 20_000 });
    await alice.getByTestId('record-button').waitFor();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
  });

  for (const seconds of [3, 1.5]) {
    it(`a ${seconds} s hold sends ${seconds} s (within ${TOLERANCE_S} s), the first press too`, async () => {
      const before = await alice.getByTestId('voice-bubble').count();
      const { held, timer } = await holdFor(alice, seconds * 1000);
      const shown = await newestDuration(alice, before);
      console.log(`measured: ${JSON.stringify({ heldS: held, recordedS: shown, timer })}`);
      assert.ok(
        Math.abs(shown - held) <= TOLERANCE_S,
        `held ${held.toFixed(2)} s, the message is ${shown} s long`,
      );
      // The timer counts whole seconds from the press: 0:01 from 1 s on.
      assert.equal(timer, `0:0${Math.floor(seconds - 0.3)}`, 'the timer counts from the press');
    });
  }

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

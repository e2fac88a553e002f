// QR codes in the web app. Alice's Settings show her device's verification code; a screenshot of
// it becomes the video of Bob's fake camera, and Bob's scanner reads it: Alice is added and her
// device verified in one step, and "Scan to verify" from her details takes the same code. Carol's
// camera films no code and nothing happens; Dave refuses the camera and Erin has none: the scanner
// says which, and Dave's pasted link does what the scan does. Screenshots go to the folder printed
// at the start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import {
  openProfile,
  startStack,
  type BrowserOptions,
  type Stack,
  signUpWithInvite,
  literally,
  patternFor,
  policyViolations,
  waitInPage,
  wordsFor,
} from './harness.ts';

const run = promisify(execFile);
const password = 'correct horse battery';
/** The app's words in the browsers' language (HUSH_LOCALE: the suite runs in English and Russian). */
const t = wordsFor();
const pattern = patternFor();
let stack: Stack;
let shots: string;
const contexts: BrowserContext[] = [];
let alice: Page;
/** What Alice's QR code holds, as Settings prints it under the code. */
let aliceLink: string;
let aliceDevice: string;

async function profile(options: BrowserOptions = {}): Promise<Page> {
  const context = await openProfile(stack, options);
  contexts.push(context);
  const p = context.pages()[0] ?? (await context.newPage());
  p.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  return p;
}

const signUp = (p: Page, name: string) => signUpWithInvite(p, stack, name, password);

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`) });
}

/** Makes a short looping video for Chromium's fake camera with ffmpeg. */
async function cameraVideo(file: string, input: readonly string[]): Promise<string> {
  await run('ffmpeg', [
    ...['-loglevel', 'error', '-y', ...input, '-t', '2', '-r', '10', '-pix_fmt', 'yuv420p'],
    file,
  ]);
  return file;
}

async function openScanner(p: Page): Promise<void> {
  await p.getByTestId('open-add-contact').click();
  await p.getByTestId('open-scanner').click();
}

/** The contact details on screen list Alice's device as verified. */
async function seesAliceVerified(p: Page): Promise<void> {
  await p
    .getByTestId(`device-${aliceDevice}`)
    .getByText(
      new RegExp(`^${pattern('device.line', { trust: literally(t('device.trust.verified')) })}`),
    )
    .waitFor({ timeout: 30_000 });
}

describe('QR codes in the web app', { timeout: 240_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-qr-'));
    console.log(`screenshots: ${shots}`);
    stack = await startStack();
    alice = await profile();
    await signUp(alice, 'alice');
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
  });

  it("shows this device's verification code in Settings", async () => {
    await alice.getByTestId('open-settings').click();
    const link = alice.getByTestId('own-qr-link');
    await link.getByText(/omemo-sid-/).waitFor({ timeout: 20_000 });
    aliceLink = await link.innerText();
    const match = /^xmpp:alice@localhost\?omemo-sid-(\d+)=([0-9a-f]{64})$/.exec(aliceLink);
    assert.ok(match?.[1] && match[2], `a verification URI: ${aliceLink}`);
    aliceDevice = match[1];
    // The code carries the key the fingerprint card shows.
    const shown = (await alice.getByTestId('own-fingerprint').innerText()).replace(
      /[^0-9a-f]/g,
      '',
    );
    assert.ok(shown.includes(match[2]), 'the same fingerprint as the card above');
    await alice.getByTestId('own-qr').scrollIntoViewIfNeeded();
    await shot(alice, '01-settings-qr');
  });

  it("scans Alice's code with the camera: she is added and her device verified", async () => {
    // Alice's code as the camera would film it: her screen's pixels, centred on white.
    const png = join(shots, 'alice-qr.png');
    await alice.getByTestId('own-qr-code').screenshot({ path: png });
    const video = await cameraVideo(join(shots, 'alice-qr.y4m'), [
      ...['-loop', '1', '-i', png],
      ...['-vf', 'pad=640:480:(ow-iw)/2:(oh-ih)/2:white'],
    ]);
    const bob = await profile({ fakeVideo: video });
    await signUp(bob, 'bob');
    await bob.getByTestId('open-add-contact').click();
    await shot(bob, '02-add-contact-scan');
    const started = Date.now();
    await bob.getByTestId('open-scanner').click();
    await seesAliceVerified(bob);
    console.log(`scanner opened to device verified: ${Date.now() - started} ms`);
    await shot(bob, '03-scanned-contact-verified');
    // The scan also added her: she is in Bob's chats, and she is asked to share presence.
    await bob.getByTestId('back').click();
    await bob.getByTestId('back').click();
    await bob.getByTestId('chat-alice@localhost').waitFor();
    await alice.getByTestId('back').click();
    await alice.getByTestId('approve-bob@localhost').waitFor({ timeout: 20_000 });

    // From her details, "Scan to verify" reads the same code and comes back to them.
    await bob.getByTestId('chat-alice@localhost').click();
    await bob.getByTestId('open-contact').click();
    await bob.getByTestId('scan-to-verify').click();
    await bob.getByText(t('scan.verifyTitle')).waitFor();
    await seesAliceVerified(bob);
  });

  it('shows the live camera and does nothing while no code is in view', async () => {
    const video = await cameraVideo(join(shots, 'pattern.y4m'), [
      ...['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=10'],
    ]);
    const carol = await profile({ fakeVideo: video });
    await signUp(carol, 'carol');
    await openScanner(carol);
    await waitInPage(
      carol,
      "document.querySelector('video[data-testid=qr-camera]')?.currentTime > 1",
    );
    await shot(carol, '04-scanner-live');
    await carol.getByText(t('scan.addTitle')).waitFor();
    assert.equal(await carol.getByTestId('error-notice').count(), 0);
  });

  it('says the camera was refused, and takes the pasted link instead', async () => {
    const dave = await profile({
      args: ['--use-fake-device-for-media-stream', '--deny-permission-prompts'],
    });
    await signUp(dave, 'dave');
    await openScanner(dave);
    await dave.getByTestId('camera-refused').getByText(t('scan.cameraRefusedWeb')).waitFor();
    await dave.getByTestId('qr-paste-input').fill(aliceLink);
    await shot(dave, '05-camera-refused');
    await dave.getByTestId('qr-paste-submit').click();
    await seesAliceVerified(dave);
  });

  it('says when there is no camera at all', async () => {
    const erin = await profile();
    await signUp(erin, 'erin');
    await openScanner(erin);
    await erin.getByTestId('camera-unavailable').getByText(t('scan.cameraUnavailable')).waitFor();
    await shot(erin, '06-no-camera');
  });

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

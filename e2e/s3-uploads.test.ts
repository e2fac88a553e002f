// The web app served by Prosody (WEB_DIR, mod_hush_web) with files on S3-compatible storage
// (UPLOAD_STORAGE=s3), as a native install with --uploads s3 runs it: the app's uploads and
// downloads go to the upload service on another origin (https://DOMAIN:5282/upload/), which the
// page's Content-Security-Policy must allow. Alice sends a photo; Bob's browser fetches and shows
// it; the bucket holds it; nothing was blocked.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { repoRoot, startProsody, type ProsodyServer } from '@hush/test-utils';
import {
  onlineIn,
  openProfile,
  policyViolations,
  spkiHash,
  webBuild,
  type Stack,
} from './harness.ts';

const run = promisify(execFile);
const password = 'files in a bucket';
let prosody: ProsodyServer;
let shots: string;
const contexts: BrowserContext[] = [];

async function invite(): Promise<string> {
  const { stdout } = await run(join(repoRoot, 'server/deploy/hush-server'), [
    '--config',
    prosody.configFile,
    'invite',
  ]);
  return stdout.split('\n')[1] ?? '';
}

async function signUp(context: BrowserContext, name: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(await invite());
  await page.getByTestId('username-input').fill(name);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('submit').click();
  await onlineIn(page);
  return page;
}

/** Every file below `dir`. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('Hush web app with files on S3-compatible storage', { timeout: 180_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-s3-'));
    prosody = await startProsody({ upload: 's3', settings: { WEB_DIR: webBuild } });
    const cert = readFileSync(join(prosody.dir, 'certs', `${prosody.domain}.crt`), 'utf8');
    // The upload service serves the same certificate: the one pin covers both origins.
    const stack = { spki: spkiHash(cert) } as Stack;
    contexts.push(await openProfile(stack), await openProfile(stack));
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await prosody?.stop();
    await rm(shots, { recursive: true, force: true });
  });

  it('a photo goes through the upload service into the bucket, and the other side shows it', async () => {
    const upload = new URL(prosody.uploads?.url ?? '');
    assert.notEqual(upload.origin, new URL(prosody.httpsUrl).origin, 'another origin');
    const [aliceContext, bobContext] = contexts as [BrowserContext, BrowserContext];
    const alice = await signUp(aliceContext, 'alice');
    const bob = await signUp(bobContext, 'bob');
    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('bob@localhost');
    await alice.getByTestId('add-contact').click();
    await bob.getByTestId('approve-alice@localhost').click({ timeout: 20_000 });
    await alice.getByTestId('composer-input').fill('A photo follows');
    await alice.getByTestId('send-button').click();
    await bob.getByTestId('chat-alice@localhost').click({ timeout: 20_000 });
    await bob.getByText('A photo follows').waitFor({ timeout: 20_000 });

    const s3Dir = prosody.uploads?.s3.dir ?? '';
    const before = await filesIn(s3Dir);
    const photo = join(shots, 'photo.png');
    await bob.screenshot({ path: photo });
    const chooser = alice.waitForEvent('filechooser');
    await alice.getByTestId('attach-button').click();
    await (await chooser).setFiles(photo);
    // Alice's own copy shows once it is sent; Bob's browser fetches it from the upload service.
    await alice.getByTestId('file-image').last().waitFor({ timeout: 30_000 });
    await bob.getByTestId('file-image').last().waitFor({ timeout: 30_000 });
    assert.ok((await filesIn(s3Dir)).length > before.length, 'the bucket holds the file');
  });

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

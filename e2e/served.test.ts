// The web app as a server operator deploys it: Prosody itself serves the build (WEB_DIR, through
// mod_hush_web) beside the websocket and the uploads, on one origin, with no other web server. The
// invite links hush-server prints (https://DOMAIN/invite?TOKEN) open the app there; two people
// sign up from them, add each other and write both ways.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { repoRoot, startProsody, type ProsodyServer } from '@hush/test-utils';
import { onlineIn, openProfile, spkiHash, webBuild, wordsFor, type Stack } from './harness.ts';

const run = promisify(execFile);
const password = 'served by prosody';
/** The app's words in the browsers' language (HUSH_LOCALE: the suite runs in English and Russian). */
const t = wordsFor();
let prosody: ProsodyServer;
const contexts: BrowserContext[] = [];

/** An invite as hush-server prints it: the xmpp: link, then the https link that opens the app. */
async function invite(): Promise<string> {
  const { stdout } = await run(join(repoRoot, 'server/deploy/hush-server'), [
    '--config',
    prosody.configFile,
    'invite',
  ]);
  const link = stdout.split('\n')[1] ?? '';
  assert.match(link, /^https:\/\/localhost:\d+\/invite\?[\w-]+$/);
  return link;
}

async function signUp(context: BrowserContext, link: string, name: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(link);
  await page.getByTestId('username-input').fill(name);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('submit').click();
  await onlineIn(page);
  return page;
}

describe('Hush web app served by Prosody', { timeout: 180_000 }, () => {
  before(async () => {
    prosody = await startProsody({ settings: { WEB_DIR: webBuild } });
    const cert = readFileSync(join(prosody.dir, 'certs', `${prosody.domain}.crt`), 'utf8');
    // openProfile needs only the certificate pin; this stack has no proxy of its own.
    const stack = { spki: spkiHash(cert) } as Stack;
    contexts.push(await openProfile(stack), await openProfile(stack));
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await prosody?.stop();
  });

  it('two people sign up from https invite links, add each other and write both ways', async () => {
    const [aliceContext, bobContext] = contexts as [BrowserContext, BrowserContext];
    const alice = await signUp(aliceContext, await invite(), 'alice');
    assert.equal(new URL(alice.url()).origin, new URL(prosody.httpsUrl).origin);
    const bob = await signUp(bobContext, await invite(), 'bob');

    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('bob@localhost');
    await alice.getByTestId('add-contact').click();
    await bob.getByTestId('approve-alice@localhost').click({ timeout: 20_000 });
    await alice.getByTestId('composer-input').fill('Served by Prosody');
    await alice.getByTestId('send-button').click();
    await bob.getByTestId('chat-alice@localhost').click({ timeout: 20_000 });
    await bob.getByText('Served by Prosody').waitFor();
    await alice.getByLabel(t('message.state.read')).last().waitFor({ timeout: 20_000 });
    await bob.getByTestId('composer-input').fill('And back');
    await bob.getByTestId('send-button').click();
    await alice.getByText('And back').waitFor({ timeout: 20_000 });
    assert.equal(await alice.getByTestId('unencrypted').count(), 0);
  });
});

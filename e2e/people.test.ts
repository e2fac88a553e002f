// People, files and languages in the web app: Alice's browser speaks Russian, Bob's English. Each
// gives themselves a name, which the other sees instead of an address (the address stays in the
// request and the contact's details); a name Bob gives Alice wins over hers; files show as their
// names and kinds ("notes.txt", "Photo"), never as "encrypted"; and Alice's app is in Russian
// throughout, down to the plural of her unread count.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { openProfile, startStack, type Stack, policyViolations } from './harness.ts';

const password = 'correct horse battery';
let stack: Stack;
let shots: string;
const contexts: BrowserContext[] = [];
/** What the app warned about on the console that it should not (BackHandler on the web). */
const warnings: string[] = [];
let alice: Page;
let bob: Page;

const shot = (p: Page, name: string) => p.screenshot({ path: join(shots, `${name}.png`) });

/** Signs up through the onboarding form and waits for the chat list's online state. */
async function signUp(p: Page, name: string, online: RegExp): Promise<void> {
  await p.goto(stack.url);
  await p.getByTestId('tab-invite').click();
  await p.getByTestId('invite-input').fill(await stack.prosody.createInvite());
  await p.getByTestId('username-input').fill(name);
  await p.getByTestId('password-input').fill(password);
  await p.getByTestId('submit').click();
  await p.getByText(online).waitFor({ timeout: 30_000 });
}

async function giveOwnName(p: Page, name: string): Promise<void> {
  await p.getByTestId('open-settings').click();
  await p.getByTestId('own-name-input').fill(name);
  await p.getByTestId('own-name-save').click();
  // Saved: the button has nothing left to save, and says so (disabled).
  await p.locator('[data-testid="own-name-save"][aria-disabled="true"]').waitFor();
  await p.getByTestId('back').click();
}

async function attach(p: Page, path: string): Promise<void> {
  const chooser = p.waitForEvent('filechooser');
  await p.getByTestId('attach-button').click();
  await (await chooser).setFiles(path);
}

describe('names, file labels and Russian in the web app', { timeout: 300_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-people-'));
    console.log(`screenshots: ${shots}`);
    stack = await startStack();
    const aliceContext = await openProfile(stack, { locale: 'ru-RU' });
    const bobContext = await openProfile(stack, { locale: 'en-US' });
    contexts.push(aliceContext, bobContext);
    alice = aliceContext.pages()[0] ?? (await aliceContext.newPage());
    bob = bobContext.pages()[0] ?? (await bobContext.newPage());
    for (const p of [alice, bob]) {
      p.on('pageerror', (e) => console.error(`page error: ${e.message}`));
      p.on('console', (m) => {
        if (/BackHandler/.test(m.text())) warnings.push(m.text());
      });
    }
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
  });

  it('each side speaks its browser’s language', async () => {
    await alice.goto(stack.url);
    await alice.getByText('У меня есть приглашение').waitFor();
    assert.equal(await alice.getByText('I have an invite').count(), 0);
    await shot(alice, '01-alice-onboarding-ru');
    await signUp(alice, 'alice', / · В сети$/);
    await alice.getByText('Чатов пока нет').waitFor();
    await shot(alice, '02-alice-chats-ru');
    await signUp(bob, 'bob', / · Online$/);
    await bob.getByText('No chats yet').waitFor();
  });

  it('shows people by the names they gave themselves, the address where it decides', async () => {
    await giveOwnName(alice, 'Алиса');
    await giveOwnName(bob, 'Bob Builder');

    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('bob@localhost');
    await alice.getByTestId('add-contact').click();
    await alice.getByTestId('composer-input').waitFor();

    // Bob's request names Alice as she calls herself, and shows her address.
    const request = bob.getByTestId('request-alice@localhost');
    await request.getByText('Алиса wants to add you as a contact.').waitFor({ timeout: 20_000 });
    await request.getByText('alice@localhost').waitFor();
    await shot(bob, '03-bob-request');
    await bob.getByTestId('approve-alice@localhost').click();

    await alice.getByTestId('composer-input').fill('Привет, Боб');
    await alice.getByTestId('send-button').click();
    await bob.getByTestId('preview-alice@localhost').getByText('Привет, Боб').waitFor();
    assert.equal(await bob.getByTestId('name-alice@localhost').innerText(), 'Алиса');
    assert.equal(await bob.getByText('alice@localhost').count(), 0, 'no address in the list');

    // Alice reads Bob's name from his account once he lets her see his presence.
    await alice.getByTestId('back').click();
    await alice
      .getByTestId('name-bob@localhost')
      .getByText('Bob Builder')
      .waitFor({ timeout: 20_000 });
    await shot(alice, '04-alice-chats-named');
  });

  it('a name given to a contact wins, and the address is in their details', async () => {
    await bob.getByTestId('chat-alice@localhost').click();
    await bob.getByTestId('open-contact').click();
    await bob.getByTestId('contact-address').getByText('alice@localhost').waitFor();
    assert.equal(await bob.getByTestId('contact-name').innerText(), 'Алиса');
    await bob.getByTestId('contact-name-input').fill('Alice (work)');
    await bob.getByTestId('contact-name-save').click();
    await bob.getByTestId('contact-name').getByText('Alice (work)').waitFor();
    await shot(bob, '05-bob-contact-details');
    await bob.getByTestId('back').click();
    await bob.getByTestId('back').click();
    await bob.getByTestId('name-alice@localhost').getByText('Alice (work)').waitFor();
  });

  it('labels files by name and kind, in each language, and counts unread in Russian', async () => {
    const notes = join(shots, 'notes.txt');
    await writeFile(notes, 'Meeting notes: bring the keys.');
    const photo = join(shots, 'photo.png');
    await shot(bob, 'photo');

    await alice.getByTestId('chat-bob@localhost').click();
    await attach(alice, notes);
    // The sender kept the name: her bubble and her chat list say "notes.txt".
    await alice.getByTestId('file-label').getByText('notes.txt').waitFor({ timeout: 30_000 });
    // Bob gets the name too: both speak OMEMO 2, whose envelope carries the file's description
    // (XEP-0447), so the server never sees it. Never "encrypted" or the link.
    await bob
      .getByTestId('preview-alice@localhost')
      .getByText('notes.txt', { exact: true })
      .waitFor({ timeout: 30_000 });
    assert.doesNotMatch(
      await bob.getByTestId('preview-alice@localhost').innerText(),
      /encrypted|aesgcm/i,
    );

    await attach(alice, photo);
    await alice.getByTestId('file-image').last().waitFor({ timeout: 30_000 });
    await bob
      .getByTestId('preview-alice@localhost')
      .getByText('Photo', { exact: true })
      .waitFor({ timeout: 30_000 });
    await alice.getByTestId('back').click();
    await alice.getByTestId('preview-bob@localhost').getByText('Фото').waitFor();
    await shot(bob, '06-bob-chats-labels');

    // Bob writes twice while Alice is on her chat list: "2 непрочитанных сообщения".
    await bob.getByTestId('chat-alice@localhost').click();
    for (const text of ['One', 'Two']) {
      await bob.getByTestId('composer-input').fill(text);
      await bob.getByTestId('send-button').click();
    }
    await alice.getByLabel('2 непрочитанных сообщения').waitFor({ timeout: 20_000 });
    await shot(alice, '07-alice-chats-unread-ru');
    await alice.getByTestId('chat-bob@localhost').click();
    await alice.getByText('Two', { exact: true }).waitFor();
    await alice.getByText('Bob Builder').first().waitFor();
    await shot(alice, '08-alice-chat-ru');
  });

  it('ran without anything blocked by the Content-Security-Policy, and no BackHandler warning', () => {
    assert.deepEqual(policyViolations, []);
    assert.deepEqual(warnings, []);
  });
});

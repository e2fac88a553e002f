// Moving around the web app: an invite link opens sign-up with the invite filled in; signed in, a
// link opens the screen that adds the person it names; every screen has its address (reload and
// the browser's back button work); Enter sends and Shift+Enter starts a new line; Esc closes the
// chat; a desktop window shows the chat list beside the chat, a phone one column. Screenshots of
// both go to the folder printed at the start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  onlineIn,
  openProfile,
  signUpWithInvite,
  startStack,
  policyViolations,
  type Stack,
} from './harness.ts';

const password = 'correct horse battery';
const phone = { width: 420, height: 760 };
const desktop = { width: 1280, height: 800 };
let stack: Stack;
let shots: string;
const contexts: BrowserContext[] = [];
let nina: Page;
let omar: Page;

async function page(context: BrowserContext): Promise<Page> {
  const p = context.pages()[0] ?? (await context.newPage());
  p.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  return p;
}

const shot = (p: Page, name: string) => p.screenshot({ path: join(shots, `${name}.png`) });
const path = (p: Page) => decodeURIComponent(new URL(p.url()).pathname);

describe('Hush web app: links, addresses, keys and layouts', { timeout: 240_000 }, () => {
  before(async () => {
    shots = await mkdtemp(join(tmpdir(), 'hush-e2e-navigation-'));
    console.log(`screenshots: ${shots}`);
    stack = await startStack();
    for (let i = 0; i < 2; i++) contexts.push(await openProfile(stack));
    [nina, omar] = (await Promise.all(contexts.map(page))) as [Page, Page];
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.stop();
  });

  it('opens sign-up from an xmpp: invite handed to the web app, with the invite filled in', async () => {
    const invite = await stack.prosody.createInvite();
    assert.match(invite, /^xmpp:[^?]+\?register;preauth=/);
    await nina.goto(`${stack.url}invite?link=${encodeURIComponent(invite)}`);
    await nina.getByTestId('username-input').waitFor();
    assert.equal(await nina.getByTestId('invite-input').inputValue(), invite);
    await shot(nina, '01-phone-sign-up-from-link');
    await nina.getByTestId('username-input').fill('nina');
    await nina.getByTestId('password-input').fill(password);
    await nina.getByTestId('submit').click();
    await onlineIn(nina);
    // The used invite leaves the address bar.
    assert.equal(new URL(nina.url()).search, '');
    assert.equal(path(nina), '/');
  });

  it('signed in, a link names the person to add; adding opens the chat at its own address', async () => {
    await signUpWithInvite(omar, stack, 'omar', password);
    await nina.goto(`${stack.url}invite?link=${encodeURIComponent('xmpp:omar@localhost')}`);
    await nina.getByTestId('invite-person').getByText('omar@localhost').waitFor();
    await shot(nina, '02-phone-add-from-link');
    await nina.getByTestId('add-contact').click();
    await nina.getByTestId('composer-input').waitFor();
    assert.equal(path(nina), '/chat/omar@localhost');
    await omar.getByTestId('approve-nina@localhost').click({ timeout: 20_000 });
  });

  it('Enter sends, Shift+Enter starts a new line', async () => {
    const composer = nina.getByTestId('composer-input');
    await composer.fill('first line');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('second line');
    assert.equal(await composer.inputValue(), 'first line\nsecond line');
    await composer.press('Enter');
    await omar.getByTestId('chat-nina@localhost').click({ timeout: 20_000 });
    await omar.getByText(/^first line\nsecond line$/).waitFor({ timeout: 20_000 });
    assert.equal(await composer.inputValue(), '');
    await shot(nina, '03-phone-chat');
  });

  it('Esc closes the chat; the browser goes back and forward through the screens', async () => {
    await nina.keyboard.press('Escape');
    await nina.getByTestId('open-add-contact').waitFor();
    assert.equal(path(nina), '/');
    await nina.getByTestId('open-settings').click();
    await nina.getByTestId('log-out').waitFor();
    assert.equal(path(nina), '/settings');
    await nina.goBack();
    await nina.getByTestId('open-add-contact').waitFor();
    await nina.goForward();
    await nina.getByTestId('log-out').waitFor();
    await nina.keyboard.press('Escape');
    await nina.getByTestId('open-add-contact').waitFor();
    // A reload opens the same screen: the chat is the page's address.
    await nina.getByTestId('chat-omar@localhost').click();
    await nina.reload();
    await nina.getByText(/^first line\nsecond line$/).waitFor();
    await nina.getByTestId('back').click();
    await nina.getByTestId('open-add-contact').waitFor();
  });

  it('a desktop window shows the chat list beside the chat; a phone window one at a time', async () => {
    await nina.setViewportSize(desktop);
    await nina.getByTestId('no-chat-open').waitFor();
    await nina.getByTestId('list-pane').getByTestId('open-add-contact').waitFor();
    await shot(nina, '04-desktop-nothing-open');
    await nina.getByTestId('chat-omar@localhost').click();
    await nina.getByTestId('composer-input').waitFor();
    await nina
      .getByTestId('open-pane')
      .getByText(/^first line\nsecond line$/)
      .waitFor();
    // The list stays beside the open chat, with one copy of each control on the page.
    assert.equal(await nina.getByTestId('chat-omar@localhost').count(), 1);
    assert.equal(await nina.getByTestId('composer-input').count(), 1);
    const list = await nina.getByTestId('list-pane').boundingBox();
    const open = await nina.getByTestId('open-pane').boundingBox();
    assert.ok(list && open && list.x + list.width <= open.x, 'the list is left of the chat');
    await shot(nina, '05-desktop-chat');
    // Esc closes the chat and leaves the list.
    await nina.keyboard.press('Escape');
    await nina.getByTestId('no-chat-open').waitFor();
    assert.equal(await nina.getByTestId('chat-omar@localhost').count(), 1);

    // A phone-sized window: one column, the open chat alone.
    await nina.getByTestId('chat-omar@localhost').click();
    await nina.setViewportSize(phone);
    // The composer was there before the resize too: what shows the new layout is the list leaving.
    await nina.getByTestId('list-pane').waitFor({ state: 'detached' });
    await nina.getByTestId('composer-input').waitFor();
    assert.equal(await nina.getByTestId('chat-omar@localhost').count(), 0);
    await shot(nina, '06-phone-chat-after-resize');
    await nina.getByTestId('back').click();
    await nina.getByTestId('chat-omar@localhost').waitFor();
    await shot(nina, '07-phone-list');
  });

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

// The installable web app: its service worker shows a push as "New message" while the app is
// closed, a click opens the chat the new message is in, and the worker starts the app from its
// cache, with its history, when the server is down.
//
// A Web Push message cannot come from a real push service here (none is reachable): it is delivered
// to the service worker through the DevTools protocol (ServiceWorker.deliverPushMessage), as a push
// service would hand it over. The gateway's side, the encrypted request to a push service, has its
// tests in packages/push-gateway.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { until } from '@hush/test-utils';
import {
  openProfile,
  policyViolations,
  signUpWithInvite,
  startStack,
  waitInPage,
  wordsFor,
  type Stack,
} from './harness.ts';

const password = 'correct horse battery';
/** The app's words in the browsers' language (HUSH_LOCALE: the suite runs in English and Russian). */
const t = wordsFor();
let stack: Stack;
let stopped = false;
const contexts: BrowserContext[] = [];
let alice: Page;
let bob: Page;

async function send(p: Page, text: string): Promise<void> {
  await p.getByTestId('composer-input').fill(text);
  await p.getByTestId('send-button').click();
}

async function shown(p: Page, text: string): Promise<void> {
  await p.getByTestId('message-text').getByText(text, { exact: true }).waitFor({ timeout: 30_000 });
}

describe('the web app with its service worker', { timeout: 300_000 }, () => {
  before(async () => {
    stack = await startStack();
    for (let i = 0; i < 2; i++) contexts.push(await openProfile(stack));
    const [a, b] = contexts as [BrowserContext, BrowserContext];
    alice = a.pages()[0] ?? (await a.newPage());
    bob = b.pages()[0] ?? (await b.newPage());
    await signUpWithInvite(alice, stack, 'alice', password);
    await signUpWithInvite(bob, stack, 'bob', password);
    await alice.getByTestId('open-add-contact').click();
    await alice.getByTestId('contact-input').fill('bob@localhost');
    await alice.getByTestId('add-contact').click();
    await alice.getByTestId('composer-input').waitFor();
    await bob.getByTestId('approve-alice@localhost').click({ timeout: 20_000 });
    await send(alice, 'Kept on this device');
    await bob.getByTestId('chat-alice@localhost').click({ timeout: 20_000 });
    await shown(bob, 'Kept on this device');
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    if (!stopped) await stack?.stop();
  });

  it('is installable: a manifest with icons, and a service worker in control', async () => {
    // Fetched by the browser, which trusts the stack's certificate.
    const manifest = (await bob.evaluate(
      `fetch('/manifest.json').then((response) => response.json())`,
    )) as { display: string; icons: { src: string; sizes: string }[] };
    assert.equal(manifest.display, 'standalone');
    assert.deepEqual(
      manifest.icons.map((icon) => icon.sizes),
      ['192x192', '512x512', '512x512'],
    );
    for (const icon of manifest.icons) {
      const type = await bob.evaluate(
        `fetch(${JSON.stringify(icon.src)}).then((response) => response.headers.get('content-type'))`,
      );
      assert.equal(type, 'image/png', icon.src);
    }
    await waitInPage(bob, 'navigator.serviceWorker.controller !== null');
    await waitInPage(bob, `caches.match('/').then((page) => page !== undefined)`);
  });

  it('shows a push as "New message" while the app is closed', async () => {
    const [, context] = contexts as [BrowserContext, BrowserContext];
    await context.grantPermissions(['notifications'], { origin: new URL(stack.url).origin });
    // The DevTools session lives on a blank page: closing the app's page leaves it.
    const blank = await context.newPage();
    const cdp: CDPSession = await context.newCDPSession(blank);
    let registrationId: string | undefined;
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      for (const registration of registrations as { registrationId: string; scopeURL: string }[])
        if (registration.scopeURL === stack.url) registrationId = registration.registrationId;
    });
    await cdp.send('ServiceWorker.enable');
    const id = await until(() => registrationId, 'the service worker registration');
    await bob.close();
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: new URL(stack.url).origin,
      registrationId: id,
      data: '{"type":"message"}',
    });
    // Read back from the worker's registration, in a page of the same origin that the worker
    // serves (and that is not the app: the app in front would show what arrived itself).
    const reader = await context.newPage();
    await reader.goto(new URL('manifest.json', stack.url).toString());
    const notifications = await until(
      () =>
        reader.evaluate(`navigator.serviceWorker.ready
          .then((registration) => registration.getNotifications())
          .then((shown) => shown.length > 0
            ? shown.map(({ title, body }) => ({ title, body }))
            : undefined)`),
      'the notification',
    );
    assert.deepEqual(notifications, [
      { title: t('push.wakeUp.title'), body: t('push.wakeUp.body') },
    ]);
    await reader.close();
  });

  it('a click on it opens, once caught up, the chat the new message is in, decrypted', async () => {
    const [, context] = contexts as [BrowserContext, BrowserContext];
    await send(alice, 'While you were away');
    // On the server (acknowledged) before bob's app starts, so his catch-up brings it.
    await alice
      .locator(`[data-testid^="state-"][aria-label="${t('message.state.sent')}"]`)
      .first()
      .waitFor({ timeout: 30_000 });
    // What the worker opens when its notification is clicked and no page is open (sw.js,
    // notificationclick; its half is tested in src/push/sw.test.ts): a click on a notification of
    // the system cannot be made from a test.
    const opened = await context.newPage();
    await opened.goto(new URL('/?opened=push', stack.url).toString());
    await shown(opened, 'While you were away');
    await opened.getByTestId('composer-input').waitFor();
    assert.equal(new URL(opened.url()).searchParams.get('opened'), null, 'the query is gone');
    await opened.close();
  });

  it('starts from its cache with the server down, and shows its history', async () => {
    const [, context] = contexts as [BrowserContext, BrowserContext];
    stopped = true;
    // Open websockets are the app's: cut them, or the server would wait for them to close.
    stack.refuseConnections(true);
    stack.dropConnections();
    await stack.stop();
    const offline = await context.newPage();
    await offline.goto(stack.url);
    await offline.getByTestId('chat-alice@localhost').click({ timeout: 30_000 });
    await shown(offline, 'Kept on this device');
  });

  it('ran without anything blocked by the Content-Security-Policy', () => {
    assert.deepEqual(policyViolations, []);
  });
});

// The service worker's wake-up text (public/sw.js): the words the app handed over, in its
// language from its i18n resources, kept across the worker's restarts and new builds; English
// until the app has said; anything else posted to the worker changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { en } from '../i18n/en.ts';
import { ru } from '../i18n/ru.ts';

const source = readFileSync(fileURLToPath(new URL('../../public/sw.js', import.meta.url)), 'utf8');
/** What the app listens for (index.web.ts's OPENED_BY_PUSH, read from its source: it is not Node's). */
const OPENED_BY_PUSH = /OPENED_BY_PUSH = '([^']+)'/.exec(
  readFileSync(fileURLToPath(new URL('./index.web.ts', import.meta.url)), 'utf8'),
)?.[1];

type Listener = (event: unknown) => void;

/** Cache Storage in memory, shared by the workers started on it (as the browser keeps it). */
function cacheStorage() {
  const caches = new Map<string, Map<string, Response>>();
  const open = (name: string) => {
    const entries = caches.get(name) ?? new Map<string, Response>();
    caches.set(name, entries);
    return Promise.resolve({
      match: (key: string) => Promise.resolve(entries.get(key)?.clone()),
      put(key: string, response: Response) {
        entries.set(key, response);
        return Promise.resolve();
      },
    });
  };
  return {
    names: () => [...caches.keys()],
    open,
    keys: () => Promise.resolve([...caches.keys()]),
    delete: (name: string) => Promise.resolve(caches.delete(name)),
  };
}

/** A page of the app the worker sees: what it was told and whether it was brought to the front. */
function appWindow() {
  const window = {
    told: [] as unknown[],
    focused: false,
    visibilityState: 'hidden',
    postMessage: (message: unknown) => window.told.push(message),
    focus() {
      window.focused = true;
      return Promise.resolve(window);
    },
  };
  return window;
}

/**
 * Starts sw.js on `caches` with these pages open; returns what it shows and opens, and a way to hand
 * it events.
 */
function startWorker(
  caches: ReturnType<typeof cacheStorage>,
  windows: ReturnType<typeof appWindow>[] = [],
) {
  const opened: string[] = [];
  const listeners = new Map<string, Listener>();
  const shown: { title: string; body: string }[] = [];
  const self = {
    addEventListener: (type: string, listener: Listener) => listeners.set(type, listener),
    location: { origin: 'https://chat.example.org' },
    navigator: { language: 'en-US' },
    registration: {
      showNotification(title: string, options: { body: string }) {
        shown.push({ title, body: options.body });
        return Promise.resolve();
      },
    },
    clients: { claim: () => Promise.resolve() },
    skipWaiting: () => Promise.resolve(),
  };
  runInNewContext(source, {
    self,
    caches,
    clients: {
      matchAll: () => Promise.resolve(windows),
      openWindow(url: string) {
        opened.push(url);
        return Promise.resolve(null);
      },
    },
    fetch: () => Promise.reject(new Error('offline')),
    Response,
    URL,
    AbortController,
    setTimeout,
    clearTimeout,
  });
  /** Dispatches an event and waits for what it asked to be waited for. */
  const dispatch = async (type: string, fields: object) => {
    const waits: Promise<unknown>[] = [];
    listeners.get(type)?.({ ...fields, waitUntil: (work: Promise<unknown>) => waits.push(work) });
    await Promise.all(waits);
  };
  return {
    shown,
    opened,
    dispatch,
    push: () => dispatch('push', { data: { json: () => ({ type: 'message' }) } }),
    tell: (data: unknown) => dispatch('message', { data }),
  };
}

const handedOver = (words: { push: { wakeUp: { title: string; body: string } } }) => ({
  type: 'hush-wake-up-words',
  ...words.push.wakeUp,
});

test('a push shows the words the app handed over, in its language', async () => {
  const worker = startWorker(cacheStorage());
  await worker.tell(handedOver(ru));
  await worker.push();
  assert.deepEqual(worker.shown, [{ title: 'Hush', body: 'Новое сообщение' }]);
});

test('the words outlive the worker and a new build’s activation', async () => {
  const caches = cacheStorage();
  await startWorker(caches).tell(handedOver(ru));
  const restarted = startWorker(caches);
  await restarted.dispatch('activate', {});
  assert.ok(caches.names().includes('hush-words'), 'the words cache is kept');
  await restarted.push();
  assert.deepEqual(restarted.shown, [{ title: 'Hush', body: 'Новое сообщение' }]);
});

test('before the app has said, a push shows the English words', async () => {
  const worker = startWorker(cacheStorage());
  await worker.push();
  assert.deepEqual(worker.shown, [en.push.wakeUp]);
});

test('other messages, or words that are not short text, change nothing', async () => {
  const worker = startWorker(cacheStorage());
  await worker.tell(handedOver(ru));
  for (const data of [
    null,
    'Новое сообщение',
    { type: 'other', title: 'X', body: 'Y' },
    { type: 'hush-wake-up-words', title: 'Hush' },
    { type: 'hush-wake-up-words', title: 'Hush', body: '  ' },
    { type: 'hush-wake-up-words', title: 'Hush', body: 42 },
    { type: 'hush-wake-up-words', title: 'Hush', body: 'x'.repeat(10_000) },
  ])
    await worker.tell(data);
  await worker.push();
  assert.deepEqual(worker.shown, [{ title: 'Hush', body: 'Новое сообщение' }]);
});

test('a click with no page open opens the app, saying a notification was the reason', async () => {
  const worker = startWorker(cacheStorage());
  let closed = false;
  await worker.dispatch('notificationclick', { notification: { close: () => (closed = true) } });
  assert.equal(closed, true);
  assert.deepEqual(worker.opened, ['/?opened=push']);
});

test('a click with the app open brings it to the front and tells it why', async () => {
  const page = appWindow();
  const worker = startWorker(cacheStorage(), [page]);
  await worker.dispatch('notificationclick', { notification: { close: () => undefined } });
  assert.deepEqual(worker.opened, []);
  assert.equal(page.focused, true);
  // Made in the worker's context: compared as data.
  assert.deepEqual(JSON.parse(JSON.stringify(page.told)), [{ type: OPENED_BY_PUSH }]);
});

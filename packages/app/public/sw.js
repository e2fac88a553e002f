// Hush's service worker.
//
// The app shell (index.html, the bundle it names, the icons) is cached at install, so the app
// starts without the network, or with its server down, and shows the history it keeps on the
// device. Pages are fetched from the network first (a new build is picked up as soon as it is
// served), the cache answering when the network does not; the bundle and other static files, whose
// names change with their content, from the cache first. Nothing else is cached: not the websocket,
// not files (they are end-to-end encrypted and can be large), not the server's metrics.
//
// A push message (Web Push, from the Hush push gateway) carries only that something arrived. It is
// shown as "New message" in the app's language, unless the app is open in front; a click opens the
// app, which then opens the chat the new messages are in. The words are the app's (its i18n resources, push.wakeUp): a worker cannot load i18next, so
// the app hands them over (src/push/index.web.ts) and the worker keeps them in a cache of their own,
// which outlives the worker's restarts and new builds' shell caches.
/* global self, caches, clients */
const CACHE = 'hush-app-1';
const STATIC = ['/manifest.json', '/icons/icon-192.png', '/icons/icon-512.png', '/favicon.ico'];
const NEVER_CACHED = ['/xmpp-websocket', '/file_share/', '/metrics', '/upload'];
const NAVIGATION_TIMEOUT_MS = 4000;
const WORDS_CACHE = 'hush-words';
const WORDS_KEY = '/wake-up-words';
/** The message the app sends the words in (WAKE_UP_WORDS in src/push/index.web.ts). */
const WAKE_UP_WORDS = 'hush-wake-up-words';
/** What a click on a notification tells an open app (OPENED_BY_PUSH in src/push/index.web.ts). */
const OPENED_BY_PUSH = 'hush-opened-by-push';
/** The address a click opens when no page is open (read by src/push/index.web.ts). */
const OPENED_BY_PUSH_URL = '/?opened=push';
/** Until the app has said (push turned on by a build before this one, not started since). */
const DEFAULT_WORDS = { title: 'Hush', body: 'New message' };

/** Same-origin paths an HTML page names in src= and href=. */
function assetsOf(html) {
  const paths = new Set();
  for (const match of html.matchAll(/(?:src|href)="(\/[^"]*)"/g)) paths.add(match[1]);
  return [...paths];
}

/** Caches the page and what it needs; drops static files of earlier builds. */
async function keepShell(response) {
  const cache = await caches.open(CACHE);
  const html = await response.clone().text();
  await cache.put('/', response);
  const wanted = new Set([...STATIC, ...assetsOf(html)]);
  await Promise.all(
    [...wanted].map(async (path) => {
      if (await cache.match(path)) return;
      const asset = await fetch(path).catch(() => undefined);
      if (asset && asset.ok) await cache.put(path, asset);
    }),
  );
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/_expo/') && !wanted.has(path)) await cache.delete(request);
  }
}

/**
 * Requests the worker never answers: uploads (any method but GET, to this origin or the upload
 * service's) and the paths it never caches. Declared as routes to the network, they do not pass
 * through the worker at all. A fetch event, even one the worker declines, has Chromium read a
 * streamed request body before it goes out, so a PUT that the connection refuses (request streams
 * need HTTP/2) looked like an upload cut half-way instead of a refusal, and was never sent again
 * with a plain body.
 */
const NETWORK_ONLY = [
  ...['PUT', 'POST', 'DELETE', 'PATCH'].map((method) => ({ requestMethod: method })),
  ...NEVER_CACHED.map((prefix) => ({ urlPattern: `${prefix}*` })),
];

self.addEventListener('install', (event) => {
  // The Service Worker Static Routing API, where the browser has it (Chromium 123 and later).
  if (typeof event.addRoutes === 'function') {
    event.waitUntil(
      event
        .addRoutes({ condition: { or: NETWORK_ONLY }, source: 'network' })
        .catch(() => undefined),
    );
  }
  event.waitUntil(
    fetch('/', { cache: 'no-cache' })
      .then((response) => (response.ok ? keepShell(response) : undefined))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name !== CACHE && name !== WORDS_CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

async function page(request) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NAVIGATION_TIMEOUT_MS);
  try {
    const response = await fetch(request, { signal: controller.signal });
    // Every path of the app answers with the same page: keep the newest for offline starts.
    if (response.ok && (response.headers.get('content-type') || '').startsWith('text/html'))
      await keepShell(response.clone()).catch(() => undefined);
    return response;
  } catch (error) {
    const cached = await caches.match('/');
    if (cached) return cached;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function asset(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (NEVER_CACHED.some((prefix) => url.pathname.startsWith(prefix))) return;
  event.respondWith(request.mode === 'navigate' ? page(request) : asset(request));
});

/** Short non-empty text, or undefined: what the words may be. */
const text = (value, max) =>
  typeof value === 'string' && value.trim() !== '' && value.length <= max ? value : undefined;

self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== WAKE_UP_WORDS) return;
  const title = text(data.title, 64);
  const body = text(data.body, 256);
  if (!title || !body) return;
  const kept = new Response(JSON.stringify({ title, body }), {
    headers: { 'content-type': 'application/json' },
  });
  event.waitUntil(caches.open(WORDS_CACHE).then((cache) => cache.put(WORDS_KEY, kept)));
});

/** The words the app last handed over. */
async function words() {
  try {
    const kept = await (await caches.open(WORDS_CACHE)).match(WORDS_KEY);
    const saved = kept ? await kept.json() : {};
    const title = text(saved.title, 64);
    const body = text(saved.body, 256);
    if (title && body) return { title, body };
  } catch {
    // Unreadable: a push must still show something.
  }
  return DEFAULT_WORDS;
}

async function wake(event) {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    // Not JSON: still a wake-up, and a push must show something.
  }
  const windows = await clients.matchAll({ type: 'window', includeUncontrolled: true });
  // The app in front shows what arrived itself.
  if (windows.some((window) => window.visibilityState === 'visible' && window.focused)) return;
  const { title, body } = await words();
  await self.registration.showNotification(title, {
    body,
    tag: 'hush-new-message',
    renotify: true,
    icon: '/icons/icon-192.png',
    data: { type: payload.type || 'message' },
  });
}

self.addEventListener('push', (event) => event.waitUntil(wake(event)));

// A click opens the app, or brings an open one to the front, and tells it the notification was
// the reason: once caught up it opens the chat the new messages are in, when that is one.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((window) => 'focus' in window);
      if (!open) return clients.openWindow(OPENED_BY_PUSH_URL);
      open.postMessage({ type: OPENED_BY_PUSH });
      return open.focus();
    }),
  );
});

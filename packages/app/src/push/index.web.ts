// Web Push in the browser: the service worker (public/sw.js, registered by the page) subscribes with
// the browser's push service under the gateway's VAPID key; the subscription's endpoint and keys
// are what the gateway sends to. The worker shows "New message" while the app is closed, in the
// words the app hands it: a worker cannot load i18next.
import type { PushStateStore, PushRegistration } from '@hush/core';
import { i18n } from '../i18n';
import { PushDenied, PushUnsupported } from './controller';
import type { PushAccess, PushPlatform } from './types';

const supported = () =>
  typeof navigator !== 'undefined' &&
  'serviceWorker' in navigator &&
  typeof window !== 'undefined' &&
  'PushManager' in window &&
  'Notification' in window;

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function localState(jid: string): PushStateStore {
  const key = `hush.push.${jid}`;
  return {
    load() {
      const text = localStorage.getItem(key);
      return Promise.resolve(text ? (JSON.parse(text) as PushRegistration) : undefined);
    },
    save(registration) {
      if (registration) localStorage.setItem(key, JSON.stringify(registration));
      else localStorage.removeItem(key);
      return Promise.resolve();
    },
  };
}

/** The message public/sw.js takes the wake-up's words from (its WAKE_UP_WORDS). */
export const WAKE_UP_WORDS = 'hush-wake-up-words';

/**
 * Hands the service worker the wake-up's words in the app's language; it keeps them for pushes
 * that arrive while no page is open. Told at every start, at each subscription and whenever the
 * language changes.
 */
async function tellWorkerWords(): Promise<void> {
  if (!supported()) return;
  const registration = await navigator.serviceWorker.ready;
  registration.active?.postMessage({
    type: WAKE_UP_WORDS,
    title: i18n.t('push.wakeUp.title'),
    body: i18n.t('push.wakeUp.body'),
  });
}

/** What public/sw.js posts to an open app when its notification is clicked. */
export const OPENED_BY_PUSH = 'hush-opened-by-push';
/** The query public/sw.js opens the app with when a click finds no page open. */
const OPENED_BY_PUSH_QUERY = 'opened';

let launchedByPush: boolean | undefined;

/**
 * Whether this page was opened by a click on a notification (`/?opened=push`). Read once: the query
 * is taken out of the address, so a reload or a bookmark does not count as another click.
 */
function openedByPushAtLaunch(): boolean {
  if (launchedByPush !== undefined) return launchedByPush;
  launchedByPush = false;
  if (typeof window === 'undefined' || !window.location || !window.history) return false;
  const url = new URL(window.location.href);
  if (url.searchParams.get(OPENED_BY_PUSH_QUERY) !== 'push') return false;
  launchedByPush = true;
  url.searchParams.delete(OPENED_BY_PUSH_QUERY);
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  return true;
}

export function createPushPlatform(): PushPlatform {
  // Read before navigation first writes the address, which would drop the query.
  openedByPushAtLaunch();
  const tell = () => void tellWorkerWords().catch(() => undefined);
  tell();
  i18n.on('languageChanged', tell);
  return {
    state: localState,
    access(): Promise<PushAccess> {
      if (!supported()) return Promise.resolve('unsupported');
      const permission = Notification.permission;
      return Promise.resolve(permission === 'default' ? 'undetermined' : permission);
    },
    async target(vapidPublicKey) {
      if (!supported()) throw new PushUnsupported();
      if ((await Notification.requestPermission()) !== 'granted') throw new PushDenied();
      const registration = await navigator.serviceWorker.ready;
      const key = await vapidPublicKey();
      let subscription = await registration.pushManager.getSubscription();
      // A subscription under another key (another server's gateway) cannot be reused.
      const current = subscription?.options.applicationServerKey;
      if (subscription && current) {
        const wanted = fromBase64Url(key);
        const same =
          current.byteLength === wanted.byteLength &&
          new Uint8Array(current).every((byte, i) => byte === wanted[i]);
        if (!same) {
          await subscription.unsubscribe();
          subscription = null;
        }
      }
      subscription ??= await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: fromBase64Url(key),
      });
      const json = subscription.toJSON();
      const p256dh = json.keys?.p256dh;
      const auth = json.keys?.auth;
      if (!json.endpoint || !p256dh || !auth) throw new PushUnsupported('No usable subscription');
      await tellWorkerWords();
      return { provider: 'webpush', endpoint: json.endpoint, keys: { p256dh, auth } };
    },
    async release() {
      if (!supported()) return;
      const registration = await navigator.serviceWorker.ready;
      await (await registration.pushManager.getSubscription())?.unsubscribe();
    },
    openedAtLaunch() {
      // A click with no page open opens the app at OPENED_BY_PUSH_URL (sw.js, notificationclick).
      return Promise.resolve(openedByPushAtLaunch());
    },
    onOpened(listener) {
      // A click with the app open focuses it and posts OPENED_BY_PUSH to it.
      if (!supported()) return () => undefined;
      const onMessage = (event: MessageEvent<unknown>) => {
        const data = event.data as { type?: unknown } | null;
        if (data?.type === OPENED_BY_PUSH) listener();
      };
      navigator.serviceWorker.addEventListener('message', onMessage);
      return () => navigator.serviceWorker.removeEventListener('message', onMessage);
    },
    onTargetChanged() {
      // Browsers renew a subscription through the worker's pushsubscriptionchange, which reaches
      // the app at its next start: load() enables push again with the current subscription.
      return () => undefined;
    },
  };
}

// Web Push hands the service worker the wake-up's words from the app's i18n resources: at the
// app's start, at subscribing, and again when the language changes.
import { act, waitFor } from '@testing-library/react-native';
import { i18n } from '../i18n';
import { createPushPlatform, WAKE_UP_WORDS } from './index.web';

const posted: unknown[] = [];
const subscription = {
  options: { applicationServerKey: null },
  toJSON: () => ({
    endpoint: 'https://push.example.net/send/abc',
    keys: { p256dh: 'BPublic', auth: 'secret' },
  }),
};
const registration = {
  active: { postMessage: (message: unknown) => posted.push(message) },
  pushManager: {
    getSubscription: () => Promise.resolve(null),
    subscribe: () => Promise.resolve(subscription),
  },
};

const page = globalThis as unknown as Record<string, unknown> & { navigator: object };
beforeAll(() => {
  Object.defineProperty(page.navigator, 'serviceWorker', {
    value: { ready: Promise.resolve(registration) },
    configurable: true,
  });
  page.window ??= globalThis;
  page.PushManager = function PushManager() {};
  page.Notification = {
    permission: 'default',
    requestPermission: () => Promise.resolve('granted'),
  };
});
afterAll(async () => {
  await act(() => i18n.changeLanguage('en'));
});

const english = { type: WAKE_UP_WORDS, title: 'Hush', body: 'New message' };
const russian = { type: WAKE_UP_WORDS, title: 'Hush', body: 'Новое сообщение' };

test('the worker gets the wake-up’s words at start, when push is turned on, and when the language changes', async () => {
  const platform = createPushPlatform();
  await waitFor(() => expect(posted).toEqual([english]));
  const target = await platform.target(() => Promise.resolve('AQAB'));
  expect(target).toMatchObject({ provider: 'webpush', endpoint: subscription.toJSON().endpoint });
  expect(posted).toEqual([english, english]);

  await act(() => i18n.changeLanguage('ru'));
  await waitFor(() => expect(posted).toHaveLength(3));
  expect(posted).toEqual([english, english, russian]);
});

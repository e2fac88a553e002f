// The native push platform on expo-notifications, with stand-ins for the native module (no iOS or
// Android runs here): permission asked only when undetermined, the Expo token of the app's project
// with the wake-up's words in the app's language, a refusal reported as such, and push registered
// again when the language changes.
jest.mock('expo-notifications', () => ({
  getPermissionsAsync: jest.fn(),
  requestPermissionsAsync: jest.fn(),
  getExpoPushTokenAsync: jest.fn(),
  setNotificationChannelAsync: jest.fn(() => Promise.resolve(null)),
  setNotificationHandler: jest.fn(),
  getLastNotificationResponseAsync: jest.fn(() => Promise.resolve(null)),
  addNotificationResponseReceivedListener: jest.fn(() => ({ remove: jest.fn() })),
  addPushTokenListener: jest.fn(() => ({ remove: jest.fn() })),
  AndroidImportance: { HIGH: 4 },
}));
jest.mock('expo-constants', () => ({
  __esModule: true,
  default: { expoConfig: { extra: { eas: { projectId: 'project-1' } } } },
}));

import { act, waitFor } from '@testing-library/react-native';
import type { PushRegistration, PushTarget } from '@hush/core';
import { i18n } from '../i18n';
import { createPushPlatform } from './index.native';
import { PushController, PushDenied, type PushSession } from './controller';

type Mocked =
  | 'getPermissionsAsync'
  | 'requestPermissionsAsync'
  | 'getExpoPushTokenAsync'
  | 'getLastNotificationResponseAsync'
  | 'addNotificationResponseReceivedListener';
const mockNotifications = jest.requireMock<Record<Mocked, jest.Mock>>('expo-notifications');

beforeEach(() => jest.clearAllMocks());
afterEach(async () => {
  await act(() => i18n.changeLanguage('en'));
});

const TOKEN = 'ExponentPushToken[xyz0123456789]';
const english = { title: 'Hush', body: 'New message' };
const russian = { title: 'Hush', body: 'Новое сообщение' };

function granted() {
  mockNotifications.getPermissionsAsync.mockResolvedValue({ status: 'granted' });
  mockNotifications.getExpoPushTokenAsync.mockResolvedValue({ data: TOKEN });
}

/** Core's Push as far as the controller sees it; `hold` keeps the next enable waiting. */
function pushSession() {
  let current: PushRegistration | undefined;
  let held: (() => void) | undefined;
  const enabled: PushTarget[] = [];
  const session: PushSession & { enabled: PushTarget[]; hold(): () => void } = {
    enabled,
    current: () => Promise.resolve(current),
    vapidPublicKey: () => Promise.reject(new Error('not asked on phones')),
    async enable(target) {
      enabled.push(target);
      if (held) await new Promise<void>((resolve) => (held = resolve));
      current = { ...target, gateway: 'push.example.org', node: 'n', secret: 's' };
      return current;
    },
    disable() {
      current = undefined;
      return Promise.resolve();
    },
    hold() {
      held = () => undefined;
      return () => {
        const release = held;
        held = undefined;
        release?.();
      };
    },
  };
  return session;
}

test('asks once, then registers the Expo push token of the app’s project', async () => {
  mockNotifications.getPermissionsAsync.mockResolvedValue({ status: 'undetermined' });
  mockNotifications.requestPermissionsAsync.mockResolvedValue({ status: 'granted' });
  mockNotifications.getExpoPushTokenAsync.mockResolvedValue({
    data: 'ExponentPushToken[xyz0123456789]',
  });
  const target = await createPushPlatform().target(() => Promise.reject(new Error('not asked')));
  expect(target).toEqual({ provider: 'expo', endpoint: TOKEN, words: english });
  expect(mockNotifications.requestPermissionsAsync).toHaveBeenCalledTimes(1);
  expect(mockNotifications.getExpoPushTokenAsync).toHaveBeenCalledWith({ projectId: 'project-1' });
});

test('a refusal is PushDenied and asks for no token', async () => {
  mockNotifications.getPermissionsAsync.mockResolvedValue({ status: 'denied' });
  await expect(createPushPlatform().target(() => Promise.resolve(''))).rejects.toBeInstanceOf(
    PushDenied,
  );
  expect(mockNotifications.requestPermissionsAsync).not.toHaveBeenCalled();
  expect(mockNotifications.getExpoPushTokenAsync).not.toHaveBeenCalled();
});

test('a tapped notification is reported, and one that started the app is known', async () => {
  mockNotifications.getLastNotificationResponseAsync.mockResolvedValueOnce({} as never);
  const platform = createPushPlatform();
  expect(await platform.openedAtLaunch()).toBe(true);
  expect(await platform.openedAtLaunch()).toBe(false);
  const opened = jest.fn();
  platform.onOpened(opened);
  const [[listener]] = mockNotifications.addNotificationResponseReceivedListener.mock
    .calls as unknown as [[() => void]];
  listener();
  expect(opened).toHaveBeenCalledTimes(1);
});

test('the token goes to the gateway with the wake-up’s words in the app’s language', async () => {
  granted();
  await act(() => i18n.changeLanguage('ru'));
  const target = await createPushPlatform().target(() => Promise.resolve(''));
  expect(target).toEqual({ provider: 'expo', endpoint: TOKEN, words: russian });
});

test('a change of language while push is on registers the new words; while off, nothing', async () => {
  granted();
  const session = pushSession();
  const controller = new PushController(createPushPlatform(), session);
  await controller.load();
  expect(controller.getSnapshot()).toBe('off');
  await act(() => i18n.changeLanguage('ru'));
  expect(session.enabled).toEqual([]);

  await controller.enable();
  expect(session.enabled.map((target) => target.words)).toEqual([russian]);
  await act(() => i18n.changeLanguage('en'));
  await act(() => waitForStatus(controller, 'on'));
  expect(session.enabled.map((target) => target.words)).toEqual([russian, english]);
  controller.close();
  await act(() => i18n.changeLanguage('ru'));
  expect(session.enabled).toHaveLength(2);
});

test('a change of language during an enable registers the new words after it', async () => {
  granted();
  const session = pushSession();
  const controller = new PushController(createPushPlatform(), session);
  const release = session.hold();
  const enabling = controller.enable();
  // The English target is on its way to the gateway when the language changes.
  await waitFor(() => expect(session.enabled).toHaveLength(1));
  await act(() => i18n.changeLanguage('ru'));
  release();
  await act(() => enabling);
  expect(controller.getSnapshot()).toBe('on');
  expect(session.enabled.map((target) => target.words)).toEqual([english, russian]);
  controller.close();
});

/** Resolves once the controller reports `status` (bounded by the test's timeout). */
function waitForStatus(controller: PushController, status: string): Promise<void> {
  return new Promise((resolve) => {
    if (controller.getSnapshot() === status) return resolve();
    const stop = controller.subscribe(() => {
      if (controller.getSnapshot() === status) {
        stop();
        resolve();
      }
    });
  });
}

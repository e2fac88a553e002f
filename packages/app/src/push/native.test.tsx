// The native push platform on expo-notifications, with stand-ins for the native module (no iOS or
// Android runs here): permission asked only when undetermined, the Expo token of the app's project,
// a refusal reported as such.
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

import { createPushPlatform } from './index.native';
import { PushDenied } from './controller';

type Mocked =
  | 'getPermissionsAsync'
  | 'requestPermissionsAsync'
  | 'getExpoPushTokenAsync'
  | 'getLastNotificationResponseAsync'
  | 'addNotificationResponseReceivedListener';
const mockNotifications = jest.requireMock<Record<Mocked, jest.Mock>>('expo-notifications');

beforeEach(() => jest.clearAllMocks());

test('asks once, then registers the Expo push token of the app’s project', async () => {
  mockNotifications.getPermissionsAsync.mockResolvedValue({ status: 'undetermined' });
  mockNotifications.requestPermissionsAsync.mockResolvedValue({ status: 'granted' });
  mockNotifications.getExpoPushTokenAsync.mockResolvedValue({
    data: 'ExponentPushToken[xyz0123456789]',
  });
  const target = await createPushPlatform().target(() => Promise.reject(new Error('not asked')));
  expect(target).toEqual({ provider: 'expo', endpoint: 'ExponentPushToken[xyz0123456789]' });
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

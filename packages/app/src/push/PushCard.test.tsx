import { act, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import type { PushRegistration, PushTarget } from '@hush/core';
import { PushController, PushDenied, type PushSession } from './controller';
import { PushCard } from './PushCard';
import type { PushPlatform } from './types';

const target: PushTarget = { provider: 'expo', endpoint: 'ExponentPushToken[abcdefghijklmnop]' };

/** Core's Push as far as the controller sees it, keeping what it was given. */
function pushSession() {
  let current: PushRegistration | undefined;
  const enabled: PushTarget[] = [];
  const session: PushSession & { enabled: PushTarget[]; disabled: number } = {
    enabled,
    disabled: 0,
    current: () => Promise.resolve(current),
    vapidPublicKey: () => Promise.resolve('BKey'),
    enable(given) {
      enabled.push(given);
      current = { ...given, gateway: 'push.example.org', node: 'n', secret: 's' };
      return Promise.resolve(current);
    },
    disable() {
      session.disabled++;
      current = undefined;
      return Promise.resolve();
    },
  };
  return session;
}

function platform(overrides: Partial<PushPlatform> = {}) {
  let changed: (() => void) | undefined;
  const released: number[] = [];
  const stand: PushPlatform & { changeToken(): void; released: number[] } = {
    released,
    state: () => ({ load: () => Promise.resolve(undefined), save: () => Promise.resolve() }),
    access: () => Promise.resolve('undetermined'),
    target: () => Promise.resolve(target),
    release() {
      released.push(1);
      return Promise.resolve();
    },
    openedAtLaunch: () => Promise.resolve(false),
    onOpened: () => () => undefined,
    onTargetChanged(listener) {
      changed = listener;
      return () => (changed = undefined);
    },
    changeToken: () => changed?.(),
    ...overrides,
  };
  return stand;
}

test('push is turned on with the push service’s token, and off again', async () => {
  const session = pushSession();
  const stand = platform();
  const controller = new PushController(stand, session);
  await controller.load();
  await render(<PushCard controller={controller} />);
  expect(screen.getByTestId('push-status-off')).toBeTruthy();
  expect(screen.getByText(/never who wrote or what/)).toBeTruthy();

  await fireEvent.press(screen.getByTestId('push-turn-on'));
  await waitFor(() => expect(screen.getByTestId('push-status-on')).toBeTruthy());
  expect(session.enabled).toEqual([target]);

  await fireEvent.press(screen.getByTestId('push-turn-off'));
  await waitFor(() => expect(screen.getByTestId('push-status-off')).toBeTruthy());
  expect(session.disabled).toBe(1);
  expect(stand.released).toHaveLength(1);
});

test('a new token while push is on is registered again', async () => {
  const session = pushSession();
  const stand = platform();
  const controller = new PushController(stand, session);
  await controller.enable();
  expect(controller.getSnapshot()).toBe('on');
  await act(async () => stand.changeToken());
  await waitFor(() => expect(session.enabled).toHaveLength(2));
});

test('refused notifications say where to allow them; a server without push says it is not here', async () => {
  const denied = new PushController(
    platform({ target: () => Promise.reject(new PushDenied()) }),
    pushSession(),
  );
  await denied.load();
  await render(<PushCard controller={denied} />);
  await fireEvent.press(screen.getByTestId('push-turn-on'));
  await waitFor(() => expect(screen.getByText(/blocked for Hush/)).toBeTruthy());

  const unsupported = new PushController(
    platform({ access: () => Promise.resolve('unsupported') }),
    pushSession(),
  );
  await unsupported.load();
  expect(unsupported.getSnapshot()).toBe('unsupported');
});

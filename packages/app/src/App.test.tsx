// The app's navigator as a phone runs it: the link it was opened with picks the first screen
// (sign-up with the invite filled in, or the screen that adds the person it names), the back
// arrow leads down the stack, and a notification opens its chat.
import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { Linking } from 'react-native';
import { createMemoryStorage } from '@hush/core';
import { App } from './App';
import { AccountController } from './client/account';
import type { Platform } from './platform/types';
import { offlinePlatform } from './platform/offline-platform';
import { ChatStore } from './client/chats';

const platform: Platform = offlinePlatform({
  name: 'native',
  playableUri: async () => ({ uri: 'file:///none', release: () => undefined }),
});

/** An account on this device that never reaches a server: signed in, offline. */
class OfflineAccount extends AccountController {
  override async start(): Promise<void> {
    this.update({ phase: 'offline', jid: 'me@chat.example', service: 'wss://chat.example/ws' });
  }
}

const registerUri = 'xmpp:chat.example?register;preauth=abcd1234';
const contactUri = 'xmpp:alice@chat.example?roster;preauth=abcd1234';

async function openApp(controller: AccountController, url: string | null) {
  jest.spyOn(Linking, 'getInitialURL').mockResolvedValue(url);
  await controller.start();
  await render(<App platform={platform} controller={controller} />);
}

// The safe area as a phone reports it (the library's own stand-in): the provider renders nothing
// until it knows the insets.
jest.mock(
  'react-native-safe-area-context',
  () => jest.requireActual<{ default: object }>('react-native-safe-area-context/jest/mock').default,
);

afterEach(() => jest.restoreAllMocks());

describe('the app opened by a link', () => {
  it('signed out, an invite opens the sign-up form with the invite filled in', async () => {
    await openApp(new AccountController(platform), registerUri);
    const invite = await screen.findByTestId('invite-input');
    expect(invite.props.value).toBe(registerUri);
    expect(screen.getByTestId('username-input')).toBeTruthy();
  });

  it('signed out, with no link, the first screen starts at logging in', async () => {
    await openApp(new AccountController(platform), null);
    expect(await screen.findByTestId('jid-input')).toBeTruthy();
    expect(screen.queryByTestId('invite-input')).toBeNull();
  });

  it('signed in, a contact invite opens the screen that adds its inviter; back is the chat list', async () => {
    await openApp(new OfflineAccount(platform), contactUri);
    await screen.findByTestId('invite-person');
    expect(screen.getByText('alice@chat.example')).toBeTruthy();
    expect(screen.getByTestId('add-contact')).toBeTruthy();
    await fireEvent.press(screen.getByTestId('back'));
    expect(await screen.findByTestId('open-add-contact')).toBeTruthy();
  });

  it('signed in, a server invite says it names nobody to add, and adds no one', async () => {
    await openApp(new OfflineAccount(platform), registerUri);
    expect(await screen.findByTestId('error-InviteInvalid')).toBeTruthy();
    expect(screen.queryByTestId('add-contact')).toBeNull();
  });

  it('signed in, a hush:// chat link opens that chat above the list', async () => {
    await openApp(new OfflineAccount(platform), 'hush://chat/bob%40chat.example');
    expect(await screen.findByTestId('composer-input')).toBeTruthy();
    await fireEvent.press(screen.getByTestId('back'));
    expect(await screen.findByTestId('open-add-contact')).toBeTruthy();
  });
});

/**
 * An account on this device that is online and caught up, holding one unread message from bob.
 * Online only when told (`goOnline`), as after a catch-up.
 */
class CaughtUpAccount extends AccountController {
  override async start(): Promise<void> {
    const storage = createMemoryStorage();
    await storage.messages.add({
      id: 'from-bob',
      account: 'me@chat.example',
      peer: 'bob@chat.example',
      direction: 'in',
      body: 'While you were away',
      timestamp: Date.now(),
      state: 'received',
      encrypted: true,
    });
    this.chats = new ChatStore(storage, 'me@chat.example');
    this.update({ phase: 'connecting', jid: 'me@chat.example', service: 'wss://chat.example/ws' });
  }

  goOnline(): void {
    this.update({ phase: 'online' });
  }
}

/** The platform with a push stand-in: started by a notification or not, and tapped when told. */
function withPush(launched: boolean) {
  let tapped: () => void = () => undefined;
  const push = {
    openedAtLaunch: async () => launched,
    onOpened(listener: () => void) {
      tapped = listener;
      return () => undefined;
    },
  } as unknown as NonNullable<Platform['push']>;
  return { platform: { ...platform, push }, tap: () => tapped() };
}

describe('a push notification', () => {
  it('that launched the app opens, once caught up, the chat the new message is in', async () => {
    jest.spyOn(Linking, 'getInitialURL').mockResolvedValue(null);
    const { platform: pushing } = withPush(true);
    const controller = new CaughtUpAccount(pushing);
    await controller.start();
    await render(<App platform={pushing} controller={controller} />);
    await screen.findByTestId('open-add-contact');
    expect(screen.queryByTestId('composer-input')).toBeNull();
    await act(async () => controller.goOnline());
    expect(await screen.findByTestId('composer-input')).toBeTruthy();
  });

  it('tapped while the app runs opens the chat the new message is in', async () => {
    jest.spyOn(Linking, 'getInitialURL').mockResolvedValue(null);
    const { platform: pushing, tap } = withPush(false);
    const controller = new CaughtUpAccount(pushing);
    await controller.start();
    await render(<App platform={pushing} controller={controller} />);
    await act(async () => controller.goOnline());
    await screen.findByTestId('open-add-contact');
    expect(screen.queryByTestId('composer-input')).toBeNull();
    await act(async () => tap());
    expect(await screen.findByTestId('composer-input')).toBeTruthy();
  });
});

describe('links that arrive while the app runs', () => {
  it('an invite opened while signing up replaces the one in the form', async () => {
    let deliver: (event: { url: string }) => void = () => undefined;
    jest.spyOn(Linking, 'addEventListener').mockImplementation((_type, listener) => {
      deliver = listener as typeof deliver;
      return { remove: () => undefined } as ReturnType<typeof Linking.addEventListener>;
    });
    await openApp(new AccountController(platform), registerUri);
    await screen.findByTestId('invite-input');
    const next = 'xmpp:chat.example?register;preauth=efgh5678';
    await act(async () => deliver({ url: next }));
    expect((await screen.findByTestId('invite-input')).props.value).toBe(next);
  });
});

describe('a device whose storage cannot be opened', () => {
  it('says why instead of spinning for ever, and starts once Retry finds the storage', async () => {
    let refuse = true;
    const flaky: Platform = {
      ...platform,
      openStorage: async () => {
        if (refuse) throw new DOMException('The user denied permission to access the database.');
        return createMemoryStorage();
      },
    };
    await openApp(new AccountController(flaky), null);
    await screen.findByTestId('storage-unavailable');
    expect(screen.getByTestId('error-StorageUnavailable')).toBeTruthy();
    expect(screen.getByText(/denied permission/)).toBeTruthy();
    expect(screen.queryByTestId('starting')).toBeNull();
    refuse = false;
    await act(async () => fireEvent.press(screen.getByTestId('retry-start')));
    expect(await screen.findByTestId('jid-input')).toBeTruthy();
  });
});

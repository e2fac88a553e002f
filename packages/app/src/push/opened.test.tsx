import { chatWithNewMessages, followNotificationOpens, type CaughtUpSource } from './opened';

function platform(launched: boolean) {
  let tapped: (() => void) | undefined;
  return {
    openedAtLaunch: () => Promise.resolve(launched),
    onOpened(listener: () => void) {
      tapped = listener;
      return () => (tapped = undefined);
    },
    tap: () => tapped?.(),
  };
}

/** An account that goes online when told, with the chats' unread counts it is given. */
function account(unread: Record<string, number>) {
  let phase = 'connecting';
  const listeners = new Set<() => void>();
  let refreshed = 0;
  const source: CaughtUpSource = {
    getSnapshot: () => ({ phase }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    chats: {
      refresh: () => {
        refreshed++;
        return Promise.resolve();
      },
      getSnapshot: () => ({
        items: Object.entries(unread).map(([peer, count]) => ({ peer, unread: count })),
      }),
    },
  };
  return {
    source,
    goOnline() {
      phase = 'online';
      for (const listener of [...listeners]) listener();
    },
    listeners: () => listeners.size,
    refreshed: () => refreshed,
  };
}

test('a start by a notification opens the chat the new messages are in, once caught up', async () => {
  const stand = platform(true);
  const bob = account({ 'bob@chat.example': 2, 'carol@chat.example': 0 });
  const opened = new Promise<string>((resolve) =>
    followNotificationOpens(stand, () => chatWithNewMessages(bob.source), resolve),
  );
  // Nothing is chosen before the catch-up.
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(bob.refreshed()).toBe(0);
  bob.goOnline();
  expect(await opened).toBe('bob@chat.example');
  expect(bob.refreshed()).toBe(1);
  expect(bob.listeners()).toBe(0);
});

test('a tap while running opens the one chat with new messages, not one of several', async () => {
  const stand = platform(false);
  const unread: Record<string, number> = { 'bob@chat.example': 1 };
  const online = account(unread);
  online.goOnline();
  const chats: string[] = [];
  const stop = followNotificationOpens(
    stand,
    () => chatWithNewMessages(online.source),
    (jid) => chats.push(jid),
  );
  stand.tap();
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(chats).toEqual(['bob@chat.example']);
  unread['carol@chat.example'] = 3;
  stand.tap();
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(chats).toEqual(['bob@chat.example']);
  stop();
  stand.tap();
  expect(chats).toEqual(['bob@chat.example']);
});

test('a start that no notification caused opens no chat', async () => {
  const asked = jest.fn(() => Promise.resolve('bob@chat.example'));
  const chats: string[] = [];
  followNotificationOpens(platform(false), asked, (jid) => chats.push(jid));
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(asked).not.toHaveBeenCalled();
  expect(chats).toEqual([]);
});

test('a catch-up that does not finish in time leaves the chat list', async () => {
  const never = account({ 'bob@chat.example': 1 });
  expect(await chatWithNewMessages(never.source, 20)).toBeUndefined();
  expect(never.listeners()).toBe(0);
});

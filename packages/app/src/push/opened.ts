// A tapped or clicked "New message" notification. The wake-up names no chat (the push service learns
// nothing of who wrote), so the app decides once it has caught up and decrypted: the conversation
// the new messages are in when that is one (`chatToOpen`), else the chat list it starts on. The app
// shows its usual first screen meanwhile: waiting for the catch-up before the first frame would show
// nothing for a second or more.
import type { PushPlatform } from './types';

/**
 * Opens (`open`) the chat `chatToOpen` names after a notification started the app or was tapped
 * while it ran; returns the function that stops following.
 */
export function followNotificationOpens(
  platform: Pick<PushPlatform, 'openedAtLaunch' | 'onOpened'>,
  chatToOpen: () => Promise<string | undefined>,
  open: (jid: string) => void,
): () => void {
  let stopped = false;
  const opened = () => {
    void chatToOpen().then(
      (jid) => {
        if (!stopped && jid !== undefined) open(jid);
      },
      () => undefined,
    );
  };
  void platform.openedAtLaunch().then(
    (atLaunch) => atLaunch && opened(),
    () => undefined,
  );
  const stop = platform.onOpened(opened);
  return () => {
    stopped = true;
    stop();
  };
}

/** What chatWithNewMessages reads of the account. */
export interface CaughtUpSource {
  getSnapshot(): { readonly phase: string };
  subscribe(listener: () => void): () => void;
  readonly chats:
    | {
        refresh(): Promise<void>;
        getSnapshot(): { readonly items: readonly { peer: string; unread: number }[] };
      }
    | undefined;
}

/** How long a tap waits for the catch-up before it settles for the chat list. */
export const CATCH_UP_WAIT_MS = 30_000;

/**
 * The one chat with unread messages once the account is online (caught up and decrypted: the app
 * reaches "online" after the catch-up), or undefined when there are none or several, or when the
 * catch-up has not finished within `waitMs`.
 */
export async function chatWithNewMessages(
  account: CaughtUpSource,
  waitMs = CATCH_UP_WAIT_MS,
): Promise<string | undefined> {
  const online = () => account.getSnapshot().phase === 'online';
  if (!online()) {
    const reached = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(false);
      }, waitMs);
      const stop = account.subscribe(() => {
        if (!online()) return;
        clearTimeout(timer);
        stop();
        resolve(true);
      });
    });
    if (!reached) return undefined;
  }
  const chats = account.chats;
  if (!chats) return undefined;
  await chats.refresh();
  const unread = chats.getSnapshot().items.filter((item) => item.unread > 0);
  return unread.length === 1 ? unread[0]?.peer : undefined;
}

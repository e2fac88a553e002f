import { createContext, useContext, useState, useSyncExternalStore } from 'react';
import { toHushError, type HushError } from '@hush/core';
import { AppState } from 'react-native';
import type { AccountController, AccountSnapshot } from '../client/account';
import type { ChatsSnapshot, ThreadSnapshot } from '../client/chats';
import type { Platform } from '../platform/types';

export const ControllerContext = createContext<AccountController | null>(null);
export const PlatformContext = createContext<Platform | null>(null);

export function usePlatform(): Platform {
  const platform = useContext(PlatformContext);
  if (!platform) throw new Error('usePlatform outside PlatformContext');
  return platform;
}

/** The platform where one is provided (screens rendered alone in tests may have none). */
export function useOptionalPlatform(): Platform | null {
  return useContext(PlatformContext);
}

export function useController(): AccountController {
  const controller = useContext(ControllerContext);
  if (!controller) throw new Error('useController outside ControllerContext');
  return controller;
}

export function useAccount(): AccountSnapshot {
  const controller = useController();
  return useSyncExternalStore(controller.subscribe, controller.getSnapshot);
}

const emptyChats: ChatsSnapshot = {
  loaded: false,
  items: [],
  requests: [],
  blocked: [],
  typing: [],
};
const noop = () => () => {};

export function useChats(): ChatsSnapshot {
  const chats = useController().chats;
  return useSyncExternalStore(chats?.subscribe ?? noop, chats?.getSnapshot ?? (() => emptyChats));
}

const emptyThread: ThreadSnapshot = { loaded: false, messages: [], hasOlder: false };

export function useThread(peer: string): ThreadSnapshot {
  const thread = useController().chats?.thread(peer);
  return useSyncExternalStore(
    thread?.subscribe ?? noop,
    thread?.getSnapshot ?? (() => emptyThread),
  );
}

const subscribeAppState = (listener: () => void) => {
  const subscription = AppState.addEventListener('change', listener);
  return () => subscription.remove();
};

/** Whether the app is in front of the person (a visible tab on the web). */
export function useAppActive(): boolean {
  return useSyncExternalStore(subscribeAppState, () => AppState.currentState === 'active');
}

/**
 * What a screen does when a button starts work that can fail: busy while it runs, the failure kept
 * as a typed error for an ErrorNotice. `stay: false` keeps the button busy after success, for work
 * that leaves the screen (log out, delete).
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<HushError | undefined>();
  const run = async (work: () => Promise<unknown>, options = { stay: true }) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      if (options.stay) setBusy(false);
    } catch (failure) {
      setError(toHushError(failure));
      setBusy(false);
    }
  };
  return { busy, error, run, dismiss: () => setError(undefined) };
}

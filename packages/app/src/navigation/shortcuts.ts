// Keyboard shortcuts of the whole app (the web, and tablets with a keyboard through the web build):
// Esc closes what is open on top (a chat, a contact's details, adding someone, the settings, the
// scanner). Enter and Shift+Enter belong to the composer (ui/ChatScreen.tsx).
import { useEffect, useRef } from 'react';
import { Platform } from 'react-native';

/** What receives key presses: the page's document on the web. */
export interface KeyTarget {
  addEventListener(
    type: 'keydown',
    listener: (event: KeyEventLike) => void,
    options: { capture: boolean },
  ): void;
  removeEventListener(
    type: 'keydown',
    listener: (event: KeyEventLike) => void,
    options: { capture: boolean },
  ): void;
}

export interface KeyEventLike {
  readonly key: string;
  readonly isComposing?: boolean;
  readonly altKey?: boolean;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly shiftKey?: boolean;
  preventDefault(): void;
}

/** The page's document on the web; phones have no global key events to listen to. */
export function pageKeys(): KeyTarget | undefined {
  if (Platform.OS !== 'web') return undefined;
  return (globalThis as { document?: KeyTarget }).document;
}

/**
 * Calls `onEscape` on a plain Esc, unless an input method is composing text (Esc then cancels the
 * composition). `onEscape` returns whether it closed something; only then is the key taken from
 * the page. The page hears the key on its way down (capture): react-native-web's text inputs stop
 * key events from bubbling, and Esc must close the chat from the composer too.
 */
export function useEscapeKey(onEscape: () => boolean, target: KeyTarget | undefined = pageKeys()) {
  const handler = useRef(onEscape);
  useEffect(() => {
    handler.current = onEscape;
  }, [onEscape]);
  useEffect(() => {
    if (!target) return;
    const listener = (event: KeyEventLike) => {
      if (event.key !== 'Escape' || event.isComposing) return;
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (handler.current()) event.preventDefault();
    };
    target.addEventListener('keydown', listener, { capture: true });
    return () => target.removeEventListener('keydown', listener, { capture: true });
  }, [target]);
}

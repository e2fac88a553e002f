// Moving between screens from outside a screen: a notification, a followed code, the chat list in
// the left pane, the Esc key. Each takes the stack's navigation object (the container's ref from
// App.tsx, or a screen's own).
import {
  CommonActions,
  type NavigationAction,
  type NavigationState,
  type PartialState,
} from '@react-navigation/native';
import type { RootStackParamList } from './routes';

/** What these need of a navigation object: the container's ref and a screen's both have it. */
export interface Navigator {
  isReady?(): boolean;
  getRootState?(): NavigationState | undefined;
  getState(): NavigationState | undefined;
  dispatch(action: NavigationAction): void;
  canGoBack(): boolean;
  goBack(): void;
}

function stateOf(navigation: Navigator): NavigationState | undefined {
  if (navigation.isReady && !navigation.isReady()) return undefined;
  return navigation.getRootState?.() ?? navigation.getState();
}

type Above =
  | { name: 'Chat'; params: RootStackParamList['Chat'] }
  | { name: 'Contact'; params: RootStackParamList['Contact'] }
  | { name: 'Add' | 'Settings' };

/**
 * Opens `above` on the chat list, whatever was open before: a chat is never buried under the
 * settings or another chat (the wide layout's right pane shows one thing at a time, and back always
 * leads to the list). The list itself is kept, not rebuilt.
 */
function openAboveList(navigation: Navigator, above: readonly Above[]): void {
  const state = stateOf(navigation);
  if (!state) return;
  const top = state.routes[state.index];
  const wanted = above[above.length - 1];
  if (
    top &&
    wanted &&
    top.name === wanted.name &&
    JSON.stringify(top.params) === JSON.stringify('params' in wanted ? wanted.params : undefined)
  ) {
    return;
  }
  const list = state.routes.find((route) => route.name === 'Chats');
  if (!list) return; // signed out: there is no chat to open
  const routes = [{ key: list.key, name: list.name }, ...above];
  const next: PartialState<NavigationState> = { index: routes.length - 1, routes };
  navigation.dispatch(CommonActions.reset(next) as NavigationAction);
}

/** Opens the chat with `jid` (a notification, a push message, a followed code, the list). */
export function openChat(navigation: Navigator, jid: string): void {
  openAboveList(navigation, [{ name: 'Chat', params: { jid } }]);
}

/** Opens a contact's details, with their chat below (back leads there, as from the chat). */
export function openContact(navigation: Navigator, jid: string): void {
  openAboveList(navigation, [
    { name: 'Chat', params: { jid } },
    { name: 'Contact', params: { jid } },
  ]);
}

/** Opens what the list's header buttons open: adding someone, or the settings. */
export function openFromList(navigation: Navigator, name: 'Add' | 'Settings'): void {
  openAboveList(navigation, [{ name }]);
}

/** Closes the screen on top (Esc, the back arrow); on the chat list there is nothing to close. */
export function closeTop(navigation: Navigator): boolean {
  if (!stateOf(navigation) || !navigation.canGoBack()) return false;
  navigation.goBack();
  return true;
}

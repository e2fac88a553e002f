// The app's screens, their parameters and their paths: what a link, the browser's address bar and
// the stack agree on. No screen logic lives here (navigation/screens/ wires each one to the
// controller), so links can be read and tested without rendering anything.
import type { PathConfigMap } from '@react-navigation/native';

/** One stack; which screens exist depends on whether an account is signed in. */
export type RootStackParamList = {
  /** Signed out: join with an invite (filled in when a link opened the app) or log in. */
  Welcome: { invite?: string } | undefined;
  /** The chat list (phones), or the empty right pane beside it (wide screens). */
  Chats: undefined;
  Chat: { jid: string };
  /** A contact's details: name, presence, devices, block and remove. */
  Contact: { jid: string };
  Add: undefined;
  /** A link opened while signed in: add the person it names (an invite, an address, a code). */
  Invite: { link: string };
  /** The QR scanner: to verify `jid`'s device, or without one to add someone. */
  Scan: { jid?: string } | undefined;
  Settings: undefined;
};

export type RouteName = keyof RootStackParamList;

/** Screens that exist only while signed in, and the one that exists only while signed out. */
export const signedInRoutes = [
  'Chats',
  'Chat',
  'Contact',
  'Add',
  'Invite',
  'Scan',
  'Settings',
] as const satisfies readonly RouteName[];

/**
 * Paths on the web (https://HOST/chat/alice%40example.org) and after the hush:// scheme on phones
 * (hush://chat/alice%40example.org). An invite's own forms (https://HOST/invite?TOKEN, xmpp:…) are
 * read by linking.ts before these apply.
 */
export const screenPaths: PathConfigMap<RootStackParamList> = {
  Welcome: 'welcome',
  Chats: '',
  Chat: 'chat/:jid',
  Contact: 'contact/:jid',
  Add: 'add',
  Invite: 'invite',
  Scan: 'scan',
  Settings: 'settings',
};

/** From this window width on, the chat list stays on the left of the open chat. */
export const TWO_PANE_MIN_WIDTH = 900;

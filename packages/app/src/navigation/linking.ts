// Links into the app: what opens which screen. The stack's own paths (routes.ts) cover the app's
// screens; invites come in forms of their own, read here first:
//   https://HOST/invite?TOKEN            Prosody's invite page (the web app answers that path)
//   https://HOST/?preauth=TOKEN, …#xmpp:…  a web link carrying the token or the xmpp: URI
//   xmpp:HOST?register;preauth=TOKEN     an invite URI (XEP-0401), opened on a phone (app.json
//                                        registers the xmpp: scheme) …
//   xmpp:alice@HOST?roster;preauth=…     … or a contact invite, or any xmpp: address
//   hush://invite?link=<the link>        any of these, handed on by another app
// Signed out, an invite opens the sign-up form with the link filled in; signed in, it opens the
// screen that adds the person it names. What the link holds is checked by that screen
// (client/invite-link.ts, client/scanned-code.ts): a bad one shows its typed error there.
import { Linking } from 'react-native';
import {
  findFocusedRoute,
  getPathFromState as defaultPathFromState,
  getStateFromPath as defaultStateFromPath,
  type LinkingOptions,
} from '@react-navigation/native';
import { screenPaths, signedInRoutes, type RootStackParamList } from './routes';

type Options = LinkingOptions<RootStackParamList>;
type ResultState = ReturnType<typeof defaultStateFromPath>;
type Config = Options['config'];

/** Where the web app is, to read a link's full address; undefined on phones. */
export interface PageLocation {
  readonly origin: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
}

/**
 * Where else links come from on phones besides the system's Linking: a tapped push notification
 * that names a chat (chatLink). Its first link is read when the app starts, before Linking's.
 */
export interface LinkSource {
  /** The link the app was opened with (the notification tapped to launch it), if any. */
  initial(): Promise<string | undefined>;
  /** Links that arrive while the app runs; returns what stops listening. */
  subscribe(listener: (url: string) => void): () => void;
}

export interface LinkingSetup {
  /** Whether an account is signed in now: the screens a link can reach depend on it. */
  signedIn(): boolean;
  /** The web page's location (globalThis.location); undefined on phones. */
  location?: () => PageLocation | undefined;
  /** Further sources of links on phones (push notifications). */
  sources?: readonly LinkSource[];
}

export const APP_PREFIX = 'hush://';

/** The app link that opens the chat with `jid` (on phones; the web path is chatPath's). */
export function chatLink(jid: string): string {
  return `${APP_PREFIX}${chatPath(jid).slice(1)}`;
}

/** The path of the chat with `jid`: /chat/alice%40example.org. */
export function chatPath(jid: string): string {
  return `/chat/${encodeURIComponent(jid)}`;
}

/** The app link that hands `link` (an invite, an xmpp: address) to the app. */
export function inviteLink(link: string): string {
  return `${APP_PREFIX}invite?link=${encodeURIComponent(link)}`;
}

/**
 * A link the operating system opened the app with, as a path the stack reads: xmpp: URIs (and web
 * invite links) become hush://invite?link=…; anything else stays as it is.
 */
export function toAppUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  if (/^xmpp:/i.test(url)) return inviteLink(url);
  if (/^https?:\/\//i.test(url) && isWebInvite(url.replace(/^https?:\/\/[^/?#]*/i, ''))) {
    return inviteLink(url);
  }
  return url;
}

/** Whether a web path (with its query and fragment) is one of the invite forms. */
function isWebInvite(path: string): boolean {
  const [pathname = '', ...rest] = path.split(/(?=[?#])/);
  return /^\/?invite\/?$/.test(pathname) || /preauth|xmpp:|xmpp%3A/i.test(rest.join(''));
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // Shown as it came: the screen that reads it says what is wrong with it.
    return value;
  }
}

/**
 * The invite or address link inside a path the stack was given: /invite?link=…, or on the web any
 * of the invite page's forms (then the page's whole address, as the person opened it).
 */
export function linkInPath(path: string, here?: PageLocation): string | undefined {
  const [pathname = '', ...rest] = path.split('?');
  const query = rest.join('?');
  if (/^\/?invite\/?$/.test(pathname)) {
    const link = query
      .split('&')
      .find((pair) => pair.startsWith('link='))
      ?.slice('link='.length);
    if (link !== undefined) return decoded(link.replace(/\+/g, ' '));
  }
  if (!here) return undefined;
  const normalised = path.startsWith('/') ? path : `/${path}`;
  // The fragment is not part of the path; it is the page's own when the path is the page's.
  const hash = normalised === here.pathname + here.search ? here.hash : '';
  if (isWebInvite(normalised + hash)) return `${here.origin}${normalised}${hash}`;
  return undefined;
}

/** A chat or contact route names a person by an address of the form name@server. */
function validJid(params: object | undefined): boolean {
  const jid = (params as { jid?: unknown } | undefined)?.jid;
  return typeof jid === 'string' && /^[^@/\s]+@[^@/\s]+$/.test(jid);
}

/** Signed-in screens sit on the chat list: back (or Esc) from a link's screen leads there. */
function onChats(route: { name: string; params?: object }): ResultState {
  if (route.name === 'Chats') return { routes: [{ name: 'Chats' }] };
  return { index: 1, routes: [{ name: 'Chats' }, route] };
}

/** The stack state for `path`, given whether someone is signed in. */
export function stateFromPath(
  path: string,
  config: Config,
  setup: LinkingSetup,
): ResultState | undefined {
  const here = setup.location?.();
  const link = linkInPath(path, here);
  if (!setup.signedIn()) {
    return { routes: [{ name: 'Welcome', ...(link ? { params: { invite: link } } : {}) }] };
  }
  if (link !== undefined) return onChats({ name: 'Invite', params: { link } });
  const parsed = defaultStateFromPath(path, config);
  const focused = parsed ? findFocusedRoute(parsed) : undefined;
  if (!focused || !(signedInRoutes as readonly string[]).includes(focused.name)) {
    return onChats({ name: 'Chats' });
  }
  if ((focused.name === 'Chat' || focused.name === 'Contact') && !validJid(focused.params)) {
    return onChats({ name: 'Chats' });
  }
  return onChats({ name: focused.name, ...(focused.params ? { params: focused.params } : {}) });
}

/**
 * The address bar for a state. The sign-up form keeps the invite it was opened with (a reload
 * offers it again until it is used): as the page's own address when it came from this site.
 */
export function pathFromState(
  state: Parameters<typeof defaultPathFromState>[0],
  config: Config,
  setup: LinkingSetup,
): string {
  const focused = findFocusedRoute(state);
  if (focused?.name === 'Welcome') {
    const invite = (focused.params as { invite?: string } | undefined)?.invite;
    if (!invite) return '/';
    const origin = setup.location?.()?.origin;
    if (origin && invite.startsWith(`${origin}/`)) return invite.slice(origin.length);
    return `/invite?link=${encodeURIComponent(invite)}`;
  }
  return defaultPathFromState(state, config);
}

/** The stack's linking options: paths on the web, hush:// and xmpp: links on phones. */
export function createLinking(setup: LinkingSetup): Options {
  const config: Config = { screens: screenPaths };
  const sources = setup.sources ?? [];
  return {
    prefixes: [APP_PREFIX],
    config,
    getStateFromPath: (path) => stateFromPath(path, config, setup),
    getPathFromState: (state) => pathFromState(state, config, setup),
    // Phones: the link the app was opened with, and those that arrive while it runs.
    async getInitialURL() {
      for (const source of sources) {
        const url = await source.initial();
        if (url) return toAppUrl(url);
      }
      return toAppUrl(await Linking.getInitialURL());
    },
    subscribe(listener) {
      const deliver = (url: string) => {
        const app = toAppUrl(url);
        if (app) listener(app);
      };
      const subscription = Linking.addEventListener('url', ({ url }: { url: string }) =>
        deliver(url),
      );
      const stops = sources.map((source) => source.subscribe(deliver));
      return () => {
        subscription.remove();
        for (const stop of stops) stop();
      };
    },
  };
}

// What each kind of link opens, signed out and signed in: the stack state the linking config makes
// of a path, and the address bar it writes back.
import { getStateFromPath } from '@react-navigation/native';
import {
  chatLink,
  createLinking,
  inviteLink,
  linkInPath,
  pathFromState,
  stateFromPath,
  toAppUrl,
  type LinkingSetup,
  type PageLocation,
} from './linking';
import { screenPaths } from './routes';

const config = { screens: screenPaths };
const page = (path: string, hash = ''): PageLocation => {
  const [pathname = '', search = ''] = path.split(/(?=\?)/);
  return { origin: 'https://chat.example', pathname, search, hash };
};
const web = (signedIn: boolean, here: PageLocation): LinkingSetup => ({
  signedIn: () => signedIn,
  location: () => here,
});
const phone = (signedIn: boolean): LinkingSetup => ({ signedIn: () => signedIn });

/** What a path opens on the web page at that path. */
const openOnWeb = (path: string, signedIn: boolean, hash = '') =>
  stateFromPath(path, config, web(signedIn, page(path, hash)));

/** What a link the phone's system hands over opens (after the hush:// prefix, as the stack sees it). */
function openOnPhone(url: string, signedIn: boolean) {
  const app = toAppUrl(url);
  if (!app?.startsWith('hush://')) throw new Error(`not an app link: ${url}`);
  return stateFromPath(app.slice('hush://'.length), config, phone(signedIn));
}

const registerUri = 'xmpp:chat.example?register;preauth=abcd1234';
const contactUri = 'xmpp:alice@chat.example?roster;preauth=abcd1234;ibr=y';

describe('invite links, signed out: the sign-up form with the link filled in', () => {
  it("reads the invite page's address on the web (https://HOST/invite?TOKEN)", () => {
    expect(openOnWeb('/invite?abcd1234', false)).toEqual({
      routes: [{ name: 'Welcome', params: { invite: 'https://chat.example/invite?abcd1234' } }],
    });
  });

  it('reads a token or an xmpp: URI carried in the query or the fragment', () => {
    expect(openOnWeb('/?preauth=abcd1234', false)?.routes[0]?.params).toEqual({
      invite: 'https://chat.example/?preauth=abcd1234',
    });
    const hash = `#${encodeURIComponent(registerUri)}`;
    expect(openOnWeb('/', false, hash)?.routes[0]?.params).toEqual({
      invite: `https://chat.example/${hash}`,
    });
  });

  it('takes xmpp: URIs opened on a phone (the xmpp: scheme in app.json)', () => {
    expect(openOnPhone(registerUri, false)).toEqual({
      routes: [{ name: 'Welcome', params: { invite: registerUri } }],
    });
    expect(openOnPhone(contactUri, false)?.routes[0]?.params).toEqual({ invite: contactUri });
  });

  it('takes hush://invite?link=… from another app, and invite page links given to the phone', () => {
    expect(openOnPhone(inviteLink(registerUri), false)?.routes[0]?.params).toEqual({
      invite: registerUri,
    });
    const page = 'https://chat.example/invite?abcd1234';
    expect(toAppUrl(page)).toBe(inviteLink(page));
    expect(openOnPhone(page, false)?.routes[0]?.params).toEqual({ invite: page });
  });

  it('opens the first screen for any other path, with nothing filled in', () => {
    for (const path of ['/', '/chat/bob%40chat.example', '/settings', '/nowhere']) {
      expect(openOnWeb(path, false)).toEqual({ routes: [{ name: 'Welcome' }] });
    }
  });

  it('keeps the invite in the address bar until it is used, and nothing else', () => {
    const setup = web(false, page('/'));
    const form = (invite?: string) => ({
      routes: [{ name: 'Welcome', ...(invite ? { params: { invite } } : {}) }],
    });
    expect(pathFromState(form('https://chat.example/invite?abcd1234'), config, setup)).toBe(
      '/invite?abcd1234',
    );
    expect(pathFromState(form(registerUri), config, setup)).toBe(
      `/invite?link=${encodeURIComponent(registerUri)}`,
    );
    expect(pathFromState(form(), config, setup)).toBe('/');
    // …and that address opens the same form again.
    const again = pathFromState(form(registerUri), config, setup);
    expect(openOnWeb(again, false)?.routes[0]?.params).toEqual({ invite: registerUri });
  });
});

describe('links, signed in', () => {
  it('opens an invite on the screen that adds the person it names, above the chat list', () => {
    expect(openOnPhone(contactUri, true)).toEqual({
      index: 1,
      routes: [{ name: 'Chats' }, { name: 'Invite', params: { link: contactUri } }],
    });
    expect(openOnWeb('/invite?abcd1234', true)?.routes[1]).toEqual({
      name: 'Invite',
      params: { link: 'https://chat.example/invite?abcd1234' },
    });
    // Any xmpp: address: the same screen says who it is, or why it names nobody.
    expect(openOnPhone('xmpp:bob@chat.example', true)?.routes[1]).toEqual({
      name: 'Invite',
      params: { link: 'xmpp:bob@chat.example' },
    });
  });

  it("opens the app's own paths with the chat list below them", () => {
    expect(openOnWeb('/chat/bob%40chat.example', true)).toEqual({
      index: 1,
      routes: [{ name: 'Chats' }, { name: 'Chat', params: { jid: 'bob@chat.example' } }],
    });
    expect(openOnPhone(chatLink('bob@chat.example'), true)?.routes[1]).toEqual({
      name: 'Chat',
      params: { jid: 'bob@chat.example' },
    });
    expect(openOnWeb('/settings', true)?.routes[1]).toEqual({ name: 'Settings' });
    expect(openOnWeb('/', true)).toEqual({ routes: [{ name: 'Chats' }] });
  });

  it('opens the chat list for a path that names no screen or no address', () => {
    for (const path of ['/nowhere', '/chat/not-an-address', '/contact/a%2Fb%40c', '/welcome']) {
      expect(openOnWeb(path, true)).toEqual({ routes: [{ name: 'Chats' }] });
    }
  });

  it('writes paths the same config reads back', () => {
    const setup = web(true, page('/'));
    const state = {
      index: 1,
      routes: [{ name: 'Chats' }, { name: 'Chat', params: { jid: 'bob@chat.example' } }],
    };
    const path = pathFromState(state, config, setup);
    expect(path).toBe('/chat/bob@chat.example');
    expect(getStateFromPath(path, config)?.routes[0]).toMatchObject({
      name: 'Chat',
      params: { jid: 'bob@chat.example' },
    });
  });
});

describe('links the system hands over', () => {
  it('turns xmpp: links into app links, and leaves the others', () => {
    expect(toAppUrl(registerUri)).toBe(`hush://invite?link=${encodeURIComponent(registerUri)}`);
    expect(toAppUrl('hush://settings')).toBe('hush://settings');
    expect(toAppUrl('https://chat.example/about')).toBe('https://chat.example/about');
    expect(toAppUrl(null)).toBeUndefined();
  });

  it('keeps a link that is not valid percent-encoding as it came, for the screen to explain', () => {
    expect(linkInPath('invite?link=%E0%A4%A')).toBe('%E0%A4%A');
  });

  it('is one linking config for the navigator: the hush:// prefix and these readers', () => {
    const linking = createLinking(phone(true));
    expect(linking.prefixes).toEqual(['hush://']);
    expect(linking.getStateFromPath?.('chat/bob%40chat.example', linking.config)).toEqual(
      stateFromPath('chat/bob%40chat.example', config, phone(true)),
    );
  });
});

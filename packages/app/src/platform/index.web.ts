// The web platform: IndexedDB storage, the page's own origin as the XMPP websocket, recordings as
// blob: URLs; Opus as CAF for a browser that plays only that (Safari).
import * as DocumentPicker from 'expo-document-picker';
import { deleteIndexedDbStorage, openIndexedDbStorage } from '../storage/indexeddb';
import { deleteIndexedDbKeptFiles, indexedDbKeptFiles } from '../storage/indexeddb-files';
import { deleteIndexedDbLogins, indexedDbLoginVault } from '../storage/indexeddb-logins';
import { forBrowser } from './playable';
import type { Notifications, Platform } from './types';
import { createPushPlatform } from '../push';

const DATABASE = 'hush';
const FILES_DATABASE = 'hush-files';
const LOGINS_DATABASE = 'hush-logins';

let probe: HTMLAudioElement | undefined;
/** What the browser's <audio> says of a type: '', 'maybe' or 'probably'. */
function canPlayType(mimeType: string): string {
  if (typeof Audio === 'undefined') return 'maybe'; // not a browser (tests): take files as they are
  probe ??= new Audio();
  return probe.canPlayType(mimeType);
}

/** The browser's Notification API (absent in some embedded browsers and on older iOS Safari). */
const notifications: Notifications = {
  access() {
    if (typeof Notification === 'undefined') return 'unsupported';
    return Notification.permission;
  },
  async request() {
    if (typeof Notification === 'undefined') return 'unsupported';
    return Notification.requestPermission();
  },
  show({ title, body, tag, onOpen }) {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    let note: Notification;
    try {
      note = new Notification(title, { body, tag });
    } catch {
      return; // some browsers allow notifications only from a service worker: none then
    }
    note.onclick = () => {
      globalThis.focus?.();
      onOpen();
      note.close();
    };
  },
};

export const platform: Platform = {
  push: createPushPlatform(),
  name: 'web',
  notifications,
  showUnread(count) {
    if (typeof document !== 'undefined') document.title = count > 0 ? `(${count}) Hush` : 'Hush';
  },
  async pickFile() {
    const result = await DocumentPicker.getDocumentAsync({ multiple: false });
    const asset = result.canceled ? undefined : result.assets[0];
    if (!asset) return undefined;
    const blob = asset.file ?? (await (await fetch(asset.uri)).blob());
    return { bytes: new Uint8Array(await blob.arrayBuffer()), name: asset.name };
  },
  async saveFile(uri, _mimeType, name) {
    // A download of the decrypted copy (a blob: URL of this page) under the file's name.
    const link = document.createElement('a');
    link.href = uri;
    link.download = name;
    link.click();
  },
  openStorage: () => openIndexedDbStorage({ name: DATABASE }),
  // Files from messages, as the server had them (ciphertext), in a database of their own.
  keptFiles: indexedDbKeptFiles({ name: FILES_DATABASE }),
  async deleteStorage() {
    await deleteIndexedDbStorage(DATABASE);
    await deleteIndexedDbKeptFiles(FILES_DATABASE);
    await deleteIndexedDbLogins(LOGINS_DATABASE);
  },
  // The web has no keystore: the saved login (never the password) is sealed in this origin's
  // IndexedDB under a non-extractable key (indexeddb-logins.ts); logging out removes it.
  vault: (storage) => indexedDbLoginVault({ name: LOGINS_DATABASE }, storage.accounts),
  defaultService(domain) {
    // Served by the Hush server itself (Caddy in front of Prosody): the websocket is on this origin,
    // port included, which matters for local installs on a non-standard port.
    const here = globalThis.location;
    if (here?.hostname === domain) return `wss://${here.host}/xmpp-websocket`;
    return `wss://${domain}/xmpp-websocket`;
  },
  async readRecording(uri) {
    const response = await fetch(uri);
    return new Uint8Array(await response.arrayBuffer());
  },
  async playableUri(bytes, mimeType) {
    const playable = forBrowser(bytes, mimeType, canPlayType);
    const uri = URL.createObjectURL(
      new Blob([playable.bytes as BlobPart], { type: playable.mimeType }),
    );
    return { uri, release: () => URL.revokeObjectURL(uri) };
  },
  forgetInitialInvite() {
    const here = globalThis.location;
    if (here && (here.pathname !== '/' || here.search || here.hash)) {
      globalThis.history?.replaceState(null, '', '/');
    }
  },
  async initialInvite() {
    const here = globalThis.location;
    if (!here) return undefined;
    if (
      /\/invite\/?$/.test(here.pathname) ||
      /preauth|xmpp:|xmpp%3A/i.test(here.search + here.hash)
    )
      return here.href;
    return undefined;
  },
};

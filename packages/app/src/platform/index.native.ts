// iOS and Android: SQLite storage (expo-sqlite), the saved login in the platform keystore
// (expo-secure-store: Keychain, Android Keystore), recordings as files. iOS plays Opus only in
// CAF, so received Opus is remuxed there; Android's player takes Ogg, WebM and MP4 as they are.
import * as SecureStore from 'expo-secure-store';
import * as DocumentPicker from 'expo-document-picker';
import * as Sharing from 'expo-sharing';
import { CryptoDigestAlgorithm, digestStringAsync } from 'expo-crypto';
import { decodeSavedLogin, encodeSavedLogin, HushError, installNativeAesGcm } from '@hush/core';
import { Directory, File, Paths } from 'expo-file-system';
import { Linking, Platform as ReactNativePlatform } from 'react-native';
import { deleteNativeStorage, openNativeStorage } from '../storage/sqlite.native';
import { fileExtension, forAppleDecoder } from './playable';
import type { KeptFiles, Platform } from './types';
import { expoAesGcm } from './aes-gcm';
import { createPushPlatform } from '../push';

// Files are encrypted and decrypted natively (no WebCrypto here; pure JS is far too slow for files).
installNativeAesGcm(expoAesGcm);

// SecureStore keys allow only [A-Za-z0-9._-]: the JID is hex-encoded.
const keyFor = (kind: 'login' | 'password', jid: string) =>
  `hush.${kind}.${Array.from(new TextEncoder().encode(jid), (b) => b.toString(16).padStart(2, '0')).join('')}`;

/**
 * Kept files in the app's documents folder (not the cache, which the OS may clear), one file per
 * URL under its SHA-256. The documents folder is inside the app's sandbox and encrypted by the OS
 * (iOS Data Protection, Android file-based encryption); what it holds is the ciphertext anyway.
 */
const keptDirectory = () => new Directory(Paths.document, 'hush-files');
const keptFile = async (url: string) =>
  new File(keptDirectory(), await digestStringAsync(CryptoDigestAlgorithm.SHA256, url));

const keptFiles: KeptFiles = {
  async read(url) {
    const file = await keptFile(url);
    return file.exists ? await file.bytes() : undefined;
  },
  async write(url, bytes) {
    keptDirectory().create({ intermediates: true, idempotent: true });
    await (await keptFile(url)).write(bytes);
  },
};

export const platform: Platform = {
  push: createPushPlatform(),
  name: 'native',
  keptFiles,
  // The app icon's badge needs a notifications module (see below): nothing to show it on yet.
  showUnread: () => undefined,
  async pickFile() {
    // Copied into the app's cache first: a picked document's own URI may not stay readable.
    const result = await DocumentPicker.getDocumentAsync({ copyToCacheDirectory: true });
    const asset = result.canceled ? undefined : result.assets[0];
    if (!asset) return undefined;
    const file = new File(asset.uri);
    try {
      return { bytes: await file.bytes(), name: asset.name };
    } finally {
      try {
        file.delete();
      } catch {
        // the OS may have cleared it already
      }
    }
  },
  async saveFile(uri, mimeType, name) {
    // The decrypted copy goes to the share sheet (save to Files, Photos, …) under the file's name:
    // a copy of that name in a folder of its own in the cache, replaced by the next one.
    if (!(await Sharing.isAvailableAsync())) {
      throw new HushError('UnsupportedContent', 'This device cannot share files.');
    }
    const folder = new Directory(Paths.cache, 'hush-shared');
    if (folder.exists) folder.delete();
    folder.create({ intermediates: true });
    const named = new File(folder, name);
    await new File(uri).copy(named);
    await Sharing.shareAsync(named.uri, { mimeType });
  },
  // Without push (XEP-0357 and a push service) iOS and Android stop the app soon after it leaves the
  // screen, so a local notification could only cover those seconds: not offered until push exists.
  notifications: {
    access: () => 'unsupported',
    request: async () => 'unsupported',
    show: () => undefined,
  },
  openStorage: openNativeStorage,
  async deleteStorage() {
    await deleteNativeStorage();
    const kept = keptDirectory();
    if (kept.exists) kept.delete();
  },
  // The saved login (keys, token; never the password) in the keystore. An older version kept the
  // password there under its own key: read once for the login that replaces it, then deleted.
  vault: () => ({
    async load(jid) {
      const text = await SecureStore.getItemAsync(keyFor('login', jid));
      return text === null ? undefined : decodeSavedLogin(text);
    },
    save: (jid, login) =>
      SecureStore.setItemAsync(keyFor('login', jid), encodeSavedLogin(login), {
        keychainAccessible: SecureStore.AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY,
      }),
    forget: (jid) => SecureStore.deleteItemAsync(keyFor('login', jid)),
    legacyPassword: async (jid) =>
      (await SecureStore.getItemAsync(keyFor('password', jid))) ?? undefined,
    eraseLegacyPassword: (jid) => SecureStore.deleteItemAsync(keyFor('password', jid)),
  }),
  defaultService: (domain) => `wss://${domain}/xmpp-websocket`,
  readRecording: async (uri) => new File(uri).bytes(),
  async playableUri(bytes, mimeType) {
    // The players read files: the decrypted audio goes to the cache folder (the OS may clear it)
    // and is deleted once no bubble shows it. AVFoundation goes by the extension: '.caf' for CAF.
    const playable =
      ReactNativePlatform.OS === 'ios' ? forAppleDecoder(bytes, mimeType) : { bytes, mimeType };
    const extension = fileExtension(playable.mimeType);
    const file = new File(Paths.cache, `hush-${globalThis.crypto.randomUUID()}.${extension}`);
    await file.write(playable.bytes);
    return {
      uri: file.uri,
      release: () => {
        try {
          file.delete();
        } catch {
          // already gone
        }
      },
    };
  },
  forgetInitialInvite() {
    // A deep link is delivered once; there is nothing to take back.
  },
  async initialInvite() {
    const url = await Linking.getInitialURL();
    return url && /^xmpp:|preauth|\/invite/i.test(url) ? url : undefined;
  },
};

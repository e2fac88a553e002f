// What the app needs from the platform it runs on. Each platform implements it in index.web.ts or
// index.native.ts; everything above (client/, ui/) only sees this interface.
import type { SavedLogin, Storage } from '@hush/core';
import type { PushPlatform } from '../push/types.ts';

/**
 * Where the saved login lives (SCRAM keys and a FAST token, never the password): the platform
 * keystore where there is one, else sealed under a non-extractable WebCrypto key.
 */
export interface CredentialVault {
  load(jid: string): Promise<SavedLogin | undefined>;
  save(jid: string, login: SavedLogin): Promise<void>;
  forget(jid: string): Promise<void>;
  /** The password an older version kept, until the first login erases it. */
  legacyPassword?(jid: string): Promise<string | undefined>;
  eraseLegacyPassword?(jid: string): Promise<void>;
}

/** Whether the app may show system notifications here. */
export type NotificationAccess = 'granted' | 'denied' | 'default' | 'unsupported';

/** System notifications for messages that arrive while the app is not in front. */
export interface Notifications {
  access(): NotificationAccess;
  /** Asks the person (on the web only from a tap or click). */
  request(): Promise<NotificationAccess>;
  /** One notification per `tag`: a newer one for the same chat replaces the last. */
  show(note: { title: string; body: string; tag: string; onOpen: () => void }): void;
}

/**
 * Files from messages, kept on this device for as long as the history is: a received voice message
 * or file stays playable after the server's copy expired. What is kept is the file as the server had
 * it, AES-256-GCM ciphertext, under its https:// URL; the key is only in the message (aesgcm://
 * link) in this device's history.
 */
export interface KeptFiles {
  /** The bytes kept under `url`, or undefined. */
  read(url: string): Promise<Uint8Array | undefined>;
  write(url: string, bytes: Uint8Array): Promise<void>;
}

export interface Platform {
  readonly name: 'web' | 'native';
  /** The app's durable storage: IndexedDB on the web, SQLite on iOS and Android. */
  openStorage(): Promise<Storage>;
  /** Where files from messages are kept: IndexedDB on the web, the app's documents on phones. */
  readonly keptFiles: KeptFiles;
  /** Removes everything the app stored on this device, kept files too (after the account is deleted). */
  deleteStorage(): Promise<void>;
  vault(storage: Storage): CredentialVault;
  /** The websocket address of a domain's XMPP server when the person gives none. */
  defaultService(domain: string): string;
  /** The bytes of a finished recording (a blob: URL on the web, a file:// URI on native). */
  readRecording(uri: string): Promise<Uint8Array>;
  /** A URI the audio player can open for these (decrypted) bytes; `release` frees it. */
  playableUri(bytes: Uint8Array, mimeType: string): Promise<{ uri: string; release(): void }>;
  /** An invite link the app was opened with (the web page's address, a deep link), if any. */
  initialInvite(): Promise<string | undefined>;
  /** The invite was used: a reload or the next log-out must not offer it again. */
  forgetInitialInvite(): void;
  readonly notifications: Notifications;
  /** Shows how many messages are unread where the platform has a place for it (the tab's title). */
  showUnread(count: number): void;
  /** Lets the person choose a file to send; undefined when they cancel. */
  pickFile(): Promise<{ readonly bytes: Uint8Array; readonly name: string } | undefined>;
  /**
   * Offers a received (decrypted) file to keep under `name` (already cleaned: ui/message-kind.ts
   * sanitizeFileName): a download on the web, the share sheet on phones.
   */
  saveFile(uri: string, mimeType: string, name: string): Promise<void>;
  /** Push notifications (push/): Web Push in browsers, expo-notifications on phones. */
  readonly push?: PushPlatform;
}

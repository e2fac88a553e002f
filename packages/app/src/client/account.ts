// The app's one account: signing up, logging in, staying connected, logging out. A plain class
// with a phase and a snapshot (React binds it with useSyncExternalStore); it wires core exactly as
// the CLI's profile.ts does: openSession → Contacts → Messenger on a platform Storage.
//
// Phases: starting (opening storage) → signedOut, or → offline (history readable at once) →
// connecting → online; a dropped connection goes back to offline while xmpp.js reconnects.
import {
  bareJid,
  HushError,
  deleteAccount,
  isHushError,
  keepSavedLogin,
  openSavedSession,
  toHushError,
  writeForLater,
  type LoginVault,
  type OmemoEvent,
  type SavedLogin,
  type Storage,
  type StoredAccount,
  type XmppSession,
} from '@hush/core';
import type { CredentialVault, Platform } from '../platform/types.ts';
import type { AccountSnapshot, Connection, LogInInput, SignUpInput } from './account-types.ts';
import { ChatStore } from './chats.ts';
import { connect, mark } from './connection.ts';
import { FileKeeper } from './kept-files.ts';
import {
  asLoginVault,
  logInSession,
  signUpSession,
  type OpenedSession,
  type SignInOptions,
} from './sign-in.ts';
import { SnapshotStore } from './store.ts';
import { unavailableVoiceSender, type VoiceSender } from '../voice/sender.ts';
import type { PushController } from '../push/controller.ts';

export type {
  AccountPhase,
  AccountSnapshot,
  Connection,
  LogInInput,
  SignUpInput,
} from './account-types.ts';

export class AccountController extends SnapshotStore<AccountSnapshot> {
  private readonly platform: Platform;
  private storage: Storage | undefined;
  private vault: CredentialVault | undefined;
  private connection: Connection | undefined;
  private detach: (() => void)[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelay = 2_000;
  chats: ChatStore | undefined;
  /** Keeps the files of messages on this device (the platform's kept files). */
  private readonly files: FileKeeper;
  /** How voice messages leave: through core's FileSender while connected. */
  voice: VoiceSender = unavailableVoiceSender;
  /** Push for this device while connected (Settings turns it on and off). */
  push: PushController | undefined;

  constructor(platform: Platform) {
    super({ phase: 'starting', busy: false });
    this.platform = platform;
    this.files = new FileKeeper(platform.keptFiles);
  }

  get current(): Connection | undefined {
    return this.connection;
  }

  /** Opens storage; with a stored account, shows its history at once and connects. */
  async start(): Promise<void> {
    mark('hush:start');
    this.update({ phase: 'starting', error: undefined });
    let account: StoredAccount | undefined;
    try {
      this.storage = await this.platform.openStorage();
      this.vault = this.platform.vault(this.storage);
      [account] = await this.storage.accounts.list();
    } catch (error) {
      // Full, refused (a browser's private mode) or damaged: said, and nothing else starts.
      this.update({
        phase: 'unavailable',
        error: isHushError(error)
          ? error
          : new HushError(
              'StorageUnavailable',
              `This device's storage cannot be opened: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            ),
      });
      return;
    }
    mark('hush:storage');
    if (!account) {
      this.update({ phase: 'signedOut' });
      return;
    }
    // OMEMO's code is a chunk of its own on the web (startClient loads it): fetched now, while the
    // login runs, not after it.
    void import('@hush/core/omemo').catch(() => undefined);
    this.chats = new ChatStore(this.storage, account.jid);
    void this.chats.refresh();
    this.update({ phase: 'offline', jid: account.jid, service: account.service });
    await this.reconnect(account);
  }

  async signUp(input: SignUpInput): Promise<void> {
    await this.whileBusy(async () => this.adopt(await signUpSession(input, this.signInOptions())));
  }

  async logIn(input: LogInInput): Promise<void> {
    await this.whileBusy(async () => this.adopt(await logInSession(input, this.signInOptions())));
  }

  /** Disconnects and forgets the saved login; this device's history stays for the next login. */
  async logOut(): Promise<void> {
    const jid = this.getSnapshot().jid;
    // No more wake-ups for an account that is not on this device any more.
    await this.push?.disable();
    await this.disconnect();
    if (jid && this.storage && this.vault) {
      await this.vault.forget(jid);
      await this.storage.accounts.remove(jid);
    }
    this.chats = undefined;
    this.set({ phase: 'signedOut', busy: false });
  }

  /** Deletes the account on the server, then everything this device stored. */
  async deleteAccount(): Promise<void> {
    const connection = this.connection;
    if (!connection)
      throw new HushError('ServerUnreachable', 'Connect first: the server deletes the account.');
    const jid = this.getSnapshot().jid;
    await this.push?.disable();
    await deleteAccount(connection.session);
    await this.disconnect();
    if (jid) await this.vault?.forget(jid);
    await this.storage?.close();
    await this.platform.deleteStorage();
    this.storage = await this.platform.openStorage();
    this.vault = this.platform.vault(this.storage);
    this.chats = undefined;
    this.set({ phase: 'signedOut', busy: false });
  }

  clearError(): void {
    if (this.getSnapshot().error) this.update({ error: undefined });
  }

  /**
   * The person is looking at the conversation: tell the peer (XEP-0333 displayed) and mark it
   * read here; the Messenger's 'read' event refreshes the views (as it does for a read elsewhere).
   */
  async markSeen(peer: string): Promise<void> {
    await this.connection?.messenger.markDisplayed(peer);
  }

  /**
   * Sends, or keeps for later: with a connection (live or reconnecting) the Messenger queues it;
   * with none yet (the app started offline) it is stored pending and the next Messenger encrypts
   * and sends it. Either way it is in storage before this resolves.
   */
  async sendText(peer: string, body: string): Promise<void> {
    if (this.connection) {
      await this.connection.messenger.sendText(peer, body);
      return;
    }
    const jid = this.getSnapshot().jid;
    if (!jid || !this.storage || !this.chats) {
      throw new HushError('NoAccount', 'Not signed in on this device.');
    }
    await writeForLater(this.storage, {
      account: jid,
      peer,
      body,
      id: globalThis.crypto.randomUUID(),
      timestamp: Date.now(),
    });
    await this.chats.thread(bareJid(peer)).refresh();
    await this.chats.refresh();
  }

  async sendVoice(peer: string, bytes: Uint8Array): Promise<void> {
    await this.voice.sendVoice(peer, bytes);
  }

  /** A picked file: encrypted, uploaded and sent as an aesgcm:// link (XEP-0454), under `name`. */
  async sendFile(peer: string, bytes: Uint8Array, name?: string): Promise<void> {
    await this.voice.sendFile(peer, bytes, name);
  }

  async close(): Promise<void> {
    await this.disconnect();
    await this.storage?.close();
  }

  requireConnection(): Connection {
    if (!this.connection)
      throw new HushError('ServerUnreachable', 'Not connected: waiting for the server.');
    return this.connection;
  }

  private async whileBusy(work: () => Promise<void>): Promise<void> {
    this.update({ busy: true, error: undefined });
    try {
      await work();
      this.update({ busy: false });
    } catch (error) {
      this.update({ busy: false, error: toHushError(error) });
    }
  }

  /** A fresh login or sign-up succeeded: keep the account and start chatting. */
  private async adopt({ session, ...account }: OpenedSession): Promise<void> {
    const storage = this.requireStorage();
    const jid = bareJid(session.jid);
    const existing = await storage.accounts.get(jid);
    // What logs in again is the saved login (keys, token), never the password; one an older version
    // kept is erased.
    const stored: StoredAccount = {
      jid,
      service: account.service,
      resource: account.resource,
      ...(existing?.mamLastStanzaId !== undefined && {
        mamLastStanzaId: existing.mamLastStanzaId,
      }),
    };
    await storage.accounts.put(stored);
    const vault = this.loginVault();
    if (vault) await keepSavedLogin(vault, jid, session);
    this.chats = new ChatStore(storage, jid);
    void this.chats.refresh();
    this.set({ phase: 'connecting', jid, service: account.service, busy: true });
    try {
      await this.attach(session);
    } catch (error) {
      // The account exists and is stored: show it offline and keep trying, as after a restart.
      this.update({ phase: 'offline', busy: false, error: toHushError(error) });
      this.retryTimer = setTimeout(() => void this.reconnect(stored), this.retryDelay);
    }
  }

  private async reconnect(account: StoredAccount): Promise<void> {
    clearTimeout(this.retryTimer);
    const vault = this.loginVault();
    if (!vault) return;
    this.update({ phase: 'connecting' });
    try {
      // The saved login: a FAST token or SCRAM keys, no password and no PBKDF2.
      const session = await openSavedSession({
        service: account.service,
        jid: account.jid,
        resource: account.resource,
        vault,
      });
      mark('hush:session');
      await this.attach(session);
      mark('hush:online');
      this.retryDelay = 2_000;
    } catch (error) {
      const failure = toHushError(error);
      if (isHushError(failure, 'WrongPassword')) {
        // Nothing saved, or outdated by a password change on another device: only the person can
        // fix that, with the password.
        await this.vault?.forget(account.jid);
        this.set({ phase: 'signedOut', busy: false, jid: account.jid, error: failure });
        return;
      }
      this.update({ phase: 'offline', error: failure });
      this.retryTimer = setTimeout(() => void this.reconnect(account), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 60_000);
    }
  }

  /** The platform's vault as core's LoginVault (an older version's password where it has one). */
  private loginVault(): LoginVault | undefined {
    return this.vault && asLoginVault(this.vault);
  }

  private signInOptions(): SignInOptions {
    return {
      platform: this.platform,
      saveLogin: (jid: string, login: SavedLogin) => this.saveLogin(jid, login),
    };
  }

  private async saveLogin(jid: string, login: SavedLogin): Promise<void> {
    await this.vault?.save(jid, login).catch(() => undefined);
  }

  private async attach(session: XmppSession): Promise<void> {
    const connected = await connect({
      platform: this.platform,
      storage: this.requireStorage(),
      session,
      chats: () => this.chats,
      files: this.files,
      report: (changes) => this.update(changes),
      onOmemoEvent: (event) => this.onOmemoEvent(event),
    });
    this.connection = connected.connection;
    const { push } = connected;
    if (push) this.push = push;
    this.voice = connected.voice;
    this.detach.push(...connected.detach, () => {
      if (push && this.push === push) this.push = undefined;
      this.voice = unavailableVoiceSender;
    });
    this.update({ phase: 'online', busy: false, error: undefined });
  }

  private onOmemoEvent(event: OmemoEvent): void {
    if (event.type === 'identity-changed') {
      const known = this.getSnapshot().identityChanged ?? [];
      if (!known.includes(event.jid)) this.update({ identityChanged: [...known, event.jid] });
    } else if (event.type === 'devices') {
      void this.chats?.refresh();
    }
  }

  /**
   * XEP-0352: with the app in the background the server may hold back presence and other noise
   * (messages still come at once).
   */
  async setActive(active: boolean): Promise<void> {
    await this.connection?.session
      .setClientState(active ? 'active' : 'inactive')
      .catch(() => undefined);
  }

  /** The person decided about a changed key (in the contact's details): stop warning. */
  identityHandled(jid: string): void {
    const known = this.getSnapshot().identityChanged ?? [];
    this.update({ identityChanged: known.filter((j) => j !== jid) });
  }

  private async disconnect(): Promise<void> {
    clearTimeout(this.retryTimer);
    for (const stop of this.detach.splice(0)) stop();
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    await connection.client.close().catch(() => undefined);
    await connection.session.close();
  }

  private requireStorage(): Storage {
    if (!this.storage) throw new HushError('ProtocolError', 'Storage is not open yet.');
    return this.storage;
  }
}

// One account on this device, wired: session -> contacts -> OMEMO -> chat. The CLI and the app both
// start here, so the order that matters is written down once:
// 1. contacts before the Messenger: Messenger.start() announces presence, and requests from people
//    already in the roster are approved as they come (the roster is fetched beside OMEMO's start);
// 2. OMEMO before chat: the device's keys and device list must be published before catch-up decrypts
//    anything, and caps (with devicelist+notify) must be known before the first presence;
// 3. the Messenger last; subscribers attached before start() also see the catch-up.
import type { XmppSession } from './xmpp/session.ts';
import { advertiseCapabilities } from './xmpp/caps.ts';
import { watchOwnResources } from './xmpp/own-resources.ts';
import type { Storage } from './storage/types.ts';
import { Contacts, NICK_NOTIFY } from './contacts/index.ts';
import { Messenger, type MessengerEvent } from './chat/messenger.ts';
import type { Omemo, OmemoEvent, OmemoOptions } from './omemo/omemo.ts';
import { NS_CHATSTATES, NS_MARKERS, NS_RECEIPTS } from './chat/namespaces.ts';
import { Push } from './push/push.ts';
import type { PushStateStore } from './push/types.ts';

export interface StartClientOptions {
  readonly session: XmppSession;
  readonly storage: Storage;
  /** OMEMO on (the default) or off; off is for tests and tools that speak to plain-text bots. */
  readonly encryption?: boolean;
  readonly omemo?: Omit<OmemoOptions, 'session' | 'store'>;
  readonly onMessengerEvent?: (event: MessengerEvent) => void;
  readonly onOmemoEvent?: (event: OmemoEvent) => void;
  /** XEP-0115 identity type: 'phone', 'pc' or 'web'. */
  readonly clientType?: string;
  /** Push notifications (XEP-0357): where this device keeps its registration. */
  readonly push?: PushStateStore;
  /** How long a peer's receipt may take before a message is sent again (chat/redelivery.ts). */
  readonly redeliverAfterMs?: number;
  /** Told as each part of the start is done (the app marks them for its start-up benchmark). */
  readonly onStartPhase?: (phase: StartPhase) => void;
}

/** The parts of a start: OMEMO's code loaded, the roster, OMEMO started, the Messenger started. */
export type StartPhase = 'omemo-code' | 'contacts' | 'omemo' | 'messenger';

export interface HushClient {
  readonly session: XmppSession;
  readonly contacts: Contacts;
  readonly messenger: Messenger;
  /** Present when encryption is on. */
  readonly omemo?: Omemo;
  /** Present with the `push` option: enable() with the push service's token, disable() at log-out. */
  readonly push?: Push;
  /** Stops listening; the session stays open (close it separately). */
  close(): Promise<void>;
}

export async function startClient(options: StartClientOptions): Promise<HushClient> {
  const { session, storage } = options;
  const phase = (done: StartPhase) => options.onStartPhase?.(done);
  const contacts = new Contacts({ session });
  const encryption = options.encryption ?? true;
  // OMEMO's code (libsignal, the curves) loads here, not with the rest of core: on the web it is a
  // bundle chunk of its own ('@hush/core/omemo'), so a first visit's login form never waits for it.
  const { Omemo: OmemoClass } = encryption
    ? await import('./omemo/omemo.ts')
    : { Omemo: undefined };
  if (OmemoClass) phase('omemo-code');
  const omemo = OmemoClass
    ? new OmemoClass({ ...options.omemo, session, store: storage.omemo })
    : undefined;
  if (omemo && options.onOmemoEvent) omemo.subscribe(options.onOmemoEvent);
  const caps = advertiseCapabilities(
    session,
    // NICK_NOTIFY: contacts' new names (XEP-0172) are pushed, not only fetched.
    [
      NS_RECEIPTS,
      NS_MARKERS,
      NS_CHATSTATES,
      NICK_NOTIFY,
      ...(OmemoClass ? OmemoClass.features : []),
    ],
    { category: 'client', type: options.clientType ?? 'pc', name: 'Hush' },
  );
  // The roster and OMEMO's keys and device list are independent: fetched side by side, both before
  // the Messenger (a start waits for the slower, not for both in turn).
  await Promise.all([
    contacts.start().then(() => phase('contacts')),
    omemo?.start().then(() => phase('omemo')),
  ]);
  const messenger = new Messenger({
    session,
    storage,
    presence: [caps],
    ...(omemo ? { encryption: omemo } : {}),
    ...(options.redeliverAfterMs !== undefined
      ? { redeliverAfterMs: options.redeliverAfterMs }
      : {}),
  });
  if (options.onMessengerEvent) messenger.subscribe(options.onMessengerEvent);
  // A person's devices appeared (a first device list, keys readable once they accepted a contact
  // request): what could not be encrypted for them goes now.
  const stopRetrying = omemo?.subscribe((event) => {
    if (event.type === 'devices' && event.jid !== messenger.account)
      void messenger.retryUndeliverable(event.jid).catch(() => undefined);
  });
  // Another device of the account came online: its device list entry may not have been pushed
  // here (xmpp/own-resources.ts), so the list is read again.
  const stopWatchingOwn = omemo
    ? watchOwnResources(session, () => {
        void omemo.devices(messenger.account, true).catch(() => undefined);
      })
    : undefined;
  await messenger.start();
  phase('messenger');
  // Online: key maintenance in the background, with the start's check that the server still has
  // this device's bundles (omemo/key-work.ts), kept off the way to connected. A close while online
  // waits for it, so a short-lived process (a CLI command) still republishes what the server lost.
  const maintenance = omemo?.maintain().catch(() => undefined);
  // A new stream (not a resumed one) is a good moment to rotate keys that fell due while away.
  const onOnline = () => void omemo?.maintain().catch(() => undefined);
  session.client.on('online', onOnline);
  // Push last: enabled again now and on every new stream, when it is on for this device.
  const push = options.push ? new Push({ session, state: options.push }) : undefined;
  push?.start();
  void push?.renew().catch(() => undefined);
  return {
    session,
    contacts,
    messenger,
    ...(omemo ? { omemo } : {}),
    ...(push ? { push } : {}),
    async close() {
      push?.close();
      session.client.removeListener('online', onOnline);
      stopRetrying?.();
      stopWatchingOwn?.();
      if (session.client.status === 'online') await maintenance;
      omemo?.close();
      contacts.close();
      await messenger.close();
    },
  };
}

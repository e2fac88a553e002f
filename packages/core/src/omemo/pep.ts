// XEP-0384 OMEMO Encryption (legacy 0.3, eu.siacs.conversations.axolotl) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// XEP-0163 Personal Eventing Protocol — https://xmpp.org/extensions/xep-0163.html
// XEP-0060 Publish-Subscribe (publish-options §7.1.5, node configuration §8.2) — https://xmpp.org/extensions/xep-0060.html
//
// Publishing and fetching OMEMO device lists and bundles in PEP, and listening for device list
// changes. Every node is published with access_model=open: with PEP's default (presence), anyone who
// is not a contact gets `forbidden` and cannot start an encrypted chat.
// Each node keeps one item, id 'current', as Conversations, Dino and Gajim write and read it.
//
// Prosody 13 (pep.test.ts, first-contact.test.ts): a node that does not exist, or an account that
// does not, is `item-not-found` for everyone; a node whose access model leaves us out (presence,
// published without access_model=open) is `forbidden`, and readable once its owner lets us see their
// presence. (Prosody 0.12 answered `forbidden` to strangers for absent nodes too.) Errors carry the
// account they were about (OmemoPepError.jid), so device-lists.ts can ask for a subscription.
//
// Notifications (onDeviceListUpdate): PEP only pushes to a resource whose entity capabilities
// (XEP-0115) contain `eu.siacs.conversations.axolotl.devicelist+notify`, and Prosody only pushes a
// contact's changes when we share presence with them. Advertising caps is the session's job, not
// this module's: without it the listener simply never fires, so callers must still fetch.
import xml, { type Element } from '@xmpp/xml';
import type { XmppError } from '@xmpp/client';
import { HushError, type HushErrorCode } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import {
  DEVICE_LIST_NODE,
  buildBundle,
  buildDeviceList,
  bundleNode,
  isDeviceId,
  parseDeviceList,
  readBundle,
  type OmemoBundle,
} from './bundle.ts';
import { bareJid } from '../util/jid.ts';
import {
  DEVICES_NODE,
  parseDeviceList as parseDeviceList2,
  type Omemo2Device,
} from '../omemo2/bundle.ts';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_DATA_FORMS = 'jabber:x:data';
const PUBLISH_OPTIONS_FORM = 'http://jabber.org/protocol/pubsub#publish-options';
const NODE_CONFIG_FORM = 'http://jabber.org/protocol/pubsub#node_config';
/** The one item id of every OMEMO node. */
export const CURRENT_ITEM = 'current';

export type OmemoPepFailure =
  'NotFound' | 'Forbidden' | 'Malformed' | 'PublishFailed' | 'Timeout' | 'ServerError';

/**
 * A PEP operation failed; `code` for the UI, `reason` for the OMEMO layer's decisions and tests, `jid`
 * the account whose nodes were read (absent for this account's own publishing).
 */
export class OmemoPepError extends HushError {
  readonly reason: OmemoPepFailure;
  readonly jid: string | undefined;

  constructor(
    reason: OmemoPepFailure,
    code: HushErrorCode,
    message: string,
    options?: { cause?: unknown; jid?: string },
  ) {
    super(code, message, options);
    this.name = 'OmemoPepError';
    this.reason = reason;
    this.jid = options?.jid;
  }
}

export interface DeviceListUpdate {
  /** The bare JID whose device list changed (the account itself for its own devices). */
  readonly jid: string;
  readonly deviceIds: readonly number[];
  /** Which version's list: OMEMO 0.3 (the default) or OMEMO 2 (urn:xmpp:omemo:2:devices). */
  readonly version?: OmemoVersion;
  /** OMEMO 2 lists: the labels devices carry (with their signatures), by id. */
  readonly labels?: ReadonlyMap<number, DeviceLabel>;
}

export type OmemoVersion = '0.3' | '2';

function pepError(error: unknown, action: string, jid?: string): OmemoPepError {
  if (error instanceof OmemoPepError) return error;
  const { condition, text, name } = (error ?? {}) as XmppError;
  const detail = text ? ` (${text})` : '';
  const options = { cause: error, ...(jid === undefined ? {} : { jid: bareJid(jid) }) };
  if (name === 'TimeoutError') {
    return new OmemoPepError(
      'Timeout',
      'Timeout',
      `The server did not answer to ${action}.`,
      options,
    );
  }
  switch (condition) {
    case 'item-not-found':
      return new OmemoPepError(
        'NotFound',
        'ProtocolError',
        `Nothing published to ${action}.`,
        options,
      );
    // Prosody answers forbidden for a node whose access model (presence, roster, whitelist) leaves
    // us out, and also for one that does not exist when we are not its owner (pep.test.ts); XEP-0060
    // §6.5.9.2 has not-authorized (with presence-subscription-required) for the same case.
    case 'forbidden':
    case 'not-authorized':
    case 'not-allowed':
      return new OmemoPepError(
        'Forbidden',
        'NotAllowed',
        `The server does not let you ${action}${detail}.`,
        options,
      );
    default:
      return new OmemoPepError(
        'ServerError',
        'ProtocolError',
        `Could not ${action}: ${condition ?? (error instanceof Error ? error.message : String(error))}`,
        options,
      );
  }
}

/** How an item is published: its id, and node options beside access_model=open. */
export interface PublishOptions {
  /** Default 'current', the one item of an OMEMO 0.3 node. */
  readonly itemId?: string;
  /** pubsub#max_items, e.g. 'max' for OMEMO 2's bundles node (one item per device). */
  readonly maxItems?: string;
}

function accessForm(formType: string, options: PublishOptions): Element {
  const field = (name: string, value: string) =>
    xml('field', { var: name }, xml('value', {}, value));
  return xml(
    'x',
    { xmlns: NS_DATA_FORMS, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    field('pubsub#access_model', 'open'),
    ...(options.maxItems ? [field('pubsub#max_items', options.maxItems)] : []),
  );
}

function publishIq(node: string, payload: Element, options: PublishOptions): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'pubsub',
      { xmlns: NS_PUBSUB },
      xml('publish', { node }, xml('item', { id: options.itemId ?? CURRENT_ITEM }, payload)),
      xml('publish-options', {}, accessForm(PUBLISH_OPTIONS_FORM, options)),
    ),
  );
}

/**
 * Publishes `payload` as an item ('current' unless told) of the node with access_model=open. A
 * node that already exists with other options (made by an older client or without publish-options)
 * fails the precondition (XEP-0060 §7.1.5): it is reconfigured, then published to once more.
 */
export async function publishOpen(
  session: XmppSession,
  node: string,
  payload: Element,
  options: PublishOptions = {},
): Promise<void> {
  try {
    await session.request(publishIq(node, payload, options));
    return;
  } catch (error) {
    // Prosody 0.12 answers <conflict/> plus <precondition-not-met/> in the namespace
    // 'http://jabber.org/protocol/pubsub\#errors' (a stray backslash), so match the name only.
    const failure = error as XmppError | undefined;
    const preconditionFailed = failure?.element
      ?.getChildElements()
      .some((child) => child.name === 'precondition-not-met');
    if (!preconditionFailed && failure?.condition !== 'conflict') {
      throw pepError(error, `publish ${node}`);
    }
  }
  try {
    await session.request(
      xml(
        'iq',
        { type: 'set' },
        xml(
          'pubsub',
          { xmlns: NS_PUBSUB_OWNER },
          xml('configure', { node }, accessForm(NODE_CONFIG_FORM, options)),
        ),
      ),
    );
    await session.request(publishIq(node, payload, options));
  } catch (error) {
    throw pepError(error, `publish ${node}`);
  }
}

/**
 * The payload of the item `itemId` ('current' unless told, or else the only/last item) from an
 * <items> element: undefined when there is no item, null when the item is empty.
 */
export function itemPayload(
  items: Element | undefined,
  itemId = CURRENT_ITEM,
): Element | null | undefined {
  if (!items) return undefined;
  const all = items.getChildren('item');
  if (all.length === 0) return undefined;
  const item = all.find((candidate) => candidate.attrs.id === itemId) ?? all.at(-1);
  return item?.getChildElements()[0] ?? null;
}

const currentPayload = (items: Element | undefined) => itemPayload(items);

/**
 * The <items> of `jid`'s node (only the item `itemId` when given). Rejects with what the server
 * answered; `readError` turns that into an OmemoPepError.
 */
export async function fetchItems(
  session: XmppSession,
  jid: string,
  node: string,
  itemId?: string,
): Promise<Element | undefined> {
  const result = await session.request(
    xml(
      'iq',
      { type: 'get', to: bareJid(jid) },
      xml(
        'pubsub',
        { xmlns: NS_PUBSUB },
        xml('items', { node }, ...(itemId === undefined ? [] : [xml('item', { id: itemId })])),
      ),
    ),
  );
  return result.getChild('pubsub', NS_PUBSUB)?.getChild('items');
}

/** A failed PEP request -> OmemoPepError for `action` ("read the keys of …"), about `jid`. */
export function readError(error: unknown, action: string, jid?: string): OmemoPepError {
  return pepError(error, action, jid);
}

export async function publishDeviceList(
  session: XmppSession,
  deviceIds: readonly number[],
): Promise<void> {
  await publishOpen(session, DEVICE_LIST_NODE, buildDeviceList(deviceIds));
}

/**
 * The device ids `jid` announces: [] when it has never published a list (item-not-found) or the node
 * is empty. Rejects with OmemoPepError: Forbidden, Timeout, ServerError, or Malformed when the item
 * is not a device list.
 */
export async function fetchDeviceList(session: XmppSession, jid: string): Promise<number[]> {
  let items: Element | undefined;
  try {
    items = await fetchItems(session, jid, DEVICE_LIST_NODE);
  } catch (error) {
    const failure = pepError(error, `read the devices of ${bareJid(jid)}`, jid);
    if (failure.reason === 'NotFound') return [];
    throw failure;
  }
  const payload = currentPayload(items);
  if (payload === undefined) return [];
  const ids = payload && parseDeviceList(payload);
  if (!ids) {
    throw new OmemoPepError(
      'Malformed',
      'ProtocolError',
      `The device list of ${bareJid(jid)} is malformed.`,
      { jid: bareJid(jid) },
    );
  }
  return ids;
}

export async function publishBundle(
  session: XmppSession,
  deviceId: number,
  bundle: OmemoBundle,
): Promise<void> {
  if (!isDeviceId(deviceId)) {
    throw new HushError('ProtocolError', `Device id ${deviceId} is not in 1..2^31-1.`);
  }
  await publishOpen(session, bundleNode(deviceId), buildBundle(bundle));
}

/**
 * The bundle of one device of `jid`. Rejects with OmemoPepError: NotFound (no such device, or its
 * bundle was never published), Malformed, Forbidden, Timeout, ServerError.
 */
export async function fetchBundle(
  session: XmppSession,
  jid: string,
  deviceId: number,
): Promise<OmemoBundle> {
  const what = `the keys of device ${deviceId} of ${bareJid(jid)}`;
  const owner = { jid: bareJid(jid) };
  if (!isDeviceId(deviceId)) {
    throw new OmemoPepError(
      'NotFound',
      'ProtocolError',
      `Device id ${deviceId} is not valid.`,
      owner,
    );
  }
  let items: Element | undefined;
  try {
    items = await fetchItems(session, jid, bundleNode(deviceId));
  } catch (error) {
    throw pepError(error, `read ${what}`, jid);
  }
  const payload = currentPayload(items);
  if (payload === undefined) {
    throw new OmemoPepError('NotFound', 'ProtocolError', `Nothing published for ${what}.`, owner);
  }
  const reading = payload ? readBundle(payload) : null;
  if (!reading?.bundle) {
    const problem = reading && 'problem' in reading ? `: ${reading.problem}` : '';
    throw new OmemoPepError('Malformed', 'ProtocolError', `Cannot use ${what}${problem}.`, owner);
  }
  return reading.bundle;
}

/** An OMEMO 2 device's label and, where it came with one, the label's signature (`labelsig`). */
export interface DeviceLabel {
  readonly label: string;
  readonly labelsig?: string;
}

/** The labels of OMEMO 2 devices, by id. */
export function labelsOf(devices: readonly Omemo2Device[]): Map<number, DeviceLabel> {
  const labels = new Map<number, DeviceLabel>();
  for (const { id, label, labelsig } of devices) {
    if (label) labels.set(id, { label, ...(labelsig ? { labelsig } : {}) });
  }
  return labels;
}

/**
 * A PEP device list notification (OMEMO 0.3's or OMEMO 2's) -> the update, or null for any other stanza. A notification is
 * believed only from a bare JID (PEP services are the accounts themselves, RFC 6120 §8.1.2.1 for the
 * missing `from`, which means our own account).
 */
export function parseDeviceListEvent(stanza: Element, accountJid: string): DeviceListUpdate | null {
  try {
    if (!stanza.is('message')) return null;
    const from = stanza.attrs.from ?? bareJid(accountJid);
    if (from.includes('/')) return null;
    const items = stanza.getChild('event', NS_PUBSUB_EVENT)?.getChild('items');
    if (items?.attrs.node === DEVICES_NODE) {
      const payload = currentPayload(items);
      const devices = payload ? parseDeviceList2(payload) : null;
      if (!devices) return null;
      return {
        jid: from.toLowerCase(),
        deviceIds: devices.map((device) => device.id),
        version: '2',
        labels: labelsOf(devices),
      };
    }
    if (items?.attrs.node !== DEVICE_LIST_NODE) return null;
    const payload = currentPayload(items);
    const deviceIds = payload ? parseDeviceList(payload) : null;
    return deviceIds ? { jid: from.toLowerCase(), deviceIds } : null;
  } catch {
    return null;
  }
}

/**
 * Calls `listener` for every device list notification the server pushes; returns the unsubscribe
 * function. Fires only if the session advertises devicelist+notify in its caps (see the header).
 */
export function onDeviceListUpdate(
  session: XmppSession,
  listener: (update: DeviceListUpdate) => void,
): () => void {
  return session.onStanza((stanza) => {
    const update = parseDeviceListEvent(stanza, session.jid);
    if (update) listener(update);
  });
}

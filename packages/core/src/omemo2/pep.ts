// XEP-0384 OMEMO Encryption (OMEMO 2, urn:xmpp:omemo:2) — https://xmpp.org/extensions/xep-0384.html
// XEP-0060 Publish-Subscribe (publish-options §7.1.5, item retrieval by id §6.5.8) — https://xmpp.org/extensions/xep-0060.html
//
// Publishing and fetching OMEMO 2 device lists and bundles in PEP. Unlike 0.3, all of an account's
// bundles live in one node, urn:xmpp:omemo:2:bundles, one item per device with the device id as item
// id; so that node keeps as many items as there are devices (pubsub#max_items 'max'). Both nodes
// are open to everyone, as 0.3's (../omemo/pep.ts): strangers must be able to write first. Errors
// are ../omemo/pep.ts's OmemoPepError, naming the account.
import type { Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import { isDeviceId } from '../omemo/bundle.ts';
import { OmemoPepError, fetchItems, itemPayload, publishOpen, readError } from '../omemo/pep.ts';
import {
  BUNDLES_NODE,
  DEVICES_NODE,
  buildBundle,
  buildDeviceList,
  parseDeviceList,
  readBundle,
  type Omemo2Bundle,
  type Omemo2Device,
} from './bundle.ts';
import { bareJid } from '../util/jid.ts';

export async function publishDeviceList(
  session: XmppSession,
  devices: readonly Omemo2Device[],
): Promise<void> {
  await publishOpen(session, DEVICES_NODE, buildDeviceList(devices));
}

/**
 * The OMEMO 2 devices `jid` announces: [] when it never published a list. Rejects with
 * OmemoPepError: Forbidden, Timeout, ServerError, or Malformed when the item is not a device list.
 */
export async function fetchDeviceList(session: XmppSession, jid: string): Promise<Omemo2Device[]> {
  const owner = bareJid(jid);
  let items: Element | undefined;
  try {
    items = await fetchItems(session, owner, DEVICES_NODE);
  } catch (error) {
    const failure = readError(error, `read the OMEMO 2 devices of ${owner}`, owner);
    if (failure.reason === 'NotFound') return [];
    throw failure;
  }
  const payload = itemPayload(items);
  if (payload === undefined) return [];
  const devices = payload && parseDeviceList(payload);
  if (!devices) {
    throw new OmemoPepError(
      'Malformed',
      'ProtocolError',
      `The OMEMO 2 device list of ${owner} is malformed.`,
      { jid: owner },
    );
  }
  return devices;
}

export async function publishBundle(
  session: XmppSession,
  deviceId: number,
  bundle: Omemo2Bundle,
): Promise<void> {
  if (!isDeviceId(deviceId)) {
    throw new HushError('ProtocolError', `Device id ${deviceId} is not in 1..2^31-1.`);
  }
  await publishOpen(session, BUNDLES_NODE, buildBundle(bundle), {
    itemId: String(deviceId),
    maxItems: 'max',
  });
}

/**
 * The OMEMO 2 bundle of one device of `jid`. Rejects with OmemoPepError: NotFound (no such device
 * or bundle), Malformed (with the reason), Forbidden, Timeout, ServerError.
 */
export async function fetchBundle(
  session: XmppSession,
  jid: string,
  deviceId: number,
): Promise<Omemo2Bundle> {
  const owner = bareJid(jid);
  const what = `the OMEMO 2 keys of device ${deviceId} of ${owner}`;
  if (!isDeviceId(deviceId)) {
    throw new OmemoPepError('NotFound', 'ProtocolError', `Device id ${deviceId} is not valid.`, {
      jid: owner,
    });
  }
  let items: Element | undefined;
  try {
    items = await fetchItems(session, owner, BUNDLES_NODE, String(deviceId));
  } catch (error) {
    throw readError(error, `read ${what}`, owner);
  }
  // Only the asked item counts: a server that ignores the item id must not hand over another
  // device's bundle.
  const item = items
    ?.getChildren('item')
    .find((candidate) => candidate.attrs.id === String(deviceId));
  const payload = item ? itemPayload(items, String(deviceId)) : undefined;
  if (payload === undefined) {
    throw new OmemoPepError('NotFound', 'ProtocolError', `Nothing published for ${what}.`, {
      jid: owner,
    });
  }
  const reading = payload ? readBundle(payload) : null;
  if (!reading?.bundle) {
    const problem = reading && 'problem' in reading ? `: ${reading.problem}` : '';
    throw new OmemoPepError('Malformed', 'ProtocolError', `Cannot use ${what}${problem}.`, {
      jid: owner,
    });
  }
  return reading.bundle;
}

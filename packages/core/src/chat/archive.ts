// XEP-0313 Message Archive Management — https://xmpp.org/extensions/xep-0313.html
// XEP-0059 Result Set Management — https://xmpp.org/extensions/xep-0059.html
// Catch-up after being offline: page forward through the account's archive from the last archive id
// this device saw, oldest first, so messages are handled in order.
import xml, { type Element } from '@xmpp/xml';
import type { XmppSession } from '../xmpp/session.ts';
import { NS_MAM } from './namespaces.ts';

export const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_DATA = 'jabber:x:data';

export interface ArchivePage {
  /** The archive's message stanzas (the <message> wrappers with <result>), in archive order. */
  readonly messages: Element[];
  /** Archive id of the last message on the page: where the next page starts. */
  readonly last?: string;
  readonly complete: boolean;
}

let queryCounter = 0;

/** Fetches one page of the account's archive after `after` (from the start when absent). */
export async function fetchArchivePage(
  session: Pick<XmppSession, 'request' | 'onStanza'>,
  options: { after?: string; max?: number; ids?: readonly string[] },
): Promise<ArchivePage> {
  const queryid = `hush-mam-${++queryCounter}-${Date.now().toString(36)}`;
  const messages: Element[] = [];
  const stop = session.onStanza((stanza) => {
    if (stanza.is('message') && stanza.getChild('result', NS_MAM)?.attrs.queryid === queryid)
      messages.push(stanza);
  });
  try {
    const result = await session.request(
      xml(
        'iq',
        { type: 'set' },
        xml(
          'query',
          { xmlns: NS_MAM, queryid },
          xml(
            'x',
            { xmlns: NS_DATA, type: 'submit' },
            xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
            options.ids
              ? xml('field', { var: 'ids' }, ...options.ids.map((id) => xml('value', {}, id)))
              : null,
          ),
          xml(
            'set',
            { xmlns: NS_RSM },
            xml('max', {}, String(options.max ?? 250)),
            options.after !== undefined ? xml('after', {}, options.after) : null,
          ),
        ),
      ),
      60_000,
    );
    const fin = result.getChild('fin', NS_MAM);
    const last = fin?.getChild('set', NS_RSM)?.getChildText('last') ?? undefined;
    return {
      messages,
      complete: fin?.attrs.complete === 'true' || messages.length === 0,
      ...(last ? { last } : {}),
    };
  } finally {
    stop();
  }
}

/**
 * Whether the archive still holds the message with archive id `id` (XEP-0313 2#extended `ids`).
 * Prosody 13 answers a query after an id it no longer has with an empty, complete page rather
 * than item-not-found, which would look like "nothing new". A server without the `ids` field
 * refuses the query: then the id is taken as held, as before.
 */
async function archiveHolds(
  session: Pick<XmppSession, 'request' | 'onStanza'>,
  id: string,
): Promise<boolean> {
  try {
    const page = await fetchArchivePage(session, { ids: [id], max: 1 });
    return page.messages.length > 0;
  } catch {
    return true;
  }
}

/**
 * Pages through everything after `after`, calling `onPage` for each page before fetching the next
 * (so the caller can store progress). Returns the last archive id seen. An `after` id the archive
 * no longer has (expired) restarts from the oldest message kept: receivers deduplicate.
 */
export async function catchUpArchive(
  session: Pick<XmppSession, 'request' | 'onStanza'>,
  options: {
    after?: string;
    pageSize?: number;
    onPage: (page: ArchivePage) => Promise<void> | void;
  },
): Promise<string | undefined> {
  let after = options.after;
  let first = true;
  for (;;) {
    let page: ArchivePage;
    try {
      page = await fetchArchivePage(session, {
        ...(after !== undefined ? { after } : {}),
        max: options.pageSize ?? 250,
      });
    } catch (error) {
      if (after !== undefined && (error as { condition?: string }).condition === 'item-not-found') {
        after = undefined;
        continue;
      }
      throw error;
    }
    // Nothing after the id: either nothing new, or an id the archive no longer has.
    if (first && after !== undefined && page.messages.length === 0) {
      first = false;
      if (!(await archiveHolds(session, after))) {
        after = undefined;
        continue;
      }
    }
    first = false;
    await options.onPage(page);
    if (page.last !== undefined) after = page.last;
    if (page.complete || page.last === undefined) return after;
  }
}

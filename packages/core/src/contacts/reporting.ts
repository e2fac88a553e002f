// XEP-0377 Spam Reporting — https://xmpp.org/extensions/xep-0377.html
// XEP-0191 Blocking Command (a report rides on a block) — https://xmpp.org/extensions/xep-0191.html
// XEP-0030 Service Discovery (whether the server takes reports) — https://xmpp.org/extensions/xep-0030.html
//
// Reporting someone as a spammer (or abusive) to the account's server. A report is a block with a
// note to the server's operators attached: the reported address is blocked whether or not the
// operators ever read it. Only servers that advertise urn:xmpp:reporting:1 are sent reports
// (Prosody with mod_spam_reporting); elsewhere the report is refused here, before anything is sent,
// and nothing (the block list included) changes.
import xml, { type Element } from '@xmpp/xml';
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { splitJid, type XmppSession } from '../xmpp/session.ts';
import { contactAddress, contactsError } from './contacts-error.ts';
import { bareJid } from '../util/jid.ts';
import { NS_BLOCKING } from './blocking.ts';

export const NS_REPORTING = 'urn:xmpp:reporting:1';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_STANZA_ID = 'urn:xmpp:sid:0';
export const REPORT_REASONS = {
  spam: 'urn:xmpp:reporting:spam',
  abuse: 'urn:xmpp:reporting:abuse',
} as const;
export type ReportReason = keyof typeof REPORT_REASONS;

/** A note for the operators is cut to this many characters. */
export const MAX_REPORT_TEXT = 1000;
/** At most this many messages are named in one report. */
export const MAX_REPORTED_MESSAGES = 20;

export interface SpamReport {
  readonly reason?: ReportReason;
  /** What the person wants the operators to know. */
  readonly text?: string;
  /** The archive ids (XEP-0359 stanza-id by the account) of the messages reported. */
  readonly stanzaIds?: readonly string[];
}

/** contactsError's codes; an answer none of them describes keeps this module's own words. */
function reportingError(error: unknown, action: string): HushError {
  const failure = contactsError(error, action);
  if (failure.code !== 'ProtocolError' || error instanceof HushError) return failure;
  const { condition, text } = (error ?? {}) as XmppError;
  return new HushError(
    'ProtocolError',
    `The server refused to ${action}: ${condition ?? 'unknown error'}${text ? ` (${text})` : ''}.`,
    { cause: error },
  );
}

/** Spam reports to the account's own server. */
export class SpamReports {
  readonly #session: XmppSession;
  #support: Promise<boolean> | undefined;

  constructor(session: XmppSession) {
    this.#session = session;
  }

  /**
   * Whether the server takes reports (urn:xmpp:reporting:1 in its disco#info), asked once; a
   * failed question is asked again next time.
   */
  supported(): Promise<boolean> {
    if (!this.#support) {
      const domain = splitJid(bareJid(this.#session.jid)).domain;
      this.#support = this.#session
        .request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS_DISCO_INFO })))
        .then((result: Element) =>
          (result.getChild('query', NS_DISCO_INFO)?.getChildren('feature') ?? []).some(
            (feature) => feature.attrs.var === NS_REPORTING,
          ),
        );
      this.#support.catch(() => (this.#support = undefined));
    }
    return this.#support;
  }

  /**
   * Blocks `jid` and tells the server's operators why (XEP-0377 §3). Refused with NotAllowed,
   * changing nothing, when the server does not take reports: then block() alone is what is left.
   */
  async report(jid: string, report: SpamReport = {}): Promise<void> {
    const address = contactAddress(jid);
    const reason = REPORT_REASONS[report.reason ?? 'spam'];
    if (!reason) throw new HushError('ProtocolError', `'${report.reason}' is not a report reason.`);
    let supported: boolean;
    try {
      supported = await this.supported();
    } catch (error) {
      throw reportingError(error, 'ask whether it takes spam reports');
    }
    if (!supported)
      throw new HushError('NotAllowed', 'This server does not take spam reports: block instead.');
    const account = bareJid(this.#session.jid);
    const text = report.text?.trim().slice(0, MAX_REPORT_TEXT);
    const ids = [...new Set(report.stanzaIds ?? [])]
      .filter((id) => id !== '')
      .slice(0, MAX_REPORTED_MESSAGES);
    const children = [
      ...ids.map((id) => xml('stanza-id', { xmlns: NS_STANZA_ID, by: account, id })),
      ...(text ? [xml('text', { 'xml:lang': 'en' }, text)] : []),
    ];
    try {
      await this.#session.request(
        xml(
          'iq',
          { type: 'set' },
          xml(
            'block',
            { xmlns: NS_BLOCKING },
            xml(
              'item',
              { jid: address },
              xml('report', { xmlns: NS_REPORTING, reason }, ...children),
            ),
          ),
        ),
      );
    } catch (error) {
      throw reportingError(error, 'report this address');
    }
  }
}

// Contacts: the roster, subscriptions, presence and blocking of one account.
export { Contacts, parseRosterItem, NS_ROSTER, NS_BLOCKING, NS_PRE_APPROVAL } from './roster.ts';
export { Nicknames, NS_NICK, NICK_NOTIFY, cleanNick, parseNick, MAX_NICK_LENGTH } from './nick.ts';
export {
  SpamReports,
  NS_REPORTING,
  REPORT_REASONS,
  MAX_REPORT_TEXT,
  MAX_REPORTED_MESSAGES,
} from './reporting.ts';
export type { ReportReason, SpamReport } from './reporting.ts';
export type {
  Contact,
  ContactsDeps,
  PresenceChange,
  Subscription,
  SubscriptionRequest,
} from './types.ts';

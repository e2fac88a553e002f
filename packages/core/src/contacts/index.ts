// Contacts: the roster, subscriptions, presence and blocking of one account.
export { Contacts, parseRosterItem, NS_ROSTER, NS_BLOCKING, NS_PRE_APPROVAL } from './roster.ts';
export type {
  Contact,
  ContactsDeps,
  PresenceChange,
  Subscription,
  SubscriptionRequest,
} from './types.ts';

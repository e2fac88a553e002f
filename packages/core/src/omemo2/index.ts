// XEP-0384 OMEMO Encryption, OMEMO 2 (urn:xmpp:omemo:2) — https://xmpp.org/extensions/xep-0384.html
// Device lists and bundles in PEP; messages with XEP-0420 envelopes, X3DH and the Double Ratchet on
// the identity keys OMEMO 0.3 uses. ../omemo/omemo.ts chooses the version per contact.
export * from './bundle.ts';
export * from './pep.ts';
export { EnvelopeError, NS_SCE, type EnvelopeContent } from './envelope.ts';
export { RatchetError } from './ratchet.ts';

// XEP-0384 OMEMO Encryption, OMEMO 2 (urn:xmpp:omemo:2) — https://xmpp.org/extensions/xep-0384.html
// Device lists and bundles so far, read and written in PEP; messages still travel as OMEMO 0.3.
export * from './bundle.ts';
export * from './pep.ts';

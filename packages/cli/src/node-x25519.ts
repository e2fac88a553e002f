// X25519 from node:crypto for OMEMO's ratchet steps in the command-line client: OpenSSL's code, as
// WebCrypto's is in Node, but run on the calling thread. WebCrypto's deriveBits hands every
// agreement to a worker thread; with the machine busy the wait for that thread cost more than the
// agreement itself (doc/benchmarks.md). Core checks it against RFC 7748's known answers before use.
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import type { NativeX25519 } from '@hush/core';

// DER headers (RFC 8410) for a raw 32-byte X25519 private key (PKCS #8) and public key (SPKI).
const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI = Buffer.from('302a300506032b656e032100', 'hex');

function privateKeyOf(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8, raw]), format: 'der', type: 'pkcs8' });
}

export const nodeX25519: NativeX25519 = {
  publicKey(privateKey) {
    const spki = createPublicKey(privateKeyOf(privateKey)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(spki.subarray(SPKI.length));
  },
  agree(privateKey, publicKey) {
    const their = createPublicKey({
      key: Buffer.concat([SPKI, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return new Uint8Array(
      diffieHellman({ privateKey: privateKeyOf(privateKey), publicKey: their }),
    );
  },
};

// OMEMO 2 in process, for bench/omemo-cipher.ts: two parties, a session from a bundle (X3DH), then
// whole messages as Omemo2Sessions and the OMEMO 2 hook make them (the payload's AES-CBC + HMAC,
// its 48 bytes of key material through the Double Ratchet, and back), with each session record
// stored as JSON and read back per message as the store does. X25519 on the chosen curve backend:
// WebCrypto (Node's and browsers' path) or @noble (React Native's).
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  createCurveBackend,
  type CurveBackend,
} from '../packages/core/src/omemo/webcrypto-curve.ts';
import { ed25519PublicKey, signEd25519 } from '../packages/core/src/omemo2/identity.ts';
import { decryptPayload2, encryptPayload2 } from '../packages/core/src/omemo2/message.ts';
import {
  ratchetDecryptOn,
  ratchetEncrypt,
  startActiveOn,
  startPassiveOn,
  type RatchetState,
} from '../packages/core/src/omemo2/ratchet.ts';
import { agreeActiveOn, agreePassiveOn } from '../packages/core/src/omemo2/x3dh.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Omemo2Curve = 'noble' | 'webcrypto';
const backends = new Map<Omemo2Curve, Promise<CurveBackend>>();
function backend(curve: Omemo2Curve): Promise<CurveBackend> {
  let made = backends.get(curve);
  if (!made) backends.set(curve, (made = createCurveBackend(curve)));
  return made;
}

/** A stored session, as sessions.ts keeps it (the ratchet and the associated data). */
interface Stored {
  readonly ratchet: RatchetState;
  readonly ad: string;
}

export interface Omemo2Pair {
  /** One whole message from one party to the other, decrypted and checked. */
  send(from: 'a' | 'b', body: string): Promise<void>;
  /** The bytes of one party's stored session. */
  recordSize(): number;
}

/** Keys made before the clock starts, as createTestParty makes 0.3's. */
function partyKeys() {
  const alicePriv = random(32);
  const bobPriv = random(32);
  const spkPriv = random(32);
  const pkPriv = random(32);
  const spk = x25519.getPublicKey(spkPriv);
  return {
    alice: { privateKey: alicePriv, edPublicKey: ed25519PublicKey(alicePriv) },
    bob: { privateKey: bobPriv, edPublicKey: ed25519PublicKey(bobPriv) },
    keys: { signedPreKeyPriv: spkPriv, preKeyPriv: pkPriv },
    bundle: {
      identityKey: ed25519PublicKey(bobPriv),
      signedPreKey: { id: 1, publicKey: spk, signature: signEd25519(bobPriv, spk, random) },
      preKeys: [{ id: 1, publicKey: x25519.getPublicKey(pkPriv) }],
    },
  };
}

/** Makes both parties' keys; `connect` then runs X3DH and the first message (the set-up). */
export async function omemo2Parties(
  curve: Omemo2Curve,
): Promise<{ connect: () => Promise<Omemo2Pair> }> {
  const on = await backend(curve);
  const { alice, bob, keys, bundle } = partyKeys();
  return {
    async connect() {
      const agreement = await agreeActiveOn(on, alice, bundle, random);
      const ad = Buffer.from(agreement.associatedData).toString('base64');
      const first = encryptPayload2(encoder.encode('first'), random);
      let aliceState = await startActiveOn(
        on,
        agreement.sharedSecret,
        bundle.signedPreKey.publicKey,
        random,
      );
      const sealed = ratchetEncrypt(aliceState, first.keyMaterial, agreement.associatedData);
      aliceState = sealed.state;
      const { ik, ek } = agreement.keyExchange;
      const passive = await agreePassiveOn(on, bob, keys, ik, ek);
      const bobStart = await startPassiveOn(
        on,
        passive.sharedSecret,
        keys.signedPreKeyPriv,
        Buffer.from(aliceState.ownPub, 'base64'),
        random,
      );
      const opened = await ratchetDecryptOn(
        on,
        bobStart,
        sealed.message,
        passive.associatedData,
        random,
      );
      if (decoder.decode(decryptPayload2(opened.plaintext, first.payload)) !== 'first')
        throw new Error('mismatch');
      const records = {
        a: JSON.stringify({ ratchet: aliceState, ad } satisfies Stored),
        b: JSON.stringify({ ratchet: opened.state, ad } satisfies Stored),
      };
      return {
        async send(from, body) {
          const to = from === 'a' ? 'b' : 'a';
          const { payload, keyMaterial } = encryptPayload2(encoder.encode(body), random);
          const sender = JSON.parse(records[from]) as Stored;
          const adBytes = Buffer.from(sender.ad, 'base64');
          const message = ratchetEncrypt(sender.ratchet, keyMaterial, adBytes);
          records[from] = JSON.stringify({ ...sender, ratchet: message.state });
          const receiver = JSON.parse(records[to]) as Stored;
          const key = await ratchetDecryptOn(
            on,
            receiver.ratchet,
            message.message,
            adBytes,
            random,
          );
          records[to] = JSON.stringify({ ...receiver, ratchet: key.state });
          if (decoder.decode(decryptPayload2(key.plaintext, payload)) !== body)
            throw new Error('mismatch');
        },
        recordSize: () => records.a.length,
      };
    },
  };
}

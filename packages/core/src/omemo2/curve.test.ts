// OMEMO 2's X3DH and ratchet on a curve backend (WebCrypto here, as on Node and in browsers) against
// the same steps on @noble (as on phones): each side may run either, so every pairing must agree
// byte for byte, and bad keys must fail as RatchetError without changing the state. python-twomemo
// checks the WebCrypto path over the wire (interop.test.ts runs through Omemo2Sessions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { createCurveBackend, type CurveBackend } from '../omemo/webcrypto-curve.ts';
import { ed25519PublicKey, signEd25519 } from './identity.ts';
import {
  RatchetError,
  ratchetDecrypt,
  ratchetDecryptOn,
  ratchetEncrypt,
  startActive,
  startActiveOn,
  startPassive,
  startPassiveOn,
  type RatchetState,
} from './ratchet.ts';
import { agreeActive, agreeActiveOn, agreePassive, agreePassiveOn } from './x3dh.ts';
import { writeAuthenticated, writeMessage } from './proto.ts';

const random = (length: number) => new Uint8Array(randomBytes(length));
const backends: Promise<Record<'webcrypto' | 'noble', CurveBackend>> = Promise.all([
  createCurveBackend('webcrypto'),
  createCurveBackend('noble'),
]).then(([webcrypto, noble]) => ({ webcrypto, noble }));

/** The same random bytes twice over: one draw for each of two runs of the same step. */
function replayable(): [(length: number) => Uint8Array, (length: number) => Uint8Array] {
  const drawn: Uint8Array[] = [];
  let replayed = 0;
  return [
    (length) => {
      const bytes = random(length);
      drawn.push(bytes);
      return bytes.slice();
    },
    (length) => {
      const bytes = drawn[replayed++];
      assert.equal(bytes?.length, length);
      return bytes.slice();
    },
  ];
}

function parties() {
  const alicePriv = random(32);
  const bobPriv = random(32);
  const spkPriv = random(32);
  const pkPriv = random(32);
  const spk = x25519.getPublicKey(spkPriv);
  const bundle = {
    identityKey: ed25519PublicKey(bobPriv),
    signedPreKey: { id: 7, publicKey: spk, signature: signEd25519(bobPriv, spk, random) },
    preKeys: [{ id: 0, publicKey: x25519.getPublicKey(pkPriv) }],
  };
  return {
    alice: { privateKey: alicePriv, edPublicKey: ed25519PublicKey(alicePriv) },
    bob: { privateKey: bobPriv, edPublicKey: ed25519PublicKey(bobPriv) },
    keys: { signedPreKeyPriv: spkPriv, preKeyPriv: pkPriv },
    spk,
    bundle,
  };
}

test('X3DH and the first ratchet keys come out the same on WebCrypto and on @noble', async () => {
  const { webcrypto } = await backends;
  const { alice, bob, keys, spk, bundle } = parties();
  const [record, replay] = replayable();
  const onWeb = await agreeActiveOn(webcrypto, alice, bundle, record);
  const onNoble = agreeActive(alice, bundle, replay);
  assert.deepEqual(onWeb, onNoble);
  const { ik, ek } = onWeb.keyExchange;
  assert.deepEqual(
    await agreePassiveOn(webcrypto, bob, keys, ik, ek),
    agreePassive(bob, keys, ik, ek),
  );
  const [recordStart, replayStart] = replayable();
  const active = await startActiveOn(webcrypto, onWeb.sharedSecret, spk, recordStart);
  assert.deepEqual(
    { ...active, ownPriv: undefined },
    { ...startActive(onWeb.sharedSecret, spk, replayStart), ownPriv: undefined },
  );
  const theirs = x25519.getPublicKey(random(32));
  const [recordPassive, replayPassive] = replayable();
  const passive = await startPassiveOn(
    webcrypto,
    onWeb.sharedSecret,
    keys.signedPreKeyPriv,
    theirs,
    recordPassive,
  );
  const reference = startPassive(onWeb.sharedSecret, keys.signedPreKeyPriv, theirs, replayPassive);
  // The backend keeps the private key clamped (X25519 clamps it in any case); all else is equal.
  assert.deepEqual({ ...passive, ownPriv: undefined }, { ...reference, ownPriv: undefined });
});

test('a conversation with alternating senders, one side on WebCrypto and the other on @noble', async () => {
  const { webcrypto } = await backends;
  const { alice, bob, keys, spk, bundle } = parties();
  const agreement = await agreeActiveOn(webcrypto, alice, bundle, random);
  const { ik, ek } = agreement.keyExchange;
  const passive = agreePassive(bob, keys, ik, ek);
  const ad = agreement.associatedData;
  let a: RatchetState = await startActiveOn(webcrypto, agreement.sharedSecret, spk, random);
  const first = ratchetEncrypt(a, Uint8Array.of(0), ad);
  a = first.state;
  const dh = new Uint8Array(Buffer.from(a.ownPub, 'base64'));
  let b = startPassive(passive.sharedSecret, keys.signedPreKeyPriv, dh, random);
  let opened = ratchetDecrypt(b, first.message, ad, random);
  b = opened.state;
  for (let i = 1; i <= 20; i++) {
    if (i % 2 === 1) {
      const sealed = ratchetEncrypt(b, Uint8Array.of(i), ad);
      b = sealed.state;
      opened = await ratchetDecryptOn(webcrypto, a, sealed.message, ad, random);
      a = opened.state;
    } else {
      const sealed = ratchetEncrypt(a, Uint8Array.of(i), ad);
      a = sealed.state;
      opened = ratchetDecrypt(b, sealed.message, ad, random);
      b = opened.state;
    }
    assert.deepEqual(opened.plaintext, Uint8Array.of(i));
  }
});

test('on either curve, a small-order ratchet key or a forged bundle is a RatchetError that changes nothing', async () => {
  const { alice, spk, bundle } = parties();
  for (const curve of Object.values(await backends)) {
    const forged = { ...bundle, signedPreKey: { ...bundle.signedPreKey, signature: random(64) } };
    await assert.rejects(agreeActiveOn(curve, alice, forged, random), RatchetError);
    const agreement = await agreeActiveOn(curve, alice, bundle, random);
    const state = await startActiveOn(curve, agreement.sharedSecret, spk, random);
    const before = JSON.stringify(state);
    // A ratchet key of small order (the all-zero point): its agreements are all zero.
    const message = writeAuthenticated({
      mac: random(16),
      message: writeMessage({ n: 0, pn: 0, dhPub: new Uint8Array(32), ciphertext: random(32) }),
    });
    await assert.rejects(
      ratchetDecryptOn(curve, state, message, agreement.associatedData, random),
      RatchetError,
    );
    assert.throws(
      () => ratchetDecrypt(state, message, agreement.associatedData, random),
      RatchetError,
    );
    assert.equal(JSON.stringify(state), before);
  }
});

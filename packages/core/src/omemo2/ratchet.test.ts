// OMEMO 2's session machinery in memory: X3DH from a bundle Hush publishes, then the Double Ratchet
// both ways, out of order, with duplicates, damage and bounds. Interop with python-twomemo is
// interop.test.ts; this checks the edges a peer cannot easily be made to produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { verifyEd25519 } from '../omemo/crypto-provider.ts';
import { verifyXeddsa } from '../omemo/xeddsa.ts';
import { ed25519PublicKey, montgomeryOf, signEd25519 } from './identity.ts';
import {
  MAX_SKIPPED,
  RatchetError,
  ratchetDecrypt,
  ratchetEncrypt,
  startActive,
  startPassive,
  type RatchetState,
} from './ratchet.ts';
import { agreeActive, agreePassive } from './x3dh.ts';
import { readMessage, writeMessage } from './proto.ts';

const random = (length: number) => new Uint8Array(randomBytes(length));

function pair() {
  const alicePriv = random(32);
  const bobPriv = random(32);
  const spkPriv = random(32);
  const pkPriv = random(32);
  const alice = { privateKey: alicePriv, edPublicKey: ed25519PublicKey(alicePriv) };
  const bob = { privateKey: bobPriv, edPublicKey: ed25519PublicKey(bobPriv) };
  const spk = x25519.getPublicKey(spkPriv);
  const bundle = {
    identityKey: bob.edPublicKey,
    signedPreKey: { id: 7, publicKey: spk, signature: signEd25519(bobPriv, spk, random) },
    preKeys: [{ id: 0, publicKey: x25519.getPublicKey(pkPriv) }],
  };
  const active = agreeActive(alice, bundle, random);
  const passive = agreePassive(
    bob,
    { signedPreKeyPriv: spkPriv, preKeyPriv: pkPriv },
    active.keyExchange.ik,
    active.keyExchange.ek,
  );
  assert.deepEqual(passive.sharedSecret, active.sharedSecret);
  assert.deepEqual(passive.associatedData, active.associatedData);
  return {
    alicePriv,
    bobPriv,
    spk,
    spkPriv,
    bundle,
    ad: active.associatedData,
    secret: active.sharedSecret,
  };
}

test('identity: the Ed25519 form maps back to the X25519 key, and signs verifiably', () => {
  for (let i = 0; i < 10; i++) {
    const priv = random(32);
    const ed = ed25519PublicKey(priv);
    assert.deepEqual(montgomeryOf(ed), x25519.getPublicKey(priv));
    const message = random(32);
    const signature = signEd25519(priv, message, random);
    assert.ok(verifyEd25519(ed, message, signature));
    message[0] = (message[0] ?? 0) ^ 1;
    assert.ok(!verifyEd25519(ed, message, signature));
  }
  assert.equal(montgomeryOf(new Uint8Array(32)), null, 'a small-order point');
});

test('identity: the Ed25519 form has sign bit 0, so XEdDSA verifiers (libsignal curve25519_verify, as Converse.js 14 uses) accept its signatures', () => {
  // Such verifiers know only the X25519 key and take the Edwards sign bit from the signature's top
  // bit, which a plain Ed25519 signature leaves 0: half of all keys failed there ("Invalid signature").
  let signOne = 0;
  for (let i = 0; i < 32; i++) {
    const priv = random(32);
    const ed = ed25519PublicKey(priv);
    signOne += (ed[31] ?? 0) >> 7;
    const message = random(32);
    const signature = signEd25519(priv, message, random);
    assert.ok(verifyXeddsa(x25519.getPublicKey(priv), message, signature), `key ${i}`);
    assert.ok(verifyEd25519(ed, message, signature));
  }
  assert.equal(signOne, 0);
});

test('X3DH refuses a bundle whose signed prekey signature does not verify', () => {
  const { bundle } = pair();
  const forged = { ...bundle, signedPreKey: { ...bundle.signedPreKey, signature: random(64) } };
  assert.throws(
    () => agreeActive({ privateKey: random(32), edPublicKey: random(32) }, forged, random),
    RatchetError,
  );
});

test('the ratchet both ways, out of order, duplicates refused, damage refused without a state change', () => {
  const { spk, spkPriv, ad, secret } = pair();
  let alice: RatchetState = startActive(secret, spk, random);
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 5; i++) {
    const sealed = ratchetEncrypt(alice, Uint8Array.of(i), ad);
    alice = sealed.state;
    sent.push(sealed.message);
  }
  // Bob starts from the ratchet key the messages carry, then reads them 0, 3, 1, 4, 2.
  const dh = new Uint8Array(Buffer.from(alice.ownPub, 'base64'));
  let bob = startPassive(secret, spkPriv, dh, random);
  for (const index of [0, 3, 1, 4, 2]) {
    const opened = ratchetDecrypt(bob, sent[index] ?? new Uint8Array(), ad, random);
    assert.deepEqual(opened.plaintext, Uint8Array.of(index));
    bob = opened.state;
  }
  assert.equal(bob.skipped.length, 0, 'every skipped key used');
  assert.throws(
    () => ratchetDecrypt(bob, sent[3] ?? new Uint8Array(), ad, random),
    (error: unknown) => error instanceof RatchetError && error.duplicate,
  );
  // Damage: a flipped byte anywhere fails, and the state handed in stays usable.
  const reply = ratchetEncrypt(bob, Uint8Array.of(42), ad);
  const damaged = Uint8Array.from(reply.message);
  damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
  assert.throws(() => ratchetDecrypt(alice, damaged, ad, random), RatchetError);
  assert.throws(() => ratchetDecrypt(alice, random(7), ad, random), RatchetError);
  const opened = ratchetDecrypt(alice, reply.message, ad, random);
  assert.deepEqual(opened.plaintext, Uint8Array.of(42));
});

test('a message that would skip more than MAX_SKIPPED keys is refused', () => {
  const { spk, spkPriv, ad, secret } = pair();
  let alice = startActive(secret, spk, random);
  const first = ratchetEncrypt(alice, Uint8Array.of(1), ad);
  alice = first.state;
  for (let i = 0; i < MAX_SKIPPED + 1; i++)
    alice = ratchetEncrypt(alice, Uint8Array.of(0), ad).state;
  const far = ratchetEncrypt(alice, Uint8Array.of(2), ad);
  const ownPub = Buffer.from(alice.ownPub, 'base64');
  const bob = startPassive(secret, spkPriv, new Uint8Array(ownPub), random);
  assert.throws(
    () => ratchetDecrypt(bob, far.message, ad, random),
    (error: unknown) => error instanceof RatchetError && /more than/.test(error.message),
  );
  assert.deepEqual(ratchetDecrypt(bob, first.message, ad, random).plaintext, Uint8Array.of(1));
});

test('protobuf: written messages read back; truncated ones and numbers past uint32 are refused', () => {
  const message = { n: 0xffffffff, pn: 3, dhPub: random(32), ciphertext: random(48) };
  assert.deepEqual(readMessage(writeMessage(message)), message);
  const bytes = writeMessage(message);
  assert.equal(readMessage(bytes.subarray(0, bytes.length - 1)), null);
  // n = 2^32 as a varint (five bytes) is not a uint32.
  assert.equal(
    readMessage(Uint8Array.of(0x08, 0x80, 0x80, 0x80, 0x80, 0x10, 0x10, 0, 0x1a, 0)),
    null,
  );
  assert.equal(readMessage(Uint8Array.of(0x10, 0)), null, 'required fields missing');
});

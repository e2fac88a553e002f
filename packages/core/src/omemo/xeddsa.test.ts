// XEdDSA and strict Ed25519 checked against implementations that share no code with Hush: Debian's
// python3-xeddsa (libxeddsa, a C implementation of the XEdDSA specification) and Signal's
// libsignal-client (Rust) both ways, and the vector of libsignal's Curve25519Test.testSignature. Each refusal has a case that passes the
// verification equation, so the test fails if that check is taken out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  checkEd25519Signature,
  checkXeddsaSignature,
  equationHolds,
  signXeddsa,
  verifyEd25519,
  verifyXeddsa,
  type CheckedSignature,
} from './xeddsa.ts';
import { clampX25519, createCurveBackend, type CurveBackend } from './webcrypto-curve.ts';
import { concatBytes } from '../util/bytes.ts';

const { Fp, Fn } = ed25519.Point;
const P = Fp.ORDER;
const L = Fn.ORDER;
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const le = (value: bigint) => numberToBytesLE(value, 32);
const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));

const backends: Promise<[string, CurveBackend][]> = Promise.all([
  createCurveBackend('noble').then((b): [string, CurveBackend] => ['noble', b]),
  createCurveBackend('webcrypto').then((b): [string, CurveBackend] => ['webcrypto', b]),
]);

async function nobleKeyPair(privateKey: Uint8Array = random(32)) {
  const noble = (await backends)[0]?.[1];
  assert.ok(noble);
  return noble.keyPair(privateKey);
}

/** Every verifier Hush has: the pure one and both backends. */
async function verifiers(): Promise<
  [string, (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>][]
> {
  return [
    ['verifyXeddsa', (k, m, s) => Promise.resolve(verifyXeddsa(k, m, s))],
    ...(await backends).map(
      ([name, backend]): [
        string,
        (k: Uint8Array, m: Uint8Array, s: Uint8Array) => Promise<boolean>,
      ] => [name, (k, m, s) => backend.verifyXeddsa(k, m, s)],
    ),
  ];
}

/** The equation alone, on a signature whose encodings are read leniently (no check of ours). */
function equationAlone(edPublicKey: Uint8Array, signature: Uint8Array, message: Uint8Array) {
  const checked: CheckedSignature = {
    edPublicKey,
    signature,
    A: ed25519.Point.fromBytes(edPublicKey, true),
    R: ed25519.Point.fromBytes(signature.subarray(0, 32), true),
    s: bytesToNumberLE(signature.subarray(32)),
  };
  return equationHolds(checked, message);
}

// ---- python3-xeddsa ----

const PYTHON_SCRIPT = String.raw`
import json, sys, xeddsa
job = json.load(sys.stdin)
out = {"verified": [], "signed": [], "agreed": []}
for key, message, signature in job["verify"]:
    key, message, signature = bytes.fromhex(key), bytes.fromhex(message), bytes.fromhex(signature)
    # OMEMO 0.3 / libsignal: the Edwards sign bit travels in the top bit of S.
    ed = xeddsa.curve25519_pub_to_ed25519_pub(key, bool(signature[63] & 0x80))
    plain = signature[:63] + bytes([signature[63] & 0x7F])
    out["verified"].append(xeddsa.ed25519_verify(plain, ed, message))
for private, message in job["sign"]:
    private, message = bytes.fromhex(private), bytes.fromhex(message)
    # The XEdDSA specification: the key negated if need be so that its Edwards sign bit is 0.
    specification = xeddsa.ed25519_priv_sign(xeddsa.priv_force_sign(private, False), message)
    # libsignal's curve25519_sign: the key as it is, its Edwards sign bit put in the top bit of S.
    libsignal = bytearray(xeddsa.ed25519_priv_sign(private, message))
    libsignal[63] |= xeddsa.priv_to_ed25519_pub(private)[31] & 0x80
    out["signed"].append([xeddsa.priv_to_curve25519_pub(private).hex(),
                          specification.hex(), bytes(libsignal).hex()])
for private, public in job["agree"]:
    out["agreed"].append(xeddsa.x25519(bytes.fromhex(private), bytes.fromhex(public)).hex())
json.dump(out, sys.stdout)
`;

interface PythonJob {
  verify: [string, string, string][];
  sign: [string, string][];
  agree: [string, string][];
}
interface PythonResult {
  verified: boolean[];
  signed: [string, string, string][];
  agreed: string[];
}

/** Debian installs python3-xeddsa for its own python3; a python3 earlier on PATH may lack it. */
function findPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import xeddsa'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}
const python = findPython();

function runPython(job: PythonJob): PythonResult {
  assert.ok(python);
  const result = spawnSync(python, ['-c', PYTHON_SCRIPT], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as PythonResult;
}

const ROUNDS = 200;

test(
  'python3-xeddsa verifies Hush signatures and Hush verifies python3-xeddsa signatures',
  { skip: python ? false : 'python3-xeddsa is not installed (apt-get install python3-xeddsa)' },
  async () => {
    const backend = (await backends)[1]?.[1];
    assert.ok(backend);
    const cases = await Promise.all(
      Array.from({ length: ROUNDS }, async (_, i) => {
        const { privateKey, publicKey } = await backend.keyPair(random(32));
        const message = random(i % 97);
        return { privateKey, publicKey, message, signature: signXeddsa(privateKey, message) };
      }),
    );
    // Each Hush signature, then the same one with one bit flipped (python must refuse it).
    const verify: [string, string, string][] = cases.flatMap(
      ({ publicKey, message, signature }, i) => {
        const tampered = signature.slice();
        tampered[i % 64] = (tampered[i % 64] ?? 0) ^ (1 << (i % 7));
        return [
          [toHex(publicKey), toHex(message), toHex(signature)],
          [toHex(publicKey), toHex(message), toHex(tampered)],
        ];
      },
    );
    const peers = await Promise.all(cases.map(() => backend.keyPair(random(32))));
    const result = runPython({
      verify,
      sign: cases.map(({ privateKey, message }) => [toHex(privateKey), toHex(message)]),
      agree: cases.map(({ privateKey }, i) => [
        toHex(privateKey),
        toHex(peers[i]?.publicKey ?? new Uint8Array(0)),
      ]),
    });
    assert.deepEqual(
      result.verified,
      cases.flatMap(() => [true, false]),
    );

    const all = await verifiers();
    for (const [i, [publicKey, ...signatures]] of result.signed.entries()) {
      const item = cases[i];
      assert.ok(item);
      // Same key pair on both sides: Hush's clamped private key gives python's public key.
      assert.equal(publicKey, toHex(item.publicKey));
      const tampered = item.message.length > 0 ? item.message.slice() : new Uint8Array([0]);
      tampered[0] = (tampered[0] ?? 0) ^ 1;
      for (const [name, verify] of all) {
        for (const signature of signatures) {
          const sig = hex(signature);
          assert.equal(await verify(item.publicKey, item.message, sig), true, `${name} #${i}`);
          assert.equal(await verify(item.publicKey, tampered, sig), false, `${name} #${i}`);
        }
      }
      // And X25519: the same shared secret from python's and Hush's agreement.
      const peer = peers[i];
      assert.ok(peer);
      assert.equal(result.agreed[i], toHex(await backend.agree(item.privateKey, peer.publicKey)));
    }
  },
);

// ---- Signal's own library (libsignal-client: Rust, curve25519-dalek; a devDependency) ----

test('libsignal-client verifies Hush signatures and Hush verifies libsignal-client signatures', async () => {
  const { PrivateKey, PublicKey } = await import('@signalapp/libsignal-client');
  const all = await verifiers();
  for (let i = 0; i < 50; i++) {
    const theirs = PrivateKey.generate();
    const privateKey = theirs.serialize();
    const serializedPublic = theirs.getPublicKey().serialize(); // 0x05 ‖ u
    const publicKey = serializedPublic.subarray(1);
    const message = random(1 + i);
    // Same key pair on both sides.
    assert.deepEqual((await nobleKeyPair(privateKey)).publicKey, publicKey);
    const signature = theirs.sign(message);
    for (const [name, verify] of all) {
      assert.equal(await verify(publicKey, message, signature), true, `${name} #${i}`);
      const tampered = signature.slice();
      tampered[i % 64] = (tampered[i % 64] ?? 0) ^ 0x10;
      assert.equal(await verify(publicKey, message, tampered), false, `${name} #${i}`);
    }
    const ours = signXeddsa(clampX25519(privateKey), message);
    const key = PublicKey.deserialize(serializedPublic);
    assert.equal(key.verify(message, ours.slice()), true, `libsignal-client #${i}`);
    const flipped = ours.slice();
    flipped[(i * 7) % 64] = (flipped[(i * 7) % 64] ?? 0) ^ 0x01;
    assert.equal(key.verify(message, flipped), false, `libsignal-client #${i}`);
  }
});

// ---- libsignal's published vector (Curve25519Test.testSignature) ----

const LIBSIGNAL = {
  identityPrivate: hex('c097248412e58bf05df487968205132794178e367637f5818f81e0e6ce73e865'),
  identityPublic: hex('ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64'),
  // The message is the serialized ephemeral public key, 0x05 type byte included.
  message: hex('05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a'),
  signature: hex(
    '5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfbede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88',
  ),
};

test("libsignal's signature vector verifies, and no single flipped bit does", async () => {
  for (const [, backend] of await backends) {
    const { publicKey } = await backend.keyPair(LIBSIGNAL.identityPrivate);
    assert.deepEqual(publicKey, LIBSIGNAL.identityPublic);
  }
  for (const [name, verify] of await verifiers()) {
    const { identityPublic, message, signature } = LIBSIGNAL;
    assert.equal(await verify(identityPublic, message, signature), true, name);
    for (let bit = 0; bit < 512; bit++) {
      const flipped = signature.slice();
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      assert.equal(await verify(identityPublic, message, flipped), false, `${name} bit ${bit}`);
    }
  }
  // Hush signs the vector's message with the vector's key into a signature the verifiers accept.
  const own = signXeddsa(clampX25519(LIBSIGNAL.identityPrivate), LIBSIGNAL.message);
  assert.equal(verifyXeddsa(LIBSIGNAL.identityPublic, LIBSIGNAL.message, own), true);
});

// ---- refusals: each case passes the equation, only its check stops it ----

const message = new TextEncoder().encode('signed prekey');
// Private scalar 1: its public key is the base point, u = 9 < 19, so u + p still fits in 255 bits.
const ONE = le(1n);
const BASE_U = le(9n);

test('a non-canonical public key (u >= p, or the top bit set) is refused', async () => {
  const signature = signXeddsa(ONE, message);
  for (const [name, verify] of await verifiers())
    assert.equal(await verify(BASE_U, message, signature), true, `${name}: canonical u = 9`);
  for (const key of [le(9n + P), le(9n | (1n << 255n))]) {
    assert.deepEqual(checkXeddsaSignature(key, signature), {
      ok: false,
      refusal: 'NonCanonicalKey',
    });
    for (const [name, verify] of await verifiers())
      assert.equal(await verify(key, message, signature), false, name);
  }
});

/** A message whose h = SHA-512(R‖A‖M) mod L is a multiple of `order`, so [h]A = 0 for A of that order. */
function messageKilling(r: Uint8Array, edPublicKey: Uint8Array, order: bigint): Uint8Array {
  for (let i = 0; ; i++) {
    const candidate = new TextEncoder().encode(`message ${i}`);
    const h = Fn.create(bytesToNumberLE(sha512(concatBytes(r, edPublicKey, candidate))));
    if (h % order === 0n) return candidate;
  }
}

test('a public key of small order is refused', async () => {
  // u = 0 (order 2), u = 1 (order 4) and the two u of order 8 (RFC 7748 and libsodium's blocklist).
  const smallOrder: [bigint, bigint][] = [
    [0n, 2n],
    [1n, 4n],
    [325606250916557431795983626356110631294008115727848805560023387167927233504n, 8n],
    [39382357235489614581723060781553021112529911719440698176882885853963445705823n, 8n],
  ];
  const r = 1234567n;
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  for (const [u, order] of smallOrder) {
    const key = le(u);
    const y = Fp.mul(Fp.sub(u, 1n), Fp.inv(Fp.add(u, 1n)));
    const edPublicKey = le(y);
    // S = r and [h]A = 0: R = [S]B − [h]A holds for a message chosen so that order divides h.
    const signed = messageKilling(R, edPublicKey, order);
    const signature = concatBytes(R, le(r));
    assert.equal(equationAlone(edPublicKey, signature, signed), true, `equation, u = ${u}`);
    assert.deepEqual(checkXeddsaSignature(key, signature), { ok: false, refusal: 'SmallOrderKey' });
    for (const [name, verify] of await verifiers())
      assert.equal(await verify(key, signed, signature), false, `${name}, u = ${u}`);
  }
});

test('S >= L is refused (S + L would verify wherever S does)', async () => {
  const { privateKey, publicKey } = await nobleKeyPair();
  const signature = signXeddsa(privateKey, message);
  const signBit = (signature[63] ?? 0) & 0x80;
  const s = bytesToNumberLE(signature.subarray(32)) & ((1n << 255n) - 1n);
  const malleated = concatBytes(signature.subarray(0, 32), le(s + L));
  malleated[63] = (malleated[63] ?? 0) | signBit;
  const check = checkXeddsaSignature(publicKey, signature);
  assert.ok(check.ok);
  const plain = malleated.slice();
  plain[63] = (plain[63] ?? 0) & 0x7f;
  assert.equal(equationAlone(check.checked.edPublicKey, plain, message), true);
  assert.deepEqual(checkXeddsaSignature(publicKey, malleated), {
    ok: false,
    refusal: 'NonCanonicalS',
  });
  for (const [name, verify] of await verifiers()) {
    assert.equal(await verify(publicKey, message, signature), true, name);
    assert.equal(await verify(publicKey, message, malleated), false, name);
  }
});

test('an R of small order, or not canonically encoded, is refused', async () => {
  const { privateKey, publicKey } = await nobleKeyPair();
  // Nonce 0: R is the identity and S = h·a; the equation holds.
  const signature = signXeddsa(privateKey, message, 0n);
  const check = checkXeddsaSignature(publicKey, signature);
  assert.ok(!check.ok);
  assert.equal(check.refusal, 'SmallOrderR');
  const plain = signature.slice();
  plain[63] = (plain[63] ?? 0) & 0x7f;
  const edPublicKey = checkXeddsaSignature(publicKey, signXeddsa(privateKey, message));
  assert.ok(edPublicKey.ok);
  assert.equal(equationAlone(edPublicKey.checked.edPublicKey, plain, message), true);
  for (const [name, verify] of await verifiers())
    assert.equal(await verify(publicKey, message, signature), false, name);
  // The identity again, written as y = 1 + p: refused for its encoding before its order is looked at.
  const nonCanonical = concatBytes(le(1n + P), signature.subarray(32));
  assert.deepEqual(checkXeddsaSignature(publicKey, nonCanonical), {
    ok: false,
    refusal: 'NonCanonicalR',
  });
});

test('Ed25519 (OMEMO 2 identity keys): non-canonical and small-order keys, S >= L refused', () => {
  const seed = random(32);
  const edPublicKey = ed25519.getPublicKey(seed);
  const signature = ed25519.sign(message, seed);
  assert.equal(verifyEd25519(edPublicKey, message, signature), true);
  const s = bytesToNumberLE(signature.subarray(32));
  const malleated = concatBytes(signature.subarray(0, 32), le(s + L));
  assert.equal(equationAlone(edPublicKey, malleated, message), true);
  assert.deepEqual(checkEd25519Signature(edPublicKey, malleated), {
    ok: false,
    refusal: 'NonCanonicalS',
  });
  assert.equal(verifyEd25519(edPublicKey, message, malleated), false);
  // The identity as a public key, canonical (y = 1) and not (y = 1 + p).
  assert.deepEqual(checkEd25519Signature(le(1n), signature), {
    ok: false,
    refusal: 'SmallOrderKey',
  });
  assert.deepEqual(checkEd25519Signature(le(1n + P), signature), {
    ok: false,
    refusal: 'NonCanonicalKey',
  });
});

test('u = −1 and points on the twist are refused; X25519 with a small-order key throws', async () => {
  const signature = signXeddsa(ONE, message);
  assert.deepEqual(checkXeddsaSignature(le(P - 1n), signature), {
    ok: false,
    refusal: 'NotOnCurve',
  });
  // u = 2 is on the twist (u³ + 486662u² + u is not a square mod p): no Edwards point.
  assert.deepEqual(checkXeddsaSignature(le(2n), signature), { ok: false, refusal: 'NotOnCurve' });
  for (const [name, backend] of await backends) {
    const { privateKey } = await backend.keyPair(random(32));
    for (const u of [0n, 1n])
      await assert.rejects(backend.agree(privateKey, le(u)), /small-order/, `${name} u = ${u}`);
  }
});

test('WebCrypto and noble backends agree on key pairs, agreements and verification', async () => {
  const [[, noble], [, web]] = (await backends) as [[string, CurveBackend], [string, CurveBackend]];
  assert.deepEqual(web.support, { x25519: true, ed25519: true }, 'Node 22 has both');
  for (let i = 0; i < 20; i++) {
    const seed = random(32);
    const a = await noble.keyPair(seed);
    const b = await web.keyPair(seed);
    assert.deepEqual(a, b);
    const peer = await noble.keyPair(random(32));
    assert.deepEqual(
      await noble.agree(a.privateKey, peer.publicKey),
      await web.agree(b.privateKey, peer.publicKey),
    );
  }
});

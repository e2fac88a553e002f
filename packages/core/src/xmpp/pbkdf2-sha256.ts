// PBKDF2-HMAC-SHA-256 (RFC 8018) in plain JavaScript, for platforms without WebCrypto: React Native's
// Hermes, which interprets bytecode with no JIT. SCRAM's ~10,000 iterations are two SHA-256
// compressions each, of blocks whose shape never changes (the HMAC's inner and outer hash of a
// 32-byte value). A general-purpose hash spends most of an interpreter's time around the compression
// (cloning the keyed HMAC, padding, bytes to words and back), so here the keyed inner and outer
// states are computed once and every iteration compresses 32-bit words in place, allocating nothing.
// Measured in bench/hermes.ts against noble's pbkdf2Async, which it replaces on that path.
/* eslint-disable @typescript-eslint/no-non-null-assertion -- fixed-length typed arrays indexed within
   their length in the hot loop; a `?? 0` per access would add to every step an interpreter runs. */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

// prettier-ignore
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// prettier-ignore
const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Iterations between two looks at the clock. */
const ITERATIONS_PER_CHECK = 100;
/** Milliseconds of work before yielding to the event loop, so a phone's touches are not held long. */
const SLICE_MS = 40;

/**
 * One SHA-256 compression: `out` = `state` compressed with the 16 words at the start of `w` (whose
 * 64 entries it uses as the message schedule). `out` may be `state`.
 */
function compress(state: Int32Array, w: Int32Array, out: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  out[0] = (state[0]! + a) | 0;
  out[1] = (state[1]! + b) | 0;
  out[2] = (state[2]! + c) | 0;
  out[3] = (state[3]! + d) | 0;
  out[4] = (state[4]! + e) | 0;
  out[5] = (state[5]! + f) | 0;
  out[6] = (state[6]! + g) | 0;
  out[7] = (state[7]! + h) | 0;
}

/** The state after compressing one 64-byte block of `key` XOR `pad` (an HMAC's keyed start). */
function keyedState(key: Uint8Array, pad: number): Int32Array {
  const w = new Int32Array(64);
  for (let i = 0; i < 16; i++) {
    let word = 0;
    for (let j = 0; j < 4; j++) word = (word << 8) | ((key[i * 4 + j] ?? 0) ^ pad);
    w[i] = word;
  }
  const state = new Int32Array(8);
  compress(IV, w, state);
  return state;
}

/** A block holding a 32-byte value after a 64-byte keyed block: the value, padding, length 768 bits. */
function digestBlock(): Int32Array {
  const w = new Int32Array(64);
  w[8] = 0x80000000 | 0;
  w[15] = (64 + 32) * 8;
  return w;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * PBKDF2-HMAC-SHA-256 of `password` with `salt`, `iterations` rounds and 32 bytes out (one block:
 * SCRAM-SHA-256's SaltedPassword). Yields to the event loop after every ~40 ms of work.
 */
export async function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError('PBKDF2 needs at least one iteration');
  }
  const key = password.length > 64 ? sha256(password) : password;
  const inner = keyedState(key, 0x36);
  const outer = keyedState(key, 0x5c);
  // U1 = HMAC(P, S || INT(1)), through the general HMAC: its input has any length.
  const first = new Uint8Array(salt.length + 4);
  first.set(salt);
  first[salt.length + 3] = 1;
  const u1 = hmac(sha256, password, first);
  const innerBlock = digestBlock();
  const outerBlock = digestBlock();
  const result = new Int32Array(8);
  for (let i = 0; i < 8; i++) {
    const word =
      (u1[i * 4]! << 24) | (u1[i * 4 + 1]! << 16) | (u1[i * 4 + 2]! << 8) | u1[i * 4 + 3]!;
    innerBlock[i] = word;
    result[i] = word;
  }
  const innerHash = new Int32Array(8);
  let sliceStart = Date.now();
  for (let done = 1; done < iterations;) {
    const checkEnd = Math.min(iterations, done + ITERATIONS_PER_CHECK);
    for (; done < checkEnd; done++) {
      // U(n) = HMAC(P, U(n-1)): the inner hash of U(n-1), then the outer hash of that.
      compress(inner, innerBlock, innerHash);
      for (let i = 0; i < 8; i++) outerBlock[i] = innerHash[i]!;
      compress(outer, outerBlock, innerBlock);
      for (let i = 0; i < 8; i++) result[i] = result[i]! ^ innerBlock[i]!;
    }
    if (done < iterations && Date.now() - sliceStart >= SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = Date.now();
    }
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = result[i]!;
    out[i * 4] = word >>> 24;
    out[i * 4 + 1] = (word >>> 16) & 0xff;
    out[i * 4 + 2] = (word >>> 8) & 0xff;
    out[i * 4 + 3] = word & 0xff;
  }
  return out;
}

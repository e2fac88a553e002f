// Files' AES-GCM (XEP-0454) on the platform's own implementation through expo-crypto: CryptoKit on
// iOS, javax.crypto on Android. In pure JavaScript a 10 MB file takes tens of seconds in Hermes
// (doc/benchmarks.md); natively it is a fraction of a second. Core routes files here only where
// there is no WebCrypto, and only for 12-byte IVs.
import * as ExpoCrypto from 'expo-crypto';
import type { NativeAesGcm } from '@hush/core';

/**
 * The part of expo-crypto's AES API used here, typed by hand: its declarations reach the classes
 * through expo's NativeModule types, which do not carry the static members to TypeScript.
 */
interface ExpoAes {
  AESEncryptionKey: { import(bytes: Uint8Array): Promise<unknown> };
  AESSealedData: {
    fromParts(iv: Uint8Array, ciphertextWithTag: Uint8Array, tagLength: number): unknown;
  };
  aesEncryptAsync(
    plaintext: Uint8Array,
    key: unknown,
    options: { nonce: { bytes: Uint8Array }; tagLength: 16 },
  ): Promise<{ ciphertext(options: { includeTag: boolean }): Promise<Uint8Array> }>;
  aesDecryptAsync(sealed: unknown, key: unknown): Promise<Uint8Array>;
}

const aes = ExpoCrypto as unknown as ExpoAes;
const TAG_BYTES = 16;

export const expoAesGcm: NativeAesGcm = {
  async encrypt(key, iv, plaintext) {
    const sealed = await aes.aesEncryptAsync(plaintext, await aes.AESEncryptionKey.import(key), {
      nonce: { bytes: iv },
      tagLength: TAG_BYTES,
    });
    return sealed.ciphertext({ includeTag: true });
  },
  async decrypt(key, iv, ciphertextWithTag) {
    const sealed = aes.AESSealedData.fromParts(iv, ciphertextWithTag, TAG_BYTES);
    return aes.aesDecryptAsync(sealed, await aes.AESEncryptionKey.import(key));
  },
};

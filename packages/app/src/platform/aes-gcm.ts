// Files' AES-GCM (XEP-0454) on the platform's own implementation through expo-crypto: CryptoKit on
// iOS, javax.crypto on Android. In pure JavaScript a 10 MB file takes tens of seconds in Hermes
// (doc/benchmarks.md); natively it is a fraction of a second. Core routes files here only where
// there is no WebCrypto, and only for 12-byte IVs.
import { AESEncryptionKey, AESSealedData, aesDecryptAsync, aesEncryptAsync } from 'expo-crypto';
import type { NativeAesGcm } from '@hush/core';

const TAG_BYTES = 16;

export const expoAesGcm: NativeAesGcm = {
  async encrypt(key, iv, plaintext) {
    const sealed = await aesEncryptAsync(plaintext, await AESEncryptionKey.import(key), {
      nonce: { bytes: iv },
      tagLength: TAG_BYTES,
    });
    return sealed.ciphertext({ includeTag: true });
  },
  async decrypt(key, iv, ciphertextWithTag) {
    const sealed = AESSealedData.fromParts(iv, ciphertextWithTag, TAG_BYTES);
    return aesDecryptAsync(sealed, await AESEncryptionKey.import(key));
  },
};

// React Native has no WebCrypto: core's SCRAM nonces, message ids and (later) OMEMO keys need
// crypto.getRandomValues and crypto.randomUUID, here from the OS CSPRNG through expo-crypto.
import { getRandomValues, randomUUID } from 'expo-crypto';

type CryptoLike = { getRandomValues?: unknown; randomUUID?: unknown };
const holder = globalThis as { crypto?: CryptoLike };
const crypto: CryptoLike = holder.crypto ?? {};
crypto.getRandomValues ??= getRandomValues;
crypto.randomUUID ??= randomUUID;
holder.crypto = crypto;

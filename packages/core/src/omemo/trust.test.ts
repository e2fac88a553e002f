// The trust rules every automatic device write goes through (trust.ts), and the identity keys
// libsignal reports (signal-store.ts) written under them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStorage } from '../storage/memory.ts';
import type { OmemoDevice, OmemoTrust } from '../storage/types.ts';
import { toArrayBuffer } from './bytes.ts';
import { SignalStore } from './signal-store.ts';
import { mayEncryptFor, ruledStore, senderWarning } from './trust.ts';

const ACCOUNT = 'amy@localhost';
const BEN = 'ben@localhost';
const key = (byte: number) => new Uint8Array(33).fill(byte).fill(5, 0, 1);

function device(deviceId: number, trust: OmemoTrust, identityKey?: Uint8Array): OmemoDevice {
  return {
    jid: BEN,
    deviceId,
    trust,
    active: true,
    firstSeen: 0,
    lastSeen: 0,
    ...(identityKey ? { identityKey } : {}),
  };
}

async function setup(...known: OmemoDevice[]) {
  const plain = createMemoryStorage().omemo;
  for (const d of known) await plain.putDevice(ACCOUNT, d);
  const ruled = ruledStore(plain);
  const trustOf = async (deviceId: number) =>
    (await plain.getDevice(ACCOUNT, BEN, deviceId))?.trust;
  return { plain, ruled, trustOf };
}

test('before any verification a new device is trusted blindly; after one, it waits', async () => {
  const before = await setup(device(1, 'blind', key(1)));
  await before.ruled.putDevice(ACCOUNT, device(2, 'blind'));
  assert.equal(await before.trustOf(2), 'blind');

  const after = await setup(device(1, 'verified', key(1)));
  await after.ruled.putDevice(ACCOUNT, device(2, 'blind'));
  await after.ruled.putDevice(ACCOUNT, device(3, 'blind', key(3)));
  assert.equal(await after.trustOf(2), 'untrusted');
  assert.equal(await after.trustOf(3), 'untrusted');
});

test('a device listed blindly whose key first arrives after a verification waits too', async () => {
  const { ruled, trustOf } = await setup(device(1, 'verified', key(1)), device(2, 'blind'));
  await ruled.putDevice(ACCOUNT, device(2, 'blind', key(2)));
  assert.equal(await trustOf(2), 'untrusted');
});

test('automatic writes never raise trust; a changed key is undecided, a refused device stays refused', async () => {
  const { ruled, trustOf } = await setup(
    device(1, 'verified', key(1)),
    device(2, 'untrusted', key(2)),
    device(3, 'distrusted', key(3)),
  );
  await ruled.putDevice(ACCOUNT, device(2, 'blind', key(2)));
  await ruled.putDevice(ACCOUNT, device(3, 'verified', key(3)));
  assert.equal(await trustOf(2), 'untrusted');
  assert.equal(await trustOf(3), 'distrusted');
  await ruled.putDevice(ACCOUNT, device(1, 'verified', key(9)));
  assert.equal(await trustOf(1), 'untrusted');
  // Activity and keys are still recorded.
  await ruled.putDevice(ACCOUNT, { ...device(3, 'distrusted', key(3)), lastSeen: 42 });
  assert.equal((await ruled.getDevice(ACCOUNT, BEN, 3))?.lastSeen, 42);
});

test("libsignal's identity reports: a new device after verification waits, and a refused device's new key keeps it refused", async () => {
  const { ruled, trustOf } = await setup(
    device(1, 'verified', key(1)),
    device(3, 'distrusted', key(3)),
  );
  const signal = new SignalStore(
    ruled,
    ACCOUNT,
    () => 1,
    () => undefined,
  );
  assert.equal(await signal.saveIdentity(`${BEN}.2`, toArrayBuffer(key(2))), false);
  assert.equal(await trustOf(2), 'untrusted');
  assert.equal(await signal.saveIdentity(`${BEN}.3`, toArrayBuffer(key(4))), true);
  assert.equal(await trustOf(3), 'distrusted');
});

test('keys go only to listed, trusted, recently seen devices; the others are marked as senders', () => {
  const now = 1000;
  assert.equal(mayEncryptFor(device(1, 'verified'), now, 5000), true);
  assert.equal(mayEncryptFor(device(1, 'blind'), now, 5000), true);
  assert.equal(mayEncryptFor(device(1, 'untrusted'), now, 5000), false);
  assert.equal(mayEncryptFor(device(1, 'distrusted'), now, 5000), false);
  assert.equal(mayEncryptFor({ ...device(1, 'verified'), active: false }, now, 5000), false);
  assert.equal(mayEncryptFor(device(1, 'verified'), now, 500), false);
  assert.equal(senderWarning(device(1, 'verified'), 1), undefined);
  assert.equal(senderWarning(device(1, 'blind'), 1), undefined);
  for (const d of [device(1, 'untrusted'), device(1, 'distrusted'), undefined]) {
    assert.equal(senderWarning(d, 1)?.code, 'UntrustedSender');
  }
});

// Core's pure parts in the Hermes VM, bundled as the phone apps bundle them: an OMEMO session with
// 1,000 messages each way plus messages taking turns, a SCRAM-SHA-256 login proof (RFC 7677's example
// and one at Prosody's iteration count, then from the kept keys), XEP-0454 AES-GCM of a 10 MB file on
// the pure-JavaScript path, and a 5-minute voice message remuxed to CAF. Every step's output must be
// byte for byte what Node produces from the same bundle. Times are printed, never asserted: they go
// to doc/benchmarks.md through `npm run bench`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkload, runInHermes, runInNode, standardInput } from '../hermes/run.ts';
import type { WorkloadResult } from '../hermes/workload.ts';

const STEPS = [
  'omemoSetup',
  'omemoEncrypt',
  'omemoDecrypt',
  'omemoTurns',
  'scramProof',
  'scramFromKeys',
  'pbkdf2Noble',
  'fileEncrypt',
  'fileDecrypt',
  'cafRemux',
] as const satisfies readonly (keyof WorkloadResult)[];

test('core runs in Hermes and gives the same bytes as in Node', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hush-hermes-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const input = await standardInput(dir);
  const bundle = await bundleWorkload(dir);
  const hermes = await runInHermes(bundle, input);
  const node = await runInNode(bundle, input);
  assert.equal(hermes.engine, 'hermes', 'the bytecode ran in Hermes');
  assert.equal(node.engine, 'node');
  assert.equal(hermes.scramRfcVector, true, "Hermes computes RFC 7677's SCRAM-SHA-256 example");
  assert.equal(node.scramRfcVector, true);
  for (const step of STEPS) {
    assert.equal(hermes[step].digest, node[step].digest, `${step}: Hermes and Node differ`);
    t.diagnostic(`${step}: Hermes ${hermes[step].ms} ms, Node ${node[step].ms} ms`);
  }
  assert.notEqual(hermes.fileEncrypt.digest, hermes.fileDecrypt.digest, 'the file was encrypted');
});

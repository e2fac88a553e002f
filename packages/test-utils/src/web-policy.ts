// The web app's Content-Security-Policy as the server sends it (Prosody's mod_hush_web holds it),
// for the browser tests to serve the app under the very same policy and for the Caddy test to
// check that compose sends it too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

/**
 * The policy mod_hush_web sends. `connectSources` are the origins its hush_web_connect_sources
 * option names (the upload service's in S3 mode): mod_hush_web adds them to connect-src, as here.
 */
export function webContentSecurityPolicy(connectSources: readonly string[] = []): string {
  const module = readFileSync(join(repoRoot, 'server/prosody/modules/mod_hush_web.lua'), 'utf8');
  const policy = /^local content_security_policy = "([^"]+)";$/m.exec(module)?.[1];
  if (!policy) throw new Error('mod_hush_web.lua names no content_security_policy');
  const extra = [...new Set(connectSources)];
  if (extra.length === 0) return policy;
  return policy.replace(/connect-src ([^;]*)/, (_, sources: string) =>
    ['connect-src', sources, ...extra].join(' '),
  );
}

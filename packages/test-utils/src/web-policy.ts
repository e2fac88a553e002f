// The web app's Content-Security-Policy as the server sends it (Prosody's mod_hush_web holds it),
// for the browser tests to serve the app under the very same policy and for the Caddy test to
// check that compose sends it too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export function webContentSecurityPolicy(): string {
  const module = readFileSync(join(repoRoot, 'server/prosody/modules/mod_hush_web.lua'), 'utf8');
  const policy = /^local content_security_policy = "([^"]+)";$/m.exec(module)?.[1];
  if (!policy) throw new Error('mod_hush_web.lua names no content_security_policy');
  return policy;
}

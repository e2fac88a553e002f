// The Prosody template's defaults, read from server/prosody/render.sh, so benchmarks measure what
// the template ships rather than a copy of it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function templateDefault(name: string): string {
  const render = readFileSync(
    fileURLToPath(new URL('../server/prosody/render.sh', import.meta.url)),
    'utf8',
  );
  const match = new RegExp(`\\[${name}\\]=(\\S+)`).exec(render);
  if (!match?.[1]) throw new Error(`render.sh has no default for ${name}`);
  return match[1];
}

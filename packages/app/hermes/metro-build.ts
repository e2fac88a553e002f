// `node hermes/metro-build.ts OUT`: bundles hermes/workload.ts with the app's Metro configuration for
// Android (release: no dev code, not minified so that errors name their functions).
import Metro from 'metro';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = process.argv[2];
if (!out) throw new Error('usage: node hermes/metro-build.ts OUT');
const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const config = await Metro.loadConfig({ cwd: appDir, config: join(appDir, 'metro.config.mjs') });
await Metro.runBuild(config, {
  entry: join(appDir, 'hermes', 'workload.ts'),
  out,
  platform: 'android',
  dev: false,
  minify: false,
  sourceMap: false,
});

// The workspace's packages as they ship: every entry point a package.json exports exists, and no
// shipped package depends on test support (test-utils, a test runner, fast-check) outside its
// devDependencies, nor imports one from its source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir).filter((name) =>
  existsSync(join(packagesDir, name, 'package.json')),
);
const TEST_SUPPORT = ['@hush/test-utils', 'fast-check', 'jest', '@testing-library/react-native'];

function manifest(name: string) {
  return JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as {
    exports?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
}

/** Source files of a package that are not tests, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|tsx)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

test('every exported entry point exists', () => {
  for (const name of packages) {
    for (const [entry, file] of Object.entries(manifest(name).exports ?? {}))
      assert.ok(existsSync(join(packagesDir, name, file)), `${name} exports ${entry} as ${file}`);
  }
});

test('nothing shipped depends on or imports test support', () => {
  for (const name of packages.filter((n) => n !== 'test-utils')) {
    const dependencies = Object.keys(manifest(name).dependencies ?? {});
    assert.deepEqual(
      dependencies.filter((d) => TEST_SUPPORT.includes(d)),
      [],
      `${name}'s dependencies`,
    );
    const src = join(packagesDir, name, 'src');
    if (!existsSync(src)) continue;
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(
        text,
        /from '(node:test|fast-check|@hush\/test-utils[^']*|@jest\/globals)'/,
        `${file} imports test support`,
      );
    }
  }
});

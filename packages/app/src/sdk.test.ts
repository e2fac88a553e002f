// The app ships one released Expo SDK: every package that the installed `expo` bundles a version of
// (its bundledNativeModules.json: Expo modules, react, react-native, react-dom, react-native-web,
// jest-expo, ...) is pinned in package.json to a version inside that SDK's range and installed at
// exactly that version, as `npx expo install --check` would require. Native modules from another
// SDK would be compiled against an expo-modules-core they were never built for. Packages that must
// move with react and react-native (their test renderers, types and Jest preset) follow them, and
// the lockfile holds one copy of each native package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
const root = join(app, '../..');

type Manifest = {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** The package.json of `name` as Node would resolve it from the app's folder. */
function installed(name: string): Manifest {
  for (let dir = app; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return readJson<Manifest>(file);
    if (dirname(dir) === dir) throw new Error(`${name} is not installed`);
  }
}

const semver = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

/**
 * Whether `version` lies in `range`, in the forms bundledNativeModules.json uses (exact, ~, ^). A
 * prerelease matches only itself.
 */
function satisfies(version: string, range: string): boolean {
  const base = range.replace(/^[~^]/, '');
  const v = semver.exec(version);
  const r = semver.exec(base);
  if (!v || !r) throw new Error(`unsupported version ${version} or range ${range}`);
  if (v[4] !== undefined || r[4] !== undefined) return version === range;
  const [vMajor, vMinor, vPatch] = v.slice(1, 4).map(Number) as [number, number, number];
  const [rMajor, rMinor, rPatch] = r.slice(1, 4).map(Number) as [number, number, number];
  const cmp = vMajor - rMajor || vMinor - rMinor || vPatch - rPatch;
  if (range.startsWith('~')) return cmp >= 0 && vMajor === rMajor && vMinor === rMinor;
  if (range.startsWith('^')) {
    if (cmp < 0 || vMajor !== rMajor) return false;
    return rMajor > 0 || (vMinor === rMinor && (rMinor > 0 || vPatch === rPatch));
  }
  return cmp === 0;
}

const pkg = readJson<Manifest>(join(app, 'package.json'));
const declared = { ...pkg.dependencies, ...pkg.devDependencies };
const expo = installed('expo');
const bundled = readJson<Record<string, string>>(
  join(root, 'node_modules/expo/bundledNativeModules.json'),
);

test('the version matcher reads the ranges bundledNativeModules.json uses', () => {
  assert.ok(satisfies('57.0.6', '~57.0.5'));
  assert.ok(!satisfies('57.1.0', '~57.0.5'));
  assert.ok(!satisfies('57.0.4', '~57.0.5'));
  assert.ok(!satisfies('58.0.2', '~57.0.5'));
  assert.ok(satisfies('15.1.0', '^15.0.2'));
  assert.ok(!satisfies('16.0.0', '^15.0.2'));
  assert.ok(satisfies('0.86.3', '0.86.3'));
  assert.ok(!satisfies('0.88.1', '0.86.3'));
  assert.ok(!satisfies('58.0.0-preview.7', '~58.0.0'));
  assert.ok(!satisfies('0.88.0-rc.1', '0.88.0'));
  assert.ok(satisfies('0.88.0-rc.1', '0.88.0-rc.1'));
});

test('expo is a released SDK, pinned and installed at one exact version', () => {
  const spec = declared['expo'];
  assert.ok(spec, 'expo is a dependency');
  assert.match(spec, semver, 'expo is pinned to an exact version');
  assert.equal(
    semver.exec(spec)?.[4],
    undefined,
    `expo ${spec} is a prerelease, not a released SDK`,
  );
  assert.equal(expo.version, spec, 'the installed expo is the pinned one');
});

test("every package the installed expo bundles is at that SDK's version (expo install --check)", () => {
  const mismatches: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const range = bundled[name];
    if (range === undefined) continue;
    const version = installed(name).version;
    if (!semver.test(spec)) mismatches.push(`${name}: ${spec} is not an exact version`);
    else if (!satisfies(spec, range))
      mismatches.push(`${name}: ${spec}, expo ${expo.version} bundles ${range}`);
    if (version !== spec) mismatches.push(`${name}: ${version} installed, ${spec} in package.json`);
  }
  assert.deepEqual(mismatches, []);
});

test('react and react-native companions move with them: Jest preset, test renderers, types', () => {
  const react = installed('react').version;
  const reactNative = installed('react-native').version;
  assert.equal(declared['react'], react);
  assert.equal(declared['react-dom'], react, 'react-dom is the same release as react');
  assert.equal(
    declared['react-test-renderer'],
    react,
    'react-test-renderer is the same release as react',
  );
  assert.equal(
    declared['@react-native/jest-preset'],
    reactNative,
    'the Jest preset of the same react-native',
  );
  const major = (v: string) => v.split('.').slice(0, 2).join('.');
  assert.equal(
    major(installed('@types/react').version),
    major(react),
    '@types/react of the same minor release',
  );
  // @testing-library/react-native renders through test-renderer, whose react-reconciler is built for
  // one React minor release: another one installs a second React.
  const reconciler = installed('react-reconciler');
  const wanted = reconciler.peerDependencies?.['react'];
  assert.ok(
    wanted && satisfies(react, wanted),
    `react-reconciler ${reconciler.version} wants react ${wanted}`,
  );
});

test('the lockfile holds one copy of every native package and of react', () => {
  type Lock = { packages: Record<string, { version?: string; link?: boolean }> };
  const lock = readJson<Lock>(join(root, 'package-lock.json'));
  const native = new Set([
    'expo',
    'react',
    ...Object.keys(bundled),
    ...Object.keys(expo.dependencies ?? {}).filter((name) => name.startsWith('expo-')),
  ]);
  const copies = new Map<string, Set<string>>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf('node_modules/');
    if (at < 0 || entry.link || entry.version === undefined) continue;
    const name = path.slice(at + 'node_modules/'.length);
    if (!native.has(name)) continue;
    copies.set(name, (copies.get(name) ?? new Set()).add(entry.version));
  }
  const duplicated = [...copies].filter(([, versions]) => versions.size > 1);
  assert.deepEqual(
    duplicated.map(([name, versions]) => `${name}: ${[...versions].join(', ')}`),
    [],
  );
});

// The compose deployment (docker-compose.yml, Caddyfile, .env.example, compose/*.sh), checked
// without a Docker engine: compose resolves the file, the Prosody configuration the `config` service
// would write is rendered from the very arguments compose resolved and passes `prosodyctl check
// config`, the certificate hand-over script is run on a fake Caddy data folder, and Caddy validates
// the Caddyfile. Needs docker-compose (or the docker compose v2 plugin), prosody and caddy: Debian
// packages that .ci/run installs. A missing tool fails the test, saying what to install.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, startS3, until, webContentSecurityPolicy } from '@hush/test-utils';
import { slotToken } from '@hush/upload-service';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const composeFile = join(here, 'docker-compose.yml');
const envExample = join(here, '.env.example');

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  entrypoint?: string[];
  secrets?: ({ source?: string } | string)[];
  command?: string[];
  environment?: Record<string, string>;
  networks?: Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, { condition?: string }>;
  /** Short strings (compose 1.x) or long-form objects (v2). */
  volumes?: (string | { source?: string; target?: string; read_only?: boolean })[];
}
interface ComposeConfig {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string }>;
}

/** A throwaway directory, removed when the test ends. */
async function scratch(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hush-compose-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function installed(command: string, ...args: string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

/** `docker compose` (v2 plugin) when present, else docker-compose 1.x; fails the test if neither. */
async function composeCommand(): Promise<{ argv: string[]; v2: boolean }> {
  if (await installed('docker', 'compose', 'version'))
    return { argv: ['docker', 'compose'], v2: true };
  if (await installed('docker-compose', 'version')) return { argv: ['docker-compose'], v2: false };
  assert.fail(
    'Neither `docker compose` (v2 plugin) nor `docker-compose` is installed, so docker-compose.yml ' +
      'cannot be validated. Install one: apt-get install -y --no-install-recommends docker-compose (CI installs it).',
  );
}

/**
 * Runs `compose config` on docker-compose.yml with `env` as its .env and returns the resolved file.
 * Compose would prefer the caller's environment over the .env file: it gets none of it.
 */
async function composeConfig(dir: string, env: string): Promise<ComposeConfig> {
  const envFile = join(dir, '.env');
  await writeFile(envFile, env);
  const { argv, v2 } = await composeCommand();
  const [command = '', ...prefix] = argv;
  const args = [...prefix, '-f', composeFile, '--env-file', envFile, 'config'];
  const clean = { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } };
  if (v2) {
    const { stdout } = await run(command, [...args, '--format', 'json'], clean);
    return JSON.parse(stdout) as ComposeConfig;
  }
  // docker-compose 1.x prints YAML only; its own dependency python3-yaml turns it into JSON.
  const resolved = join(dir, 'resolved.yml');
  await writeFile(resolved, (await run(command, args, clean)).stdout);
  const toJson = 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)';
  const { stdout } = await run('/usr/bin/python3', ['-c', toJson, resolved]);
  return JSON.parse(stdout) as ComposeConfig;
}

function service(config: ComposeConfig, name: string): Service {
  const found = config.services[name];
  assert.ok(found, `docker-compose.yml has a ${name} service`);
  return found;
}

/** The render.sh arguments of the config service, as a name → value map. */
function renderArgs(config: ComposeConfig): Map<string, string> {
  const command = service(config, 'config').command ?? [];
  return new Map(
    command.map((arg) => [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]),
  );
}

/** A service's volumes as SOURCE:TARGET[:ro] strings, whichever form compose printed. */
function mounts(s: Service): string[] {
  return (s.volumes ?? []).map((v) =>
    typeof v === 'string' ? v : `${v.source ?? ''}:${v.target ?? ''}${v.read_only ? ':ro' : ''}`,
  );
}

/** .env.example with files on S3-compatible storage chosen, and its credentials file in `dir`. */
async function s3Env(dir: string): Promise<{ env: string; credentials: string; key: string }> {
  const credentials = join(dir, 's3-credentials');
  const key = 'secret-key-in-no-environment';
  await writeFile(
    credentials,
    `[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = ${key}\n`,
    { mode: 0o600 },
  );
  const settings = [
    'UPLOAD_STORAGE=s3',
    'HUSH_S3_BUCKET=hush-files',
    'HUSH_S3_ENDPOINT=https://s3.example.net',
    'HUSH_S3_REGION=eu-central-1',
    `HUSH_S3_CREDENTIALS=${credentials}`,
  ];
  return {
    env: `${await readFile(envExample, 'utf8')}\n${settings.join('\n')}\n`,
    credentials,
    key,
  };
}

/** Every route in Caddy's JSON whose matcher lists `path`, wherever it is nested. */
function routesFor(node: unknown, path: string): unknown[] {
  if (Array.isArray(node)) return node.flatMap((item) => routesFor(item, path));
  if (typeof node !== 'object' || node === null) return [];
  const route = node as { match?: { path?: string[] }[] };
  const own = route.match?.some((m) => m.path?.includes(path)) ? [node] : [];
  return [...own, ...Object.values(node).flatMap((value) => routesFor(value, path))];
}

test('compose resolves docker-compose.yml with .env.example: pinned images, the domain everywhere', async (t) => {
  const dir = await scratch(t);
  const config = await composeConfig(dir, await readFile(envExample, 'utf8'));
  const render = service(config, 'config');
  const prosody = service(config, 'prosody');
  const caddy = service(config, 'caddy');

  // Exact releases, never a moving tag. The config service runs the official image; prosody runs
  // it with mod_http_upload_external added (compose/prosody.Dockerfile builds on that image).
  assert.match(render.image ?? '', /^prosodyim\/prosody:13\.0\.\d+$/);
  assert.equal(prosody.build?.context, join(here, 'compose'));
  const dockerfile = await readFile(
    join(prosody.build?.context ?? '', prosody.build?.dockerfile ?? 'Dockerfile'),
    'utf8',
  );
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.equal(bases.at(-1), render.image, 'the prosody image is the official one, extended');
  assert.equal(prosody.image, `hush-prosody:${render.image?.split(':')[1] ?? ''}`);
  assert.match(caddy.image ?? '', /^caddy:\d+\.\d+\.\d+(-alpine)?$/);

  const args = renderArgs(config);
  assert.equal(args.get('DOMAIN'), 'chat.example.org');
  assert.equal(args.get('PUBLIC_URL'), 'https://chat.example.org/');
  assert.equal(caddy.environment?.DOMAIN, 'chat.example.org');
  // The wrapper copies the certificate exactly where the rendered config looks for it.
  for (const name of ['DOMAIN', 'CERT', 'KEY']) {
    assert.equal(prosody.environment?.[name], args.get(name), `prosody gets the same ${name}`);
  }
  // Prosody trusts forwarded addresses from Caddy's fixed address and nothing else.
  assert.match(args.get('TRUSTED_PROXIES') ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(args.get('TRUSTED_PROXIES'), caddy.networks?.hush?.ipv4_address);
  assert.equal(args.get('BEHIND_PROXY'), 'true');
  assert.equal(args.get('LOG_FILE'), 'console');
  assert.equal(prosody.depends_on?.config?.condition, 'service_completed_successfully');
  // The web service builds the app into a volume that Caddy serves read-only, once it is built.
  const web = service(config, 'web');
  assert.match(web.image ?? '', /^node:22[.-]/);
  const built = mounts(web).find((v) => /:\/web(:rw)?$/.test(v));
  assert.ok(built, 'the web service writes the web volume');
  const served = mounts(caddy).find((v) => v.includes(':/srv/web'));
  assert.equal(served, `${built.replace(/:\/web(:rw)?$/, '')}:/srv/web:ro`);
  assert.ok(
    mounts(web).includes(`${join(here, '../..')}:/hush/repo:ro`),
    'the web service reads this checkout, read-only',
  );
  assert.equal(caddy.depends_on?.web?.condition, 'service_completed_successfully');
  assert.equal(args.get('WEB_APP'), 'true');
  // The official image has no community modules: no SASL2, Bind 2 or FAST there.
  assert.equal(args.get('COMMUNITY_MODULES'), 'false');
  // Files on Prosody's disk unless .env says otherwise; nothing reads the credentials secret then.
  assert.equal(args.get('UPLOAD_STORAGE'), 'disk');
  assert.equal(config.secrets?.['s3-credentials']?.file, '/dev/null');
});

test('compose refuses to start without a DOMAIN, naming the setting', async (t) => {
  const dir = await scratch(t);
  const env = (await readFile(envExample, 'utf8')).replace(/^DOMAIN=.*$/m, '');
  await composeCommand(); // a missing tool fails here, with its own message
  await assert.rejects(composeConfig(dir, env), (error: Error & { stderr?: string }) => {
    assert.match(error.stderr ?? '', /Set DOMAIN in \.env/);
    return true;
  });
});

test('UPLOAD_STORAGE=s3: the upload service behind Caddy, its secret in a volume, the credentials a compose secret', async (t) => {
  const dir = await scratch(t);
  const { env, credentials, key } = await s3Env(dir);
  const config = await composeConfig(dir, env);
  const args = renderArgs(config);
  assert.equal(args.get('UPLOAD_STORAGE'), 's3');
  // The upload service is on the app's origin, behind Caddy: the app's policy ('self') covers it.
  assert.equal(args.get('UPLOAD_URL'), 'https://chat.example.org/upload/');
  const secretFile = args.get('UPLOAD_SECRET_FILE') ?? '';
  const secretDir = dirname(secretFile);

  const upload = service(config, 'upload');
  assert.equal(upload.image, service(config, 'push').image);
  assert.match(upload.image ?? '', /^node:22-bookworm-slim$/);
  assert.deepEqual(upload.entrypoint, [
    'bash',
    '/hush/repo/server/deploy/compose/upload-service.sh',
  ]);
  const environment = upload.environment ?? {};
  assert.equal(environment.UPLOAD_STORAGE, 's3');
  assert.equal(environment.HUSH_UPLOAD_LISTEN, '0.0.0.0:5282');
  assert.equal(environment.HUSH_UPLOAD_BASE_PATH, new URL(args.get('UPLOAD_URL') ?? '').pathname);
  assert.equal(environment.HUSH_UPLOAD_SECRET_FILE, secretFile);
  assert.equal(environment.HUSH_UPLOAD_LIMIT, args.get('UPLOAD_LIMIT'));
  assert.equal(environment.HUSH_UPLOAD_EXPIRY, args.get('UPLOAD_EXPIRY'));
  assert.equal(environment.HUSH_S3_BUCKET, 'hush-files');
  assert.equal(environment.HUSH_S3_ENDPOINT, 'https://s3.example.net');
  assert.equal(environment.HUSH_S3_REGION, 'eu-central-1');
  assert.equal(environment.HUSH_S3_CREDENTIALS_FILE, '/run/secrets/s3-credentials');
  // The credentials: this machine's file as a compose secret, in no environment or argument.
  assert.equal(config.secrets?.['s3-credentials']?.file, credentials);
  const secrets = (upload.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
  assert.deepEqual(secrets, ['s3-credentials']);
  assert.ok(!JSON.stringify(config.services).includes(key), 'the secret key is in no service');
  // The HMAC secret: made by the config service in a volume only it writes; Prosody and the upload
  // service read it, and they are the only others that mount it.
  const secretMount = (name: string) =>
    mounts(service(config, name)).find((m) => m.split(':')[1] === secretDir);
  assert.match(secretMount('config') ?? '', /^[^:]+:[^:]+(:rw)?$/, 'config writes the secret');
  assert.match(secretMount('prosody') ?? '', /:ro$/, 'prosody reads it');
  assert.match(secretMount('upload') ?? '', /:ro$/, 'the upload service reads it');
  for (const [name, other] of Object.entries(config.services)) {
    if (['config', 'prosody', 'upload'].includes(name)) continue;
    assert.ok(!mounts(other).some((m) => m.includes(`:${secretDir}`)), `${name} has no secret`);
  }
  assert.equal(upload.depends_on?.config?.condition, 'service_completed_successfully');
  assert.equal(upload.networks?.hush, null, 'on the compose network, no port on the host');
});

test("the config service in S3 mode makes the upload secret once and renders Prosody's slots for the upload service", async (t) => {
  assert.ok(
    await installed('prosodyctl', 'about'),
    'prosodyctl is missing: apt-get install -y prosody (CI installs it)',
  );
  const dir = await scratch(t);
  await chmod(dir, 0o755);
  const args = renderArgs(await composeConfig(dir, (await s3Env(dir)).env));
  const domain = args.get('DOMAIN') ?? '';
  const certs = join(dir, 'certs');
  await run(join(here, 'local-ca.sh'), [certs, domain]);
  await chmod(join(certs, `${domain}.key`), 0o644);
  args.set('CERT', join(certs, `${domain}.crt`));
  args.set('KEY', join(certs, `${domain}.key`));
  // The container's volume path, moved to the scratch dir.
  const secretFile = join(dir, 'upload-state/secret');
  args.set('UPLOAD_SECRET_FILE', secretFile);
  const configFile = join(dir, 'prosody.cfg.lua');
  const render = () =>
    run(
      'bash',
      [join(here, 'compose/render-config.sh'), ...[...args].map(([k, v]) => `${k}=${v}`)],
      {
        env: { ...process.env, HUSH_PROSODY_CONFIG: configFile },
      },
    );

  assert.match((await render()).stdout, /made the upload secret/);
  const secret = await readFile(secretFile, 'utf8');
  assert.match(secret, /^[0-9a-f]{64}\n$/);
  // Prosody (user prosody) and the upload service read it; the volume is mounted by those only.
  assert.equal((await stat(secretFile)).mode & 0o777, 0o644);
  assert.doesNotMatch((await render()).stdout, /made the upload secret/);
  assert.equal(await readFile(secretFile, 'utf8'), secret, 'a second run keeps the secret');

  const rendered = await readFile(configFile, 'utf8');
  assert.match(rendered, /^local upload_storage = "s3"$/m);
  assert.match(
    rendered,
    /http_upload_external_base_url = "https:\/\/chat\.example\.org\/upload\/"/,
  );
  assert.ok(rendered.includes(`FileLine("${secretFile}")`), 'the configuration names the file');
  assert.ok(!rendered.includes(secret.trim()), 'the configuration holds no secret');
  const { stdout, stderr } = await run('prosodyctl', ['--config', configFile, 'check', 'config']);
  assert.match(stdout, /All checks passed/);
  assert.doesNotMatch(stdout + stderr, /\berror\b/i);
});

test("compose's Prosody image adds mod_http_upload_external from the prosody-modules snapshot the tests run", async () => {
  const dockerfile = await readFile(join(here, 'compose/prosody.Dockerfile'), 'utf8');
  const pinned = /^ARG PROSODY_MODULES_VERSION=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
  assert.match(pinned, /^0\.0~hg\d{8}\.[0-9a-f]{12}\+dfsg-\S+$/);
  // The package here (Debian's, which the S3 tests load the module from): the same upstream snapshot.
  const { stdout: installedVersion } = await run('dpkg-query', [
    '-W',
    '-f=${Version}',
    'prosody-modules',
  ]);
  const upstream = (version: string) => version.replace(/-[^-]+$/, '');
  assert.equal(upstream(pinned), upstream(installedVersion.trim()));
  // The folder the image copies is where the package puts the module, and lands on Prosody's own
  // module path in the image (the image's Prosody is packaged like Debian's).
  const copy = /^COPY --from=\S+ \/tmp\/prosody-modules(\/\S+\/) (\/\S+\/)$/m.exec(dockerfile);
  assert.equal(copy?.[1], '/usr/lib/prosody/modules/mod_http_upload_external/');
  assert.equal(copy?.[2], copy?.[1]);
  const { stdout: files } = await run('dpkg', ['-L', 'prosody-modules']);
  assert.ok(files.split('\n').includes(`${copy?.[1] ?? ''}mod_http_upload_external.lua`));
});

test('the config service renders a Prosody configuration that prosodyctl accepts', async (t) => {
  assert.ok(
    await installed('prosodyctl', 'about'),
    'prosodyctl is missing: apt-get install -y prosody (CI installs it)',
  );
  const dir = await scratch(t);
  // prosodyctl run as root checks the files as the user prosody: let it in.
  await chmod(dir, 0o755);
  const args = renderArgs(await composeConfig(dir, await readFile(envExample, 'utf8')));
  const domain = args.get('DOMAIN') ?? '';

  // The only values changed are the certificate paths: the container's don't exist here.
  const certs = join(dir, 'certs');
  await run(join(here, 'local-ca.sh'), [certs, domain]);
  await chmod(join(certs, `${domain}.key`), 0o644); // a throwaway key; the prosody user reads it
  args.set('CERT', join(certs, `${domain}.crt`));
  args.set('KEY', join(certs, `${domain}.key`));

  const configFile = join(dir, 'prosody.cfg.lua');
  await run(
    'bash',
    [join(here, 'compose/render-config.sh'), ...[...args].map(([k, v]) => `${k}=${v}`)],
    {
      env: { ...process.env, HUSH_PROSODY_CONFIG: configFile },
    },
  );
  const rendered = await readFile(configFile, 'utf8');
  assert.match(rendered, /^local domain = "chat\.example\.org"$/m);
  assert.match(rendered, /^local behind_proxy = true\s/m);
  assert.match(rendered, /trusted_proxies = \{ "172\.29\.53\.10" \}/);
  assert.match(rendered, /^http_ports = \{ 5280 \}$/m);
  assert.match(rendered, /^https_ports = \{\s*\}$/m);

  const { stdout, stderr } = await run('prosodyctl', ['--config', configFile, 'check', 'config']);
  assert.match(stdout, /All checks passed/);
  // check config exits 0 even when a certificate does not load: it logs an error instead.
  assert.doesNotMatch(stdout + stderr, /\berror\b/i);
});

test("compose/prosody-start.sh installs Caddy's certificate for Prosody and notices a renewal", async (t) => {
  const dir = await scratch(t);
  const domain = 'chat.example.org';
  // Caddy's layout: certificates/<issuer>/<domain>/<domain>.crt and .key
  const caddy = join(dir, 'caddy/certificates');
  const issued = join(caddy, 'acme-v02.api.letsencrypt.org-directory', domain);
  await mkdir(issued, { recursive: true });
  const ca = join(dir, 'ca');
  await run(join(here, 'local-ca.sh'), [ca, domain]);
  const { stdout: group } = await run('id', ['-gn']);
  const env = {
    ...process.env,
    DOMAIN: 'Chat.Example.org', // Caddy's folders are in lower case, whatever .env says
    CERT: join(dir, 'prosody/certs', `${domain}.crt`),
    KEY: join(dir, 'prosody/certs', `${domain}.key`),
    CADDY_CERTIFICATES: caddy,
    CERT_GROUP: group.trim(),
  };
  const install = () =>
    run('bash', [join(here, 'compose/prosody-start.sh'), '--install-cert'], { env });

  // Before Caddy has a certificate there is nothing to start with.
  await assert.rejects(install(), (error: { code?: number }) => error.code === 1);

  for (const ext of ['crt', 'key']) {
    await copyFile(join(ca, `${domain}.${ext}`), join(issued, `${domain}.${ext}`));
  }
  assert.match((await install()).stderr, /installed/);
  assert.deepEqual(await readFile(env.CERT), await readFile(join(issued, `${domain}.crt`)));
  assert.deepEqual(await readFile(env.KEY), await readFile(join(issued, `${domain}.key`)));
  assert.equal((await stat(env.KEY)).mode & 0o777, 0o640, 'the key is readable by its group only');

  assert.equal((await install()).stderr, '', 'an unchanged certificate is left alone');
  // A renewal: Caddy writes a new pair in place.
  await rm(join(ca, `${domain}.crt`));
  await run(join(here, 'local-ca.sh'), [ca, domain]);
  for (const ext of ['crt', 'key']) {
    await copyFile(join(ca, `${domain}.${ext}`), join(issued, `${domain}.${ext}`));
  }
  assert.match((await install()).stderr, /installed/);
  assert.deepEqual(await readFile(env.CERT), await readFile(join(issued, `${domain}.crt`)));
});

test('Caddy accepts the Caddyfile: formatted, proxying the websocket and uploads to Prosody', async (t) => {
  assert.ok(
    await installed('caddy', 'version'),
    'caddy is missing: apt-get install -y caddy (CI installs it)',
  );
  const dir = await scratch(t);
  // Caddy reads these two from the environment compose gives it; its state goes to the scratch dir.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_DATA_HOME: dir,
    XDG_CONFIG_HOME: dir,
    DOMAIN: 'chat.example.org',
    ACME_EMAIL: 'admin@example.org',
  };
  const caddyfile = join(here, 'Caddyfile');
  const validate = await run(
    'caddy',
    ['validate', '--config', caddyfile, '--adapter', 'caddyfile'],
    { env },
  );
  assert.match(validate.stdout + validate.stderr, /Valid configuration/);
  assert.doesNotMatch(validate.stderr, /not formatted/);

  const { stdout } = await run(
    'caddy',
    ['adapt', '--config', caddyfile, '--adapter', 'caddyfile'],
    { env },
  );
  const adapted: unknown = JSON.parse(stdout);
  const json = JSON.stringify(adapted);
  assert.match(json, /"host":\["chat\.example\.org"\]/);
  for (const [path, upstream] of [
    ['/xmpp-websocket', 'prosody:5280'],
    ['/file_share/*', 'prosody:5280'],
    // S3 mode: Prosody's slots point at https://DOMAIN/upload/, Hush's upload service.
    ['/upload/*', 'upload:5282'],
  ] as const) {
    const handlers = routesFor(adapted, path).map((route) => JSON.stringify(route));
    assert.equal(handlers.length, 1, `one route for ${path}`);
    assert.ok(
      handlers[0]?.includes(`"handler":"reverse_proxy","upstreams":[{"dial":"${upstream}"}]`),
      `${path} goes to ${upstream}`,
    );
  }
  assert.match(json, /"email":"admin@example\.org"/);
  assert.match(json, /"root":"\/srv\/web"/);
  // The web app gets the same Content-Security-Policy as Prosody's mod_hush_web sends.
  const policy = /"Content-Security-Policy":\["([^"]+)"\]/.exec(json)?.[1];
  assert.equal(policy, webContentSecurityPolicy());
  // The build's Brotli and gzip copies are served, and hashed files are cached for good.
  assert.match(
    json,
    /"precompressed":\{"br":\{\},"gzip":\{\}\},"precompressed_order":\["br","gzip"\]/,
  );
  assert.match(json, /"Cache-Control":\["public, max-age=31536000, immutable"\]/);
  // Every answer, errors included: no Server header, HSTS; error pages get a policy of their own.
  const server = (adapted as { apps: { http: { servers: Record<string, unknown> } } }).apps.http
    .servers.srv0 as { routes: unknown; errors?: { routes: unknown } };
  for (const [what, routes] of [
    ['answers', server.routes],
    ['errors', server.errors?.routes],
  ] as const) {
    const text = JSON.stringify(routes ?? null);
    assert.match(text, /"delete":\["Server"\]/, `${what}: the Server header is removed`);
    assert.match(text, /"Strict-Transport-Security":\["max-age=31536000"\]/, what);
  }
  assert.match(
    JSON.stringify(server.errors?.routes),
    /"Content-Security-Policy":\["default-src 'none';/,
  );
  // The app's paths take GET and HEAD only.
  assert.match(
    json,
    /\{"handler":"static_response","status_code":405\}\]\}\]\}\],"match":\[\{"not":\[\{"method":\["GET","HEAD"\]\}\]\}\]/,
  );
});

test('the web service builds the app from a copy of the checkout, and skips an unchanged build', async (t) => {
  // compose/build-web.sh as the container runs it, with its three folders moved to a scratch dir:
  // the checkout is read only, dependencies are installed into the copy, the build lands in `web`.
  const dir = await scratch(t);
  const env = {
    ...process.env,
    HUSH_REPO: join(here, '../..'),
    HUSH_WEB_WORK: join(dir, 'build/repo'),
    HUSH_WEB_OUT: join(dir, 'web'),
  };
  const script = join(here, 'compose/build-web.sh');
  const first = await run('bash', [script], { env, maxBuffer: 64 * 1024 * 1024 });
  assert.match(first.stdout, /Built the web app/);
  const page = await readFile(join(dir, 'web/index.html'), 'utf8');
  const bundle = /src="(\/_expo\/static\/js\/web\/[^"]+\.js)"/.exec(page)?.[1];
  assert.ok(bundle, 'index.html loads the bundle');
  assert.ok((await stat(join(dir, 'web', bundle))).size > 100_000, 'the bundle is the whole app');
  const second = await run('bash', [script], { env });
  assert.match(second.stdout, /up to date/);
});

test('compose/upload-service.sh: waits in disk mode, names a missing setting, and in S3 mode installs the service and serves files from the bucket', async (t) => {
  // The upload service's entrypoint as the container runs it, its folders moved to a scratch dir,
  // against the tests' local S3 server.
  const dir = await scratch(t);
  const script = join(here, 'compose/upload-service.sh');
  /** Runs the script in the background; its output so far, and a stop that waits for its end. */
  const start = (env: Record<string, string>) => {
    const child = spawn('bash', [script], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    t.after(stop);
    return { output: () => output, running: () => child.exitCode === null, stop };
  };

  const disk = start({ UPLOAD_STORAGE: 'disk' });
  await until(() => /nothing to do/.test(disk.output()), 'the disk-mode message', 10_000);
  assert.ok(disk.running(), 'in disk mode the service waits (compose would restart it otherwise)');
  await disk.stop();

  const certs = join(dir, 'certs');
  await run(join(here, 'local-ca.sh'), [certs, 'localhost']);
  const s3 = await startS3({
    dir: join(dir, 's3'),
    tls: { cert: join(certs, 'localhost.crt'), key: join(certs, 'localhost.key') },
  });
  t.after(() => s3.stop());
  const credentials = join(dir, 's3-credentials');
  const secretFile = join(dir, 'upload-state/secret');
  await mkdir(dirname(secretFile));
  const secret = randomBytes(32).toString('hex');
  await writeFile(secretFile, `${secret}\n`);
  const [port] = (await freePorts(1)) as [number];
  // The tests' S3 server has a certificate from the tests' CA (a real bucket's is public), added to
  // the CAs this machine already adds for npm, which installs the dependencies under the same.
  const cas = join(dir, 'cas.pem');
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  await writeFile(
    cas,
    `${extra ? await readFile(extra, 'utf8') : ''}\n${await readFile(join(certs, 'ca.crt'), 'utf8')}`,
  );
  const env = {
    HUSH_REPO: join(here, '../..'),
    HUSH_UPLOAD_WORK: join(dir, 'build/repo'),
    UPLOAD_STORAGE: 's3',
    HUSH_UPLOAD_LISTEN: `127.0.0.1:${port}`,
    HUSH_UPLOAD_BASE_PATH: '/upload/',
    HUSH_UPLOAD_SECRET_FILE: secretFile,
    HUSH_UPLOAD_LIMIT: '1048576',
    HUSH_UPLOAD_EXPIRY: '604800',
    HUSH_S3_BUCKET: s3.bucket,
    HUSH_S3_ENDPOINT: s3.endpoint,
    HUSH_S3_REGION: s3.region,
    HUSH_S3_CREDENTIALS_FILE: credentials,
    NODE_EXTRA_CA_CERTS: cas,
  };

  // No credentials file yet: it stops at once, naming the .env setting.
  await assert.rejects(
    run('bash', [script], { env: { ...process.env, ...env } }),
    (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? '', /needs HUSH_S3_CREDENTIALS in \.env/);
      return true;
    },
  );

  await writeFile(
    credentials,
    `aws_access_key_id = ${s3.accessKeyId}\naws_secret_access_key = ${s3.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const service = start(env);
  await until(
    () => /listening on/.test(service.output()) || !service.running(),
    'the upload service to listen',
    120_000,
  ).catch((error: Error) => assert.fail(`${error.message}:\n${service.output()}`));
  assert.ok(service.running(), service.output());
  assert.ok(
    (await stat(join(dir, 'build/repo/node_modules/@aws-sdk/client-s3/package.json'))).isFile(),
    'the dependencies are installed into the work folder, not the checkout',
  );
  // A slot as Prosody hands it out, then the file back from the bucket.
  const slot = { id: randomUUID(), name: 'photo.jpg' };
  const bytes = randomBytes(4096);
  const url = `http://127.0.0.1:${port}/upload/${slot.id}/${slot.name}`;
  const put = await fetch(`${url}?v2=${slotToken(secret, slot, bytes.length, 'image/jpeg')}`, {
    method: 'PUT',
    headers: { 'content-type': 'image/jpeg' },
    body: bytes,
  });
  assert.equal(put.status, 201);
  const got = await fetch(url);
  assert.equal(got.status, 200);
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
  await service.stop();
});

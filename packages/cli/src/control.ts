// The control socket of a profile's owner (`hush listen`): a Unix socket `control.sock` (mode 0600, in
// the 0700 profile folder) speaking JSON-RPC 2.0, one JSON object a line, in the spirit of
// signal-cli's daemon mode. Every other hush command on the profile runs through it:
//   -> {"jsonrpc":"2.0","id":1,"method":"send","params":{"args":["bob@example.org","hi"],"options":{"json":true}}}
//   <- {"jsonrpc":"2.0","method":"output","params":{"id":1,"stream":"stdout","line":"{...}"}}
//   <- {"jsonrpc":"2.0","id":1,"result":{"exitCode":0}}
// The method is the command's name, `args` its words after it, `options` its flags (json, plain,
// limit, service, files) and `password` the password for the commands that read one. The owner prints
// through `output` notifications exactly what the command prints when run on its own, and answers
// with its exit code.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CliError } from './errors.ts';

export interface CommandOptions {
  readonly service?: string;
  readonly json?: boolean;
  readonly limit?: string;
  readonly plain?: boolean;
  readonly files?: string;
}

export interface CommandRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly options: CommandOptions;
  readonly password?: string;
}

export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** Runs one request in the owner; resolves with the command's exit code. */
export type RunRequest = (request: CommandRequest, output: Output) => Promise<number>;

export interface ControlServer {
  close(): Promise<void>;
}

/** The commands an owner runs for others; `listen`, `register` and `login` need the profile itself. */
export const FORWARDED = new Set([
  'send',
  'send-file',
  'send-voice',
  'history',
  'contacts',
  'account',
  'fingerprints',
  'devices',
  'trust',
  'distrust',
  'verify',
]);

const MAX_LINE = 1 << 20;

function parseRequest(value: unknown): CommandRequest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { method, params } = value as { method?: unknown; params?: unknown };
  if (typeof method !== 'string' || typeof params !== 'object' || params === null) return undefined;
  const { args, options = {}, password } = params as Record<string, unknown>;
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) return undefined;
  if (typeof options !== 'object' || options === null) return undefined;
  if (password !== undefined && typeof password !== 'string') return undefined;
  const o = options as Record<string, unknown>;
  const text = (key: string) => (typeof o[key] === 'string' ? { [key]: o[key] } : {});
  const flag = (key: string) => (typeof o[key] === 'boolean' ? { [key]: o[key] } : {});
  return {
    command: method,
    args: args as string[],
    options: {
      ...text('service'),
      ...text('limit'),
      ...text('files'),
      ...flag('json'),
      ...flag('plain'),
    },
    ...(password !== undefined ? { password } : {}),
  };
}

function serve(socket: Socket, run: RunRequest): void {
  const write = (message: object) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  };
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  socket.on('error', () => undefined);
  lines.on('line', (line) => {
    if (line.length > MAX_LINE) {
      write({ id: null, error: { code: -32600, message: 'Request too large' } });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      write({ id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    const rawId = (message as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
    const request = parseRequest(message);
    if (!request) {
      write({ id, error: { code: -32602, message: 'Invalid params: args must be strings' } });
      return;
    }
    if (!FORWARDED.has(request.command)) {
      write({ id, error: { code: -32601, message: `Method not found: ${request.command}` } });
      return;
    }
    const output: Output = {
      stdout: (text) => write({ method: 'output', params: { id, stream: 'stdout', line: text } }),
      stderr: (text) => write({ method: 'output', params: { id, stream: 'stderr', line: text } }),
    };
    void run(request, output).then(
      (exitCode) => write({ id, result: { exitCode } }),
      (error: unknown) => write({ id, error: { code: -32603, message: String(error) } }),
    );
  });
}

/**
 * Opens the control socket at `path`. Only the profile's lock holder calls this, so a socket file
 * already there is a dead owner's and is replaced.
 */
export async function serveControl(path: string, run: RunRequest): Promise<ControlServer> {
  await unlink(path).catch(() => undefined);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, run);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  // The folder is already 0700; the socket itself is the owner's only, whatever the umask.
  await chmod(path, 0o600);
  return {
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.end();
      await closed;
      await unlink(path).catch(() => undefined);
    },
  };
}

/**
 * Runs the request through the profile's owner, printing what it prints; resolves with the exit
 * code, or undefined when no process owns the profile (no socket, or nobody behind it).
 */
export async function callOwner(
  path: string,
  request: CommandRequest,
  output: Output,
): Promise<number | undefined> {
  const socket = createConnection(path);
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
  });
  if (!connected) {
    socket.destroy();
    return undefined;
  }
  const id = 1;
  const { command, args, options, password } = request;
  socket.write(
    `${JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: command,
      params: { args, options, ...(password !== undefined ? { password } : {}) },
    })}\n`,
  );
  try {
    return await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: socket, crlfDelay: Infinity });
      socket.on('error', () => undefined);
      socket.once('close', () =>
        reject(
          new CliError(
            'OwnerGone',
            'The hush listen that owns this profile stopped before answering; the command may not have run.',
          ),
        ),
      );
      lines.on('line', (line) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return;
        }
        const message = parsed as {
          id?: unknown;
          method?: string;
          params?: { stream?: string; line?: string };
          result?: { exitCode?: number };
          error?: { message?: string };
        };
        if (message.method === 'output' && typeof message.params?.line === 'string') {
          (message.params.stream === 'stderr' ? output.stderr : output.stdout)(message.params.line);
        } else if (message.id === id && message.result) {
          resolve(message.result.exitCode ?? 1);
        } else if (message.id === id && message.error) {
          reject(new Error(message.error.message ?? 'the owner refused the request'));
        }
      });
    });
  } finally {
    socket.destroy();
  }
}

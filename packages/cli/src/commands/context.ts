// What a command needs, whether it runs in its own process or inside the profile's owner.
import type { Readable } from 'node:stream';
import type { CommandOptions } from '../control.ts';
import type { Profile, ProfileClient } from '../profile.ts';

export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  env: Record<string, string | undefined>;
  stdin: Readable;
  /** Resolves when the user asks `listen` to stop (Ctrl-C); tests pass their own. */
  interrupted?: Promise<void>;
}

export interface CommandContext {
  readonly options: CommandOptions;
  readonly io: Pick<Io, 'stdout' | 'stderr'>;
  /** The open profile (its storage); only the process holding the profile's lock has one. */
  profile(): Promise<Profile>;
  /**
   * A connected client for the profile's account; close() when done. In the owner this is its own
   * client (close() leaves it running), and it throws ServerUnreachable while the owner is offline.
   */
  connect(options?: { plain?: boolean }): Promise<ProfileClient>;
  /** The password the command was given (HUSH_PASSWORD or a line of standard input). */
  readPassword(): Promise<string>;
}

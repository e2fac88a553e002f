// What OMEMO tells the rest of the client, and how a failure becomes one of its typed errors.
import { HushError, isHushError } from '../errors.ts';

export type OmemoEvent =
  | { readonly type: 'identity-changed'; readonly jid: string; readonly deviceId: number }
  | { readonly type: 'devices'; readonly jid: string }
  | { readonly type: 'repair'; readonly jid: string; readonly deviceId: number }
  | { readonly type: 'error'; readonly error: HushError };

export type EmitOmemoEvent = (event: OmemoEvent) => void;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Any failure as a HushError: typed ones pass as they are, the rest become ProtocolErrors. */
export function asHushError(error: unknown): HushError {
  return isHushError(error)
    ? error
    : new HushError('ProtocolError', errorText(error), { cause: error });
}

// What a scanned QR code or a pasted link asks for, and doing it. These reach the app that way:
//   xmpp:alice@example.org?omemo-sid-123=<64 hex>   a device's verification code (Conversations'
//                                                    format, core's formatVerificationUri)
//   xmpp:alice@example.org?roster;preauth=TOKEN     a contact invite (XEP-0379), or its https page
//   xmpp:alice@example.org[?roster|?message…]       an address (RFC 5122, XEP-0147 query actions)
//   alice@example.org                               an address as people type it
// A verification code also adds its owner, as Conversations does: one scan both adds a person and
// verifies the device they showed.
import { HushError, parseVerificationUri } from '@hush/core';
import { readInvite } from './invite-link.ts';

export type ScannedCode =
  | { readonly kind: 'verification'; readonly jid: string; readonly uri: string }
  | { readonly kind: 'invite'; readonly jid: string; readonly uri: string }
  | { readonly kind: 'address'; readonly jid: string };

const XMPP_ADDRESS = /^xmpp:(?:\/\/)?([^?#/]+)(?:\?[^#]*)?(?:#.*)?$/i;

/** Classifies `text`; an xmpp: or web link it cannot read is HushError('InviteMalformed'). */
export function readScannedCode(text: string): ScannedCode {
  const input = text.trim();
  if (/^xmpp:[^?#]*\?(?:[^#]*[;&])?omemo-sid-/i.test(input)) {
    const verification = parseVerificationUri(input);
    if (!verification) {
      throw new HushError('InviteMalformed', 'This verification code names no address.');
    }
    return { kind: 'verification', jid: verification.jid, uri: input };
  }
  if (/^https?:/i.test(input) || /^xmpp:[^#]*[?;]preauth=/i.test(input)) {
    const invite = readInvite(input);
    if (!invite.inviter) {
      throw new HushError('InviteInvalid', 'This link invites to a server, not to a contact.');
    }
    return { kind: 'invite', jid: invite.inviter, uri: invite.uri };
  }
  if (/^xmpp:/i.test(input)) {
    const address = XMPP_ADDRESS.exec(input)?.[1];
    let jid: string | undefined;
    try {
      jid = address === undefined ? undefined : decodeURIComponent(address);
    } catch {
      jid = undefined;
    }
    if (!jid?.includes('@')) {
      throw new HushError('InviteMalformed', 'Not a link to a person: expected xmpp:name@server.');
    }
    return { kind: 'address', jid: jid.toLowerCase() };
  }
  // Typed text: core's contacts check the address itself.
  return { kind: 'address', jid: input.toLowerCase() };
}

/** What following a code needs from the account: the app passes its connection's contacts, OMEMO. */
export interface CodeActions {
  /** The account's own bare JID. */
  readonly account: string;
  isContact(jid: string): boolean;
  /** Adds an address and asks to see its presence; resolves to its bare JID. */
  add(jid: string): Promise<string>;
  /** Follows a contact invite (XEP-0379); resolves to the inviter's bare JID. */
  acceptInvite(uri: string): Promise<string>;
  /** Marks the devices a verification URI names verified (core's Omemo.verifyUri). */
  verify(uri: string): Promise<void>;
}

export interface FollowedCode {
  readonly jid: string;
  /** A device of `jid` was verified (otherwise the code only added a contact). */
  readonly verified: boolean;
}

/**
 * Does what a scanned or pasted code asks. With `expected` (scanning from a contact's details) only
 * a verification code of that contact is accepted, so a code shown by someone else changes nothing.
 * A key that differs from the one already known fails with core's UntrustedIdentity, before the
 * person is added.
 */
export async function followCode(
  text: string,
  actions: CodeActions,
  expected?: string,
): Promise<FollowedCode> {
  const code = readScannedCode(text);
  if (expected !== undefined) {
    if (code.kind !== 'verification') {
      throw new HushError(
        'WrongCode',
        'This code holds no encryption key: ask them to show the QR code in their settings.',
      );
    }
    if (code.jid !== expected) {
      throw new HushError(
        'WrongCode',
        `This code is for ${code.jid}, not for ${expected}: nothing was verified.`,
      );
    }
  }
  switch (code.kind) {
    case 'verification':
      await actions.verify(code.uri);
      if (code.jid !== actions.account && !actions.isContact(code.jid)) await actions.add(code.jid);
      return { jid: code.jid, verified: true };
    case 'invite':
      return { jid: await actions.acceptInvite(code.uri), verified: false };
    case 'address':
      return { jid: await actions.add(code.jid), verified: false };
  }
}

// RFC 6121 §4 Exchanging Presence Information — https://www.rfc-editor.org/rfc/rfc6121#section-4
// Who of the contacts is online, device by device (resource), as their presence says.
import type { PresenceChange } from './types.ts';

export class ContactPresence {
  /** Bare JID -> resources that are online. */
  readonly #online = new Map<string, Set<string>>();
  readonly #listeners = new Set<(change: PresenceChange) => void>();

  /** Whether any device of the contact is online, as far as their presence told us. */
  available(jid: string): boolean {
    return (this.#online.get(jid)?.size ?? 0) > 0;
  }

  onChange(listener: (change: PresenceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setOnline(jid: string, resource: string): void {
    const resources = this.#online.get(jid) ?? new Set<string>();
    const was = resources.size > 0;
    resources.add(resource);
    this.#online.set(jid, resources);
    if (!was) this.#emit(jid, true);
  }

  /** One resource, or without `resource` every one, went offline. */
  setOffline(jid: string, resource?: string): void {
    const resources = this.#online.get(jid);
    if (!resources || resources.size === 0) return;
    if (resource === undefined) resources.clear();
    else resources.delete(resource);
    if (resources.size === 0) {
      this.#online.delete(jid);
      this.#emit(jid, false);
    }
  }

  /** Everyone offline: what a new stream's presence will tell again. */
  setAllOffline(): void {
    for (const jid of [...this.#online.keys()]) this.setOffline(jid);
  }

  #emit(jid: string, available: boolean): void {
    for (const listener of this.#listeners) listener({ jid, available });
  }
}

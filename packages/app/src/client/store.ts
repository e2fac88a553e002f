// The small external-store shape React binds with useSyncExternalStore: getSnapshot returns the
// same object until something changed, subscribe returns its unsubscribe.
export class SnapshotStore<S> {
  private snapshot: S;
  private readonly listeners = new Set<() => void>();

  constructor(initial: S) {
    this.snapshot = initial;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  readonly getSnapshot = (): S => this.snapshot;

  protected set(next: S): void {
    if (next === this.snapshot) return;
    this.snapshot = next;
    for (const listener of [...this.listeners]) listener();
  }

  protected update(changes: Partial<S>): void {
    this.set({ ...this.snapshot, ...changes });
  }
}

/** A set that forgets its oldest entries beyond `capacity`: dedupe memory that cannot grow without bound. */
export class BoundedSet {
  private readonly items = new Set<string>();

  /** Entries kept at most; lowering it forgets the oldest on the next `add`. */
  constructor(public capacity: number) {}

  has(key: string): boolean {
    return this.items.has(key);
  }

  add(key: string): void {
    if (this.items.has(key)) return;
    this.items.add(key);
    // Sets iterate in insertion order: the first is the oldest.
    for (const oldest of this.items) {
      if (this.items.size <= this.capacity) break;
      this.items.delete(oldest);
    }
  }

  get size(): number {
    return this.items.size;
  }
}

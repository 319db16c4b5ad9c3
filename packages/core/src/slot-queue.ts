/**
 * A FIFO of reusable slot objects: the engines' transmit queues. Pushing fills a recycled object
 * instead of allocating one per datagram; the ring grows (doubling) when full, so nothing is ever
 * dropped here (the engines bound what they queue).
 *
 * A slot returned by {@link SlotQueue.shift} stays valid until the next {@link SlotQueue.push}.
 */
export class SlotQueue<T> {
  private slots: T[];
  private head = 0;
  private count = 0;

  constructor(
    private readonly create: () => T,
    initialCapacity = 64,
  ) {
    this.slots = Array.from({ length: Math.max(1, initialCapacity) }, create);
  }

  get length(): number {
    return this.count;
  }

  /** Appends a slot and returns it for the caller to fill. */
  push(): T {
    if (this.count === this.slots.length) this.grow();
    const slot = this.slots[(this.head + this.count) % this.slots.length];
    this.count++;
    if (slot === undefined) throw new Error('SlotQueue invariant broken: missing slot');
    return slot;
  }

  /** Removes and returns the oldest slot, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const slot = this.slots[this.head];
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return slot;
  }

  /** Drops every queued slot. */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const ordered: T[] = [];
    for (let index = 0; index < this.count; index++) {
      const slot = this.slots[(this.head + index) % this.slots.length];
      if (slot !== undefined) ordered.push(slot);
    }
    const extra = Array.from({ length: this.slots.length }, this.create);
    this.slots = ordered.concat(extra);
    this.head = 0;
  }
}

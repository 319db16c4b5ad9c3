/**
 * The simulator's clock: a binary heap of timed callbacks. Ties run in insertion order, so a run is
 * a pure function of its seed.
 */
interface Scheduled {
  time: number;
  order: number;
  run: () => void;
}

export class EventQueue {
  private heap: Scheduled[] = [];
  private nextOrder = 0;
  now = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Runs `run` at `time` (never earlier than now). */
  at(time: number, run: () => void): void {
    const item = { time: Math.max(time, this.now), order: this.nextOrder++, run };
    const heap = this.heap;
    heap.push(item);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent];
      if (above === undefined || !before(item, above)) break;
      heap[index] = above;
      heap[parent] = item;
      index = parent;
    }
  }

  /** Time of the earliest event, or undefined. */
  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  /** Removes and runs the earliest event, advancing `now` to its time. */
  runNext(): void {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return;
    const last = heap.pop();
    if (last !== undefined && heap.length > 0) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        const leftItem = heap[left];
        const rightItem = heap[right];
        const current = heap[smallest];
        if (current === undefined) break;
        if (leftItem !== undefined && before(leftItem, heap[smallest] ?? current)) smallest = left;
        if (rightItem !== undefined && before(rightItem, heap[smallest] ?? current))
          smallest = right;
        if (smallest === index) break;
        const swap = heap[smallest];
        if (swap === undefined) break;
        heap[smallest] = current;
        heap[index] = swap;
        index = smallest;
      }
    }
    this.now = top.time;
    top.run();
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}

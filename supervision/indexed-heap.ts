// A binary min-heap whose items remember their position, so removing any item (a settled ask,
// a cancelled reminder) costs O(log n) and no side Map is needed.

export interface HeapItem {
  /** Position in the heap, -1 when not in it. */
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly key: (item: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  /** Removes the item if it is in the heap. */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    const h = this.items;
    const last = h.pop()!;
    item.heapIndex = -1;
    if (i < h.length) {
      h[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
  }

  /** Empties the heap, returning its items (in no particular order). */
  drain(): T[] {
    const all = this.items.splice(0);
    for (const item of all) item.heapIndex = -1;
    return all;
  }

  private up(i: number): void {
    const h = this.items;
    const item = h[i]!;
    const k = this.key(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (this.key(parent) <= k) break;
      h[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    h[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const h = this.items;
    const n = h.length;
    const item = h[i]!;
    const k = this.key(item);
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.key(h[r]!) < this.key(h[l]!) ? r : l;
      const child = h[c]!;
      if (this.key(child) >= k) break;
      h[i] = child;
      child.heapIndex = i;
      i = c;
    }
    h[i] = item;
    item.heapIndex = i;
  }
}

/** Keeps the last `capacity` items; pushing never allocates beyond the item itself. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.items = Array.from<T | undefined>({ length: capacity });
  }

  push(item: T): void {
    if (this.capacity === 0) return;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.next - this.size + this.capacity) % Math.max(this.capacity, 1);
    for (let i = 0; i < this.size; i++) out.push(this.items[(start + i) % this.capacity] as T);
    return out;
  }
}

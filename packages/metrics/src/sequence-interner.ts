const INITIAL_IDS = 64;
/** Hash slots and values up to which `clear` keeps the buffers (a few hundred kB in all). */
const KEPT_SLOTS = 1 << 14;
const KEPT_VALUES = 1 << 16;

/**
 * Gives every distinct sequence of 32-bit integers a small integer id (0, 1, 2, ... in order of
 * first sight). The sequences are kept end to end in one typed array and found through an
 * open-addressing hash table of their ids: no object, Map or key string per sequence, which is
 * what the scoring of one pair from scratch would otherwise spend most of its interning time on.
 * Write a sequence into `scratch(length)` and call `intern(length)`.
 */
export class SequenceInterner {
  /** Number of ids given out. */
  size = 0;
  private valueCount = 0;
  private values: Int32Array = new Int32Array(4 * INITIAL_IDS);
  private starts: Int32Array = new Int32Array(INITIAL_IDS);
  private lengths: Int32Array = new Int32Array(INITIAL_IDS);
  private hashes: Int32Array = new Int32Array(INITIAL_IDS);
  /** Id + 1 per slot (0: empty); the slot count is a power of two, at least twice `size`. */
  private slots: Int32Array = new Int32Array(2 * INITIAL_IDS);
  private input: Int32Array = new Int32Array(INITIAL_IDS);

  /**
   * Forgets every sequence. The buffers are kept (allocating typed arrays costs more than
   * zeroing the table) unless they have grown past KEPT_SLOTS or KEPT_VALUES.
   */
  clear(): void {
    this.size = 0;
    this.valueCount = 0;
    if (this.slots.length <= KEPT_SLOTS && this.values.length <= KEPT_VALUES) {
      this.slots.fill(0);
      return;
    }
    this.values = new Int32Array(4 * INITIAL_IDS);
    this.starts = new Int32Array(INITIAL_IDS);
    this.lengths = new Int32Array(INITIAL_IDS);
    this.hashes = new Int32Array(INITIAL_IDS);
    this.slots = new Int32Array(2 * INITIAL_IDS);
  }

  /** A buffer for the next sequence, at least `length` long (its contents are undefined). */
  scratch(length: number): Int32Array {
    if (this.input.length < length) this.input = new Int32Array(Math.max(length, 2 * this.input.length));
    return this.input;
  }

  /** The id of the first `length` values of the scratch buffer. */
  intern(length: number): number {
    const input = this.input;
    const hash = hashValues(input, length);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const found = this.slots[slot] - 1;
      if (found < 0) return this.add(slot, hash, length);
      if (this.hashes[found] === hash && this.lengths[found] === length && this.equals(found, length)) return found;
    }
  }

  /** The values of sequence `id` (a copy). */
  sequence(id: number): number[] {
    return Array.from(this.values.subarray(this.starts[id], this.starts[id] + this.lengths[id]));
  }

  private equals(id: number, length: number): boolean {
    const { values, input } = this;
    const start = this.starts[id];
    for (let i = 0; i < length; i++) if (values[start + i] !== input[i]) return false;
    return true;
  }

  private add(slot: number, hash: number, length: number): number {
    const id = this.size++;
    if (id === this.starts.length) this.growIds();
    if (this.valueCount + length > this.values.length) this.values = grown(this.values, this.valueCount + length);
    for (let i = 0; i < length; i++) this.values[this.valueCount + i] = this.input[i];
    this.starts[id] = this.valueCount;
    this.lengths[id] = length;
    this.hashes[id] = hash;
    this.valueCount += length;
    this.slots[slot] = id + 1;
    if (2 * this.size > this.slots.length) this.rehash();
    return id;
  }

  private growIds(): void {
    this.starts = grown(this.starts, this.size);
    this.lengths = grown(this.lengths, this.size);
    this.hashes = grown(this.hashes, this.size);
  }

  private rehash(): void {
    this.slots = new Int32Array(2 * this.slots.length);
    const mask = this.slots.length - 1;
    for (let id = 0; id < this.size; id++) {
      let slot = this.hashes[id] & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = id + 1;
    }
  }
}

/** A copy of `array` with room for at least `needed` values (at least twice as long). */
function grown(array: Int32Array, needed: number): Int32Array {
  const copy = new Int32Array(Math.max(needed, 2 * array.length));
  copy.set(array);
  return copy;
}

/** A 32-bit hash of the first `length` values (multiply-rotate mixing, then a final avalanche). */
function hashValues(values: Int32Array, length: number): number {
  let hash = length;
  for (let i = 0; i < length; i++) {
    hash = Math.imul(hash ^ values[i], 0x9e3779b1);
    hash = (hash << 15) | (hash >>> 17);
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return hash ^ (hash >>> 13);
}

/** The code of `key` in `codes`: 0, 1, 2, ... in order of first use. */
export function codeFor<K>(codes: Map<K, number>, key: K): number {
  let code = codes.get(key);
  if (code === undefined) {
    code = codes.size;
    codes.set(key, code);
  }
  return code;
}

// A bump allocator over linear memory: the JS loader resets it before each kernel call, so a
// call's inputs, outputs and scratch all live in one region that is reused by the next call.
// Memory grows on demand and is never returned (one instance per executor thread).

let base: usize = 0;
let top: usize = 0;

/** Sets the first address the arena hands out (everything below is permanent). */
export function arenaStart(start: usize): void {
  base = (start + 63) & ~<usize>63;
  top = base;
}

/** Frees everything allocated since the last arenaStart. */
export function arenaReset(): void {
  top = base;
}

/** Current top, to release scratch later with arenaRelease. */
export function arenaMark(): usize {
  return top;
}

/** Releases everything allocated after `mark`. */
export function arenaRelease(mark: usize): void {
  top = mark;
}

/** 64-byte aligned block of `bytes` bytes (uninitialised); traps if memory cannot grow. */
export function arenaAlloc(bytes: usize): usize {
  const p = top;
  const end = (p + bytes + 63) & ~<usize>63;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const need = <i32>((end - have + 0xffff) >> 16);
    // Grow by at least a quarter of the current size so a run of growing calls stays O(log n).
    const extra = memory.size() >> 2;
    if (memory.grow(need > extra ? need : extra) < 0 && memory.grow(need) < 0) unreachable();
  }
  top = end;
  return p;
}

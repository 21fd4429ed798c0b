/**
 * Named scratch buffers reused across kernel calls (LAPACK workspace, tau, stacked copies):
 * a backend allocates nothing per call beyond its outputs once the buffers have grown to the
 * largest block seen. Not shared between threads: each worker loads its own backend.
 */
export class Scratch {
  private readonly bufs = new Map<string, Float64Array>();

  /**
   * A buffer of at least `length` doubles (contents left over from earlier calls). Pass it
   * to native code as is; it may be longer than asked for.
   */
  f64(name: string, length: number): Float64Array {
    const have = this.bufs.get(name);
    if (have && have.length >= length) return have;
    // Grow geometrically so that slowly increasing sizes do not reallocate on every call.
    const buf = new Float64Array(Math.max(length, Math.ceil((have?.length ?? 0) * 1.5), 64));
    this.bufs.set(name, buf);
    return buf;
  }

  /** Total doubles held, for diagnostics. */
  get size(): number {
    let n = 0;
    for (const b of this.bufs.values()) n += b.length;
    return n;
  }
}

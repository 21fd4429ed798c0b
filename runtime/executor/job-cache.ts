/**
 * The jobs executors have read, by job id: shared by the executors one process or Lambda
 * container runs one after another, so that a warm Lambda invocation finds a job's record read
 * and its program bound instead of reading the record from the state store and generating the
 * program's code again. Bounded: the least recently used job is dropped first.
 *
 * @example
 * const jobs = new JobCache<string>(2);
 * jobs.set('j-1', 'a'); jobs.set('j-2', 'b'); jobs.get('j-1'); jobs.set('j-3', 'c');
 * jobs.get('j-2') // undefined: the least recently used went
 */
export class JobCache<T> {
  private readonly entries = new Map<string, T>();

  /** @param max jobs kept (a container works for few jobs at a time). */
  constructor(readonly max = 16) {}

  get(jobId: string): T | undefined {
    const v = this.entries.get(jobId);
    if (v !== undefined) {
      // Map keeps insertion order: re-inserting makes it the most recent.
      this.entries.delete(jobId);
      this.entries.set(jobId, v);
    }
    return v;
  }

  set(jobId: string, value: T): void {
    this.entries.delete(jobId);
    this.entries.set(jobId, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(oldest);
    }
  }

  delete(jobId: string): void {
    this.entries.delete(jobId);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * In-process state store of the local backend. Single-threaded access (the main thread owns
 * it; workers reach it by RPC), so every method is trivially atomic — which is exactly the
 * contract the DynamoDB store has to meet with conditional writes.
 */
import type { JobRecord, JobState, JobStatus, StateStore, TaskStats } from '../../core/interfaces.ts';

interface JobEntry {
  record: JobRecord;
  status: JobStatus;
  error?: string;
  terminalDone: number;
  counters: Record<string, number>;
  done: Set<string>;
  edges: Map<string, Set<string>>;
}

export class MemoryStateStore implements StateStore {
  private readonly jobs = new Map<string, JobEntry>();
  /** Drivers waiting for a job to end (see jobChanged). */
  private readonly watchers = new Map<string, Set<() => void>>();

  /**
   * Resolves when the job may have ended — its status changed, its last terminal task
   * completed, or it was deleted — or after `timeoutMs`. The driver sleeps on this instead of
   * polling: a wake-up of the main thread preempts a kernel thread on a machine with few cores.
   */
  jobChanged(jobId: string, timeoutMs: number): Promise<void> {
    const j = this.jobs.get(jobId);
    // Already ended (the driver looked before the end and waits after it): no wait.
    if (!j || j.status !== 'running' || j.terminalDone >= j.record.terminalTasks) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.watchers.get(jobId);
      if (!set) this.watchers.set(jobId, (set = new Set()));
      const watchers = set;
      const done = (): void => {
        clearTimeout(timer);
        watchers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      watchers.add(done);
    });
  }

  private notify(jobId: string): void {
    const set = this.watchers.get(jobId);
    if (!set) return;
    this.watchers.delete(jobId);
    for (const w of set) w();
  }

  async putJob(job: JobRecord): Promise<void> {
    if (this.jobs.has(job.id)) return; // idempotent: the first record stays
    this.jobs.set(job.id, { record: job, status: 'running', terminalDone: 0, counters: {}, done: new Set(), edges: new Map() });
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const j = this.jobs.get(jobId);
    return j ? { ...j.record, status: j.status, error: j.error } : null;
  }

  async getJobState(jobId: string): Promise<JobState | null> {
    return this.jobStateSync(jobId);
  }

  jobStateSync(jobId: string): JobState | null {
    const j = this.jobs.get(jobId);
    return j ? { status: j.status, error: j.error, terminalDone: j.terminalDone, counters: { ...j.counters } } : null;
  }

  async finishJob(jobId: string, status: Exclude<JobStatus, 'running'>, error?: string): Promise<boolean> {
    const j = this.jobs.get(jobId);
    if (!j || j.status !== 'running') return false;
    j.status = status;
    if (error !== undefined) j.error = error;
    this.notify(jobId);
    return true;
  }

  async isTaskDone(jobId: string, task: string): Promise<boolean> {
    return this.jobs.get(jobId)?.done.has(task) ?? false;
  }

  async completeTask(jobId: string, task: string, terminal: boolean, stats?: TaskStats): Promise<boolean> {
    const j = this.jobs.get(jobId);
    if (!j || j.done.has(task)) return false;
    j.done.add(task);
    if (terminal && ++j.terminalDone >= j.record.terminalTasks) this.notify(jobId);
    j.counters.tasks = (j.counters.tasks ?? 0) + 1;
    j.counters.flops = (j.counters.flops ?? 0) + (stats?.flops ?? 0);
    return true;
  }

  async markEdge(jobId: string, node: string, member: string): Promise<number> {
    const j = this.jobs.get(jobId);
    if (!j) return 0;
    let s = j.edges.get(node);
    if (!s) j.edges.set(node, (s = new Set()));
    s.add(member);
    return s.size;
  }

  async incr(jobId: string, counter: string, by: number): Promise<void> {
    const j = this.jobs.get(jobId);
    if (j) j.counters[counter] = (j.counters[counter] ?? 0) + by;
  }

  async deleteJob(jobId: string): Promise<void> {
    this.jobs.delete(jobId);
    this.notify(jobId);
  }

  /** Items held for a job (for garbage-collection checks). */
  itemCount(jobId: string): number {
    const j = this.jobs.get(jobId);
    return j ? 1 + j.done.size + j.edges.size : 0;
  }
}

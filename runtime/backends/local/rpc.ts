/**
 * Worker ↔ main-thread RPC of the local backend. The stores live in the main thread; each
 * executor thread gets proxies implementing the same interfaces (BlockStore, TaskQueue,
 * StateStore) that forward calls over its MessagePort. Blocks travel as SharedArrayBuffer-backed
 * arrays, so a get or put moves a reference, not the data.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Block, BlockStore, JobRecord, JobState, JobStatus, Lease, QueueDepth, QueueMessage, StateStore, TaskQueue, TaskStats, TraceRecord } from '../../interfaces.ts';
import { StoreError } from '../../interfaces.ts';
import { sharedAlloc, type MemoryBlockStore } from './memory-block-store.ts';
import type { MemoryQueue } from './memory-queue.ts';
import type { MemoryStateStore } from './memory-state-store.ts';
import type { Faults } from '../../faults.ts';

/** Port-like object: a worker's parentPort or the Worker itself. */
export interface Endpoint {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

export interface RpcCall { readonly id: number; readonly op: string; readonly args: readonly unknown[] }
/** Calls made in the same tick travel together: one message, one wake-up of the server. */
export interface RpcRequest { readonly kind: 'calls'; readonly calls: readonly RpcCall[] }
export interface RpcReply { readonly id: number; readonly ok: boolean; readonly value?: unknown; readonly error?: { code?: string; message: string } }
export interface RpcResponse { readonly kind: 'replies'; readonly replies: readonly RpcReply[] }
export interface TraceMessage { readonly kind: 'trace'; readonly record: TraceRecord }
export interface ExitMessage { readonly kind: 'exit'; readonly stats: unknown }
export interface ReadyMessage { readonly kind: 'ready' }
export type WorkerMessage = RpcRequest | TraceMessage | ExitMessage | ReadyMessage;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Worker side: sends requests (coalesced per tick), resolves replies. */
export class RpcClient {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private queued: RpcCall[] = [];

  constructor(private readonly port: Endpoint | MessagePort) {
    port.on('message', (m: unknown) => {
      if (!isObj(m) || m.kind !== 'replies') return;
      for (const r of (m as unknown as RpcResponse).replies) {
        const p = this.pending.get(r.id);
        if (!p) continue;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.value);
        else {
          const code = r.error?.code;
          const msg = r.error?.message ?? 'rpc failed';
          p.reject(code ? new StoreError(code as StoreError['code'], msg) : new Error(msg));
        }
      }
    });
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.queued.length === 0) queueMicrotask(() => this.flush());
      this.queued.push({ id, op, args });
    });
  }

  private flush(): void {
    const calls = this.queued;
    this.queued = [];
    if (calls.length > 0) this.port.postMessage({ kind: 'calls', calls } satisfies RpcRequest);
  }

  /** Proxies implementing the store interfaces over this client. */
  stores(): { blocks: BlockStore; queue: TaskQueue; state: StateStore } {
    const c = this;
    const blocks: BlockStore = {
      alloc: sharedAlloc,
      get: (key) => c.call<Block>('b.get', key),
      put: (key, block) => c.call<void>('b.put', key, block),
      delete: (keys) => c.call<void>('b.delete', keys),
      list: (prefix) => c.call<string[]>('b.list', prefix),
    };
    const queue: TaskQueue = {
      send: (messages) => c.call<void>('q.send', messages),
      lease: (max, vis, wait) => c.call<Lease[]>('q.lease', max, vis, wait),
      renew: (lease, vis) => c.call<boolean>('q.renew', lease, vis),
      ack: (leases) => c.call<void>('q.ack', leases),
      release: (leases, delay) => c.call<void>('q.release', leases, delay),
      deadLetter: (lease, reason) => c.call<void>('q.dead', lease, reason),
      depth: () => c.call<QueueDepth>('q.depth'),
    };
    const state: StateStore = {
      putJob: (job) => c.call<void>('s.putJob', job),
      getJob: (id) => c.call<JobRecord | null>('s.getJob', id),
      getJobState: (id) => c.call<JobState | null>('s.getJobState', id),
      finishJob: (id, status, error) => c.call<boolean>('s.finishJob', id, status, error),
      isTaskDone: (id, task) => c.call<boolean>('s.isTaskDone', id, task),
      completeTask: (id, task, terminal, stats) => c.call<boolean>('s.completeTask', id, task, terminal, stats),
      markEdge: (id, node, member) => c.call<number>('s.markEdge', id, node, member),
      incr: (id, counter, by) => c.call<void>('s.incr', id, counter, by),
      deleteJob: (id) => c.call<void>('s.deleteJob', id),
    };
    return { blocks, queue, state };
  }
}

const s = (v: unknown): string => String(v);
const n = (v: unknown): number => Number(v);

/** Main-thread side: dispatches one request to the in-memory stores. */
export interface LocalStores {
  readonly blocks: MemoryBlockStore;
  readonly queue: MemoryQueue;
  readonly state: MemoryStateStore;
  /** Faults injected into executors' calls (the "network" between executor and store). */
  readonly faults?: Faults;
}

export async function serve(stores: LocalStores, op: string, a: readonly unknown[]): Promise<unknown> {
  const { blocks, queue, state, faults } = stores;
  if (faults) {
    if (op === 'b.put') faults.blockWrite(s(a[0]));
    else if (op === 's.markEdge' || op === 's.completeTask') faults.stateWrite(op.slice(2));
  }
  switch (op) {
    case 'b.get': return blocks.getSync(s(a[0]));
    case 'b.put': return blocks.putSync(s(a[0]), a[1] as Block);
    case 'b.delete': return blocks.deleteSync(a[0] as string[]);
    case 'b.list': return blocks.listSync(s(a[0]));
    case 'q.send': return queue.send(a[0] as QueueMessage[]);
    case 'q.lease': return queue.lease(n(a[0]), n(a[1]), n(a[2]));
    case 'q.renew': return queue.renew(a[0] as Lease, n(a[1]));
    case 'q.ack': return queue.ack(a[0] as Lease[]);
    case 'q.release': return queue.release(a[0] as Lease[], n(a[1]));
    case 'q.dead': return queue.deadLetter(a[0] as Lease, s(a[1]));
    case 'q.depth': return queue.depthSync();
    case 's.putJob': return state.putJob(a[0] as JobRecord);
    case 's.getJob': return state.getJob(s(a[0]));
    case 's.getJobState': return state.jobStateSync(s(a[0]));
    case 's.finishJob': return state.finishJob(s(a[0]), a[1] as Exclude<JobStatus, 'running'>, a[2] === undefined ? undefined : s(a[2]));
    case 's.isTaskDone': return state.isTaskDone(s(a[0]), s(a[1]));
    case 's.completeTask': return state.completeTask(s(a[0]), s(a[1]), a[2] === true, a[3] as TaskStats | undefined);
    case 's.markEdge': return state.markEdge(s(a[0]), s(a[1]), s(a[2]));
    case 's.incr': return state.incr(s(a[0]), s(a[1]), n(a[2]));
    case 's.deleteJob': return state.deleteJob(s(a[0]));
    default: throw new Error(`unknown rpc op ${op}`);
  }
}

/**
 * Serves one batch of calls from `port`. Calls start in order (the memory stores act
 * synchronously up to their first await, so effects keep the sender's order); replies are sent
 * as calls finish, coalesced per tick — a lease that waits does not hold up the others.
 */
export function answer(stores: LocalStores, port: Endpoint, req: RpcRequest): void {
  let out: RpcReply[] = [];
  const reply = (r: RpcReply): void => {
    if (out.length === 0) queueMicrotask(() => {
      const replies = out;
      out = [];
      port.postMessage({ kind: 'replies', replies } satisfies RpcResponse);
    });
    out.push(r);
  };
  for (const c of req.calls) {
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(serve(stores, c.op, c.args));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (value) => reply({ id: c.id, ok: true, value }),
      (e: unknown) => reply({ id: c.id, ok: false, error: e instanceof StoreError ? { code: e.code, message: e.message } : { message: e instanceof Error ? e.message : String(e) } }),
    );
  }
}

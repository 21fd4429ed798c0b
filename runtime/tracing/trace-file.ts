/**
 * Trace files: what `--trace run.jsonl` writes and `lapwing report` reads.
 *
 * Format (JSON Lines, one JSON object per line, UTF-8):
 *
 *     {"type":"header","version":1,"job":"j1","algorithm":"cholesky","n":4096,"block":512,…}
 *     {"type":"attempt","job":"j1","task":"chol(0)","kernel":"chol","executor":"w0","attempt":1,…}
 *     {"type":"sample","time":1700000000250,"queueVisible":12,"queueInFlight":2,"executors":2,"tasksDone":3}
 *     …
 *     {"type":"summary","wall_s":1.84,"gflops":95.1,"tasks":816,"residual":3.1e-15,"ok":true}
 *
 * The first line is always the header; the summary is optional (a run that crashed has none),
 * and a reader accepts a truncated last line (the writer died mid-append) with a warning.
 *
 * Timestamps in an attempt's `t` are epoch milliseconds taken when each protocol step
 * *finished*: `lease` when the lease was obtained (the attempt's start), `read` when its inputs
 * were read, `compute` when the kernel returned, `write` when its outputs were stored, `mark`
 * when its children's edges were marked, `ack` when the message was deleted. So the phases are
 * read = read − lease, compute = compute − read, write = write − compute, and the attempt ends
 * at the last step present (a failed attempt ends at the last step it finished).
 *
 * Writer state machine: idle → open() → open (write() buffers, a timer or a full buffer
 * flushes) → close() → closed. Any I/O error after open() moves it to `failed`: the error is
 * reported once through `onError`, later writes are dropped. write() never throws and never
 * waits, because it is called from the executors' hot path.
 */
import { open as openFile, readFile } from 'node:fs/promises';
import { LapwingError } from '../core/errors.ts';
import type { FileHandle } from 'node:fs/promises';
import type { AttemptOutcome, SampleTrace, TaskAttemptTrace, TraceRecord } from '../core/interfaces.ts';

/** Version of the trace format written by this module. */
export const TRACE_VERSION = 1;

/** The first line of a trace file: what ran, where, and when. */
export interface TraceHeader {
  readonly type: 'header';
  readonly version: number;
  readonly job: string;
  /** Program name, e.g. 'cholesky'. */
  readonly algorithm: string;
  /** Matrix order and block size (absent for programs without a single n). */
  readonly n?: number;
  readonly block?: number;
  /** Backend name ('local', 'aws'). */
  readonly backend: string;
  /** Kernel backend ('openblas', 'wasm', 'js', 'auto'). */
  readonly kernels: string;
  /** Executors requested (the maximum when autoscaling). */
  readonly workers: number;
  /** Epoch milliseconds when the driver started the job. */
  readonly startedAt: number;
  /** Total tasks in the DAG, if known. */
  readonly totalTasks?: number;
  /**
   * The DAG's critical path: its length in tasks; optionally its duration if the runtime knows
   * it, or the kernels along it (name → count) so the report can estimate the duration from
   * the measured per-kernel median task times.
   */
  readonly criticalPath?: {
    readonly tasks: number;
    readonly seconds?: number;
    readonly kernels?: Readonly<Record<string, number>>;
  };
  /** Memory of one executor (Lambda memory size) in MB, for the cost estimate. */
  readonly memoryMb?: number;
  /**
   * The compiled program (lang's `Program` IR, small JSON) and its integer arguments. With
   * them the report computes the critical path from the DAG and describes each task in words.
   */
  readonly program?: unknown;
  readonly args?: Readonly<Record<string, number>>;
}

/**
 * What a driver passes to {@link TraceWriter.open}: the header without its `type`/`version`;
 * only `job` and `startedAt` are required (a reader shows placeholders for the rest).
 */
export type TraceHeaderInit = Omit<TraceHeader, 'type' | 'version' | 'algorithm' | 'backend' | 'kernels' | 'workers'>
  & Partial<Pick<TraceHeader, 'algorithm' | 'backend' | 'kernels' | 'workers'>>;

/** The optional last line: the run's outcome as the driver saw it. */
export interface TraceSummary {
  readonly type: 'summary';
  readonly wall_s: number;
  /** Achieved GFLOP/s (the report computes it from the attempts when absent). */
  readonly gflops?: number;
  /** Tasks completed. */
  readonly tasks?: number;
  /** Relative residual of the result, if checked. */
  readonly residual?: number | null;
  /** The run succeeded. A reader treats a missing `ok` as `error === undefined`. */
  readonly ok: boolean;
  readonly error?: string;
  /** Matrix order and block size, when the header was written before the job was planned. */
  readonly n?: number;
  readonly block?: number;
}

/** A trace file read back into memory. */
export interface TraceFile {
  readonly header: TraceHeader;
  readonly attempts: TaskAttemptTrace[];
  readonly samples: SampleTrace[];
  readonly summary?: TraceSummary;
  /** Non-fatal problems (e.g. a truncated last line). */
  readonly warnings: string[];
}

/** A trace file that cannot be read: one line for the user, with the line number. */
export class TraceFileError extends LapwingError {
  declare readonly code: 'TRACE_NOT_FOUND' | 'TRACE_INVALID' | 'TRACE_IO';
  /** 1-based line of the problem, when it is about one line. */
  readonly line?: number;
  constructor(code: TraceFileError['code'], message: string, line?: number, options?: { cause?: unknown }) {
    super(code, message, { userFacing: true, cause: options?.cause });
    this.name = 'TraceFileError';
    this.line = line;
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

/** Options of a {@link TraceWriter}. */
export interface TraceWriterOptions {
  /** Called once with the first I/O error; later records are dropped. Default: one line on stderr. */
  onError?: (error: Error) => void;
  /** Flush when this many bytes are buffered (default 64 KiB). */
  flushBytes?: number;
  /** Flush at least this often while open (default 1000 ms), so a crash loses little. */
  flushMs?: number;
}

/**
 * Appends trace records to a JSON Lines file.
 *
 * @example
 * const trace = new TraceWriter({ onError: (e) => log.warn(`trace disabled: ${e.message}`) });
 * await trace.open('run.jsonl', { job, algorithm: 'cholesky', n, block, backend: 'local',
 *   kernels: 'openblas', workers: 2, startedAt: Date.now() });
 * trace.write(attemptRecord);             // sync, buffered, never throws
 * await trace.close({ wall_s, gflops, tasks, residual, ok: true });
 */
export class TraceWriter {
  private handle: FileHandle | null = null;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private state: 'idle' | 'open' | 'failed' | 'closed' = 'idle';
  private readonly onError: (error: Error) => void;
  private readonly flushBytes: number;
  private readonly flushMs: number;
  private accepted = 0;

  constructor(options: TraceWriterOptions = {}) {
    this.onError = options.onError ?? ((e) => process.stderr.write(`lapwing: trace disabled: ${e.message}\n`));
    this.flushBytes = options.flushBytes ?? 64 * 1024;
    this.flushMs = options.flushMs ?? 1000;
  }

  /** Records accepted by write() so far. */
  get written(): number {
    return this.accepted;
  }

  /**
   * Creates (truncates) `path` and writes the header line. Rejects with a TraceFileError if the
   * file cannot be created — a user mistake worth failing on before the run starts.
   */
  async open(path: string, header: TraceHeaderInit): Promise<void> {
    if (this.state !== 'idle') throw new Error('TraceWriter.open called twice');
    try {
      this.handle = await openFile(path, 'w');
    } catch (e) {
      throw new TraceFileError('TRACE_IO', `cannot create trace file ${path}: ${(e as Error).message}`, undefined, { cause: e });
    }
    this.state = 'open';
    this.append({ ...header, type: 'header', version: TRACE_VERSION });
    this.flush();
    this.timer = setInterval(() => this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Buffers one record. Never throws; dropped silently when not open (after a reported error). */
  write(record: TraceRecord): void {
    if (this.state !== 'open') return;
    this.accepted++;
    this.append(record);
    if (this.bufferedBytes >= this.flushBytes) this.flush();
  }

  /** Writes the summary (if given), flushes and closes the file. Never rejects. */
  async close(summary?: Omit<TraceSummary, 'type'>): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.state === 'open' && summary) this.append({ ...summary, type: 'summary' });
    if (this.state === 'open') this.flush();
    const wasOpen = this.state === 'open' || this.state === 'failed';
    if (this.state === 'open') this.state = 'closed';
    await this.chain;
    if (wasOpen && this.handle) {
      const handle = this.handle;
      this.handle = null;
      await handle.close().catch((e: unknown) => this.fail(e));
    }
  }

  private append(value: object): void {
    let line: string;
    try {
      line = `${JSON.stringify(value)}\n`;
    } catch (e) {
      // A record that cannot be serialised (a BigInt, a cycle) is reported like an I/O error:
      // the trace would be silently incomplete otherwise.
      this.fail(e);
      return;
    }
    this.buffer.push(line);
    this.bufferedBytes += line.length;
  }

  /** Queues the buffered lines behind earlier writes (appends stay in order). */
  private flush(): void {
    if (this.buffer.length === 0 || this.state === 'failed' || !this.handle) return;
    const data = this.buffer.join('');
    this.buffer = [];
    this.bufferedBytes = 0;
    const handle = this.handle;
    this.chain = this.chain.then(async () => {
      if (this.state === 'failed') return;
      try {
        // write() may write less than asked (rare for regular files): loop until all is out.
        const bytes = Buffer.from(data, 'utf8');
        for (let off = 0; off < bytes.length;) {
          const { bytesWritten } = await handle.write(bytes, off, bytes.length - off);
          if (bytesWritten <= 0) throw new Error('trace file write made no progress');
          off += bytesWritten;
        }
      } catch (e) {
        this.fail(e);
      }
    });
  }

  private fail(e: unknown): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.buffer = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const error = e instanceof Error ? e : new Error(String(e));
    try {
      this.onError(error);
    } catch {
      // The callback's own failure must not reach the hot path either.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reader

const OUTCOMES: ReadonlySet<string> = new Set<AttemptOutcome>(['ok', 'duplicate', 'error', 'retry', 'cancelled', 'crashed']);

/**
 * Reads a trace file. Throws TraceFileError: TRACE_NOT_FOUND for a missing file,
 * TRACE_INVALID (with the line number) for a malformed line.
 */
export async function readTrace(path: string): Promise<TraceFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TraceFileError('TRACE_NOT_FOUND', `trace file not found: ${path}`, undefined, { cause: e });
    throw new TraceFileError('TRACE_IO', `cannot read trace file ${path}: ${(e as Error).message}`, undefined, { cause: e });
  }
  return parseTrace(text, path);
}

/**
 * Parses the text of a trace file; `name` prefixes error messages (`run.jsonl:12: …`).
 * A last line without a final newline that is not valid JSON is taken as cut off by a crash
 * and skipped with a warning; any other bad line is an error.
 */
export function parseTrace(text: string, name = 'trace'): TraceFile {
  const lines = text.split('\n');
  const truncatedTail = !text.endsWith('\n');
  const warnings: string[] = [];
  const attempts: TaskAttemptTrace[] = [];
  const samples: SampleTrace[] = [];
  let header: TraceHeader | undefined;
  let summary: TraceSummary | undefined;
  const bad = (line: number, why: string): TraceFileError => new TraceFileError('TRACE_INVALID', `${name}:${line}: ${why}`, line);

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const lineNo = i + 1;
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      if (truncatedTail && i === lines.length - 1 && header) {
        warnings.push(`${name}:${lineNo}: last line is cut off (the run probably stopped while writing); ignored`);
        break;
      }
      throw bad(lineNo, `not valid JSON (${(e as Error).message})`);
    }
    if (!isObject(value)) throw bad(lineNo, 'expected a JSON object');
    const type = value.type;
    if (!header) {
      if (type !== 'header') throw bad(lineNo, `the first record must be the header, found ${JSON.stringify(type)} — is this a lapwing trace?`);
      header = checkHeader(value, (why) => bad(lineNo, why));
      continue;
    }
    if (summary) throw bad(lineNo, 'record after the summary');
    switch (type) {
      case 'attempt':
        attempts.push(checkAttempt(value, (why) => bad(lineNo, why)));
        break;
      case 'sample':
        samples.push(checkSample(value, (why) => bad(lineNo, why)));
        break;
      case 'summary':
        summary = checkSummary(value, (why) => bad(lineNo, why));
        break;
      case 'header':
        throw bad(lineNo, 'a second header (two traces concatenated?)');
      default:
        throw bad(lineNo, `unknown record type ${JSON.stringify(type)}`);
    }
  }
  if (!header) throw new TraceFileError('TRACE_INVALID', `${name}:1: empty trace file (no header line)`, 1);
  return { header: completeHeader(header, attempts, summary), attempts, samples, summary, warnings };
}

/**
 * Fills what a driver could only know later: the job id from the attempts, and n / block from
 * the summary when it carries them (the header may be written before the job is planned).
 */
function completeHeader(h: TraceHeader, attempts: readonly TaskAttemptTrace[], summary: TraceSummary | undefined): TraceHeader {
  const n = h.n ?? summary?.n;
  const block = h.block ?? summary?.block;
  return {
    ...h,
    job: h.job !== '' ? h.job : (attempts[0]?.job ?? ''),
    ...(n !== undefined ? { n } : {}),
    ...(block !== undefined ? { block } : {}),
  };
}

type Fail = (why: string) => TraceFileError;
type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, key: string, fail: Fail): string {
  const v = o[key];
  if (v === undefined) throw fail(`missing field "${key}" (a string)`);
  if (typeof v !== 'string') throw fail(`field "${key}" must be a string, found ${JSON.stringify(v)}`);
  return v;
}

function num(o: Obj, key: string, fail: Fail): number {
  const v = o[key];
  if (v === undefined) throw fail(`missing field "${key}" (a number)`);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`field "${key}" must be a number, found ${JSON.stringify(v)}`);
  return v;
}

function optNum(o: Obj, key: string, fail: Fail): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : num(o, key, fail);
}

function checkHeader(o: Obj, fail: Fail): TraceHeader {
  const version = optNum(o, 'version', fail) ?? TRACE_VERSION;
  if (version > TRACE_VERSION) throw fail(`trace format version ${version} is newer than this lapwing understands (${TRACE_VERSION})`);
  str(o, 'job', fail);
  num(o, 'startedAt', fail);
  for (const k of ['algorithm', 'backend', 'kernels']) if (o[k] !== undefined) str(o, k, fail);
  for (const k of ['n', 'block', 'workers', 'totalTasks', 'memoryMb']) optNum(o, k, fail);
  const cp = o.criticalPath;
  if (cp !== undefined && cp !== null) {
    if (!isObject(cp)) throw fail('field "criticalPath" must be an object');
    num(cp, 'tasks', (why) => fail(`criticalPath: ${why}`));
    optNum(cp, 'seconds', (why) => fail(`criticalPath: ${why}`));
    if (cp.kernels !== undefined) {
      if (!isObject(cp.kernels)) throw fail('field "criticalPath.kernels" must be an object of counts');
      for (const k of Object.keys(cp.kernels)) num(cp.kernels, k, (why) => fail(`criticalPath.kernels: ${why}`));
    }
  }
  if (o.program !== undefined && (typeof o.program !== 'object' || o.program === null)) throw fail('field "program" must be a compiled program (an object)');
  if (o.args !== undefined) {
    if (!isObject(o.args)) throw fail('field "args" must be an object of integers');
    for (const k of Object.keys(o.args)) num(o.args, k, (why) => fail(`args: ${why}`));
  }
  const optStr = (k: string): string | undefined => (o[k] === undefined ? undefined : str(o, k, fail));
  const n = optNum(o, 'n', fail);
  const block = optNum(o, 'block', fail);
  const totalTasks = optNum(o, 'totalTasks', fail);
  const memoryMb = optNum(o, 'memoryMb', fail);
  return {
    type: 'header',
    version,
    job: str(o, 'job', fail),
    startedAt: num(o, 'startedAt', fail),
    // Older or hand-made traces may lack these; the report shows placeholders.
    algorithm: optStr('algorithm') ?? 'program',
    backend: optStr('backend') ?? '?',
    kernels: optStr('kernels') ?? '?',
    workers: optNum(o, 'workers', fail) ?? 0,
    ...(n !== undefined ? { n } : {}),
    ...(block !== undefined ? { block } : {}),
    ...(totalTasks !== undefined ? { totalTasks } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    ...(isObject(cp) ? { criticalPath: checkedCriticalPath(cp) } : {}),
    ...(o.program !== undefined ? { program: o.program } : {}),
    ...(isObject(o.args) ? { args: numbersOf(o.args) } : {}),
  };
}

/** A critical path whose fields {@link checkHeader} has validated. */
function checkedCriticalPath(cp: Obj): NonNullable<TraceHeader['criticalPath']> {
  const tasks = cp.tasks as number;
  return {
    tasks,
    ...(typeof cp.seconds === 'number' ? { seconds: cp.seconds } : {}),
    ...(isObject(cp.kernels) ? { kernels: numbersOf(cp.kernels) } : {}),
  };
}

/** An object of numbers, already validated field by field. */
function numbersOf(o: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
  return out;
}

function checkAttempt(o: Obj, fail: Fail): TaskAttemptTrace {
  const outcome = str(o, 'outcome', fail);
  if (!OUTCOMES.has(outcome)) throw fail(`unknown outcome ${JSON.stringify(outcome)} (expected one of ${[...OUTCOMES].join(', ')})`);
  const t = o.t;
  if (!isObject(t)) throw fail('field "t" must be an object of timestamps');
  const tf: Fail = (why) => fail(`t: ${why}`);
  const times: { -readonly [K in keyof TaskAttemptTrace['t']]: TaskAttemptTrace['t'][K] } = { lease: num(t, 'lease', tf) };
  for (const k of ['read', 'compute', 'write', 'mark', 'ack', 'kernelStart', 'kernelEnd'] as const) {
    const v = optNum(t, k, tf);
    if (v !== undefined) times[k] = v;
  }
  if (o.error !== undefined && typeof o.error !== 'string') throw fail('field "error" must be a string');
  return {
    type: 'attempt',
    job: str(o, 'job', fail),
    task: str(o, 'task', fail),
    kernel: str(o, 'kernel', fail),
    executor: str(o, 'executor', fail),
    attempt: num(o, 'attempt', fail),
    t: times,
    bytesRead: num(o, 'bytesRead', fail),
    bytesWritten: num(o, 'bytesWritten', fail),
    flops: num(o, 'flops', fail),
    outcome: outcome as AttemptOutcome,
    ...(typeof o.error === 'string' ? { error: o.error } : {}),
  };
}

function checkSample(o: Obj, fail: Fail): SampleTrace {
  return {
    type: 'sample',
    time: num(o, 'time', fail),
    queueVisible: num(o, 'queueVisible', fail),
    queueInFlight: num(o, 'queueInFlight', fail),
    executors: num(o, 'executors', fail),
    tasksDone: num(o, 'tasksDone', fail),
  };
}

function checkSummary(o: Obj, fail: Fail): TraceSummary {
  const wall = num(o, 'wall_s', fail);
  const gflops = optNum(o, 'gflops', fail);
  const tasks = optNum(o, 'tasks', fail);
  if (o.ok !== undefined && typeof o.ok !== 'boolean') throw fail('field "ok" must be true or false');
  if (o.error !== undefined && typeof o.error !== 'string') throw fail('field "error" must be a string');
  const residual = o.residual === null ? null : optNum(o, 'residual', fail);
  const error = typeof o.error === 'string' ? o.error : undefined;
  const n = optNum(o, 'n', fail);
  const block = optNum(o, 'block', fail);
  // Lenient about what a driver left out: a summary without `ok` is ok unless it has an error.
  return {
    type: 'summary',
    wall_s: wall,
    ...(gflops !== undefined ? { gflops } : {}),
    ...(tasks !== undefined ? { tasks } : {}),
    ...(residual !== undefined ? { residual } : {}),
    ok: typeof o.ok === 'boolean' ? o.ok : error === undefined,
    ...(error !== undefined ? { error } : {}),
    ...(n !== undefined ? { n } : {}),
    ...(block !== undefined ? { block } : {}),
  };
}

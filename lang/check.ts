/**
 * `checkDag`: compares the symbolic queries (parents, children, starters, terminalCount,
 * writer, readers, isValid) with the brute-force DAG of expand.ts. Used by the property tests
 * and `lapwing dag --check`.
 */
import type { BoundProgram } from './bind.ts';
import { DagError } from './errors.ts';
import { expand } from './expand.ts';
import { taskKey, type BlockRef, type Task } from './task.ts';

export interface DagCheck {
  readonly ok: boolean;
  readonly tasks: number;
  /** One line per disagreement (capped at `maxMismatches`). */
  readonly mismatches: string[];
}

function keys(ts: readonly Task[]): string[] {
  return ts.map(taskKey).sort();
}

function parseBlock(k: string): BlockRef {
  const m = /^(.*)\[(.*)\]$/.exec(k)!;
  return { matrix: m[1]!, idx: m[2] === '' ? [] : m[2]!.split(',').map(Number) };
}

/** Brute-force verification of every symbolic query; small sizes only. */
export function checkDag(bound: BoundProgram, limit?: number, maxMismatches = 50): DagCheck {
  const dag = expand(bound, limit);
  const mismatches: string[] = [...dag.problems];
  const report = (m: string): void => {
    mismatches.push(m);
  };
  const guard = (what: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof DagError)) throw e;
      report(`${what}: ${e.code}: ${e.message}`);
    }
  };
  const same = (what: string, got: string[], want: string[]): void => {
    if (got.length !== want.length || got.some((g, i) => g !== want[i])) {
      const extra = got.filter((g) => !want.includes(g));
      const missing = want.filter((w) => !got.includes(w));
      const dup = got.length !== new Set(got).size ? ' (duplicates)' : '';
      report(`${what}: extra [${extra.join(' ')}] missing [${missing.join(' ')}]${dup}`);
    }
  };
  const problemsBefore = mismatches.length;
  dag.tasks.forEach((t, i) => {
    if (mismatches.length - problemsBefore > maxMismatches) return;
    const name = `${taskKey(t)} (${bound.describe(t)})`;
    if (!bound.isValid(t)) report(`isValid ${name}: false for an enumerated task`);
    guard(`parents ${name}`, () => same(`parents ${name}`, keys(bound.parents(t)), dag.parents[i]!.map((p) => taskKey(dag.tasks[p]!)).sort()));
    guard(`children ${name}`, () => same(`children ${name}`, keys(bound.children(t)), dag.children[i]!.map((c) => taskKey(dag.tasks[c]!)).sort()));
  });
  guard('starters', () => {
    const want = dag.tasks.filter((_, i) => dag.parents[i]!.length === 0 && !dag.problems.some((p) => p.startsWith(`UNWRITTEN: ${taskKey(dag.tasks[i]!)} `)));
    same('starters', keys([...bound.starters()]), keys(want));
  });
  guard('terminalCount', () => {
    const want = dag.tasks.filter((t) => bound.isTerminal(t)).length;
    const got = bound.terminalCount();
    if (got !== want) report(`terminalCount: ${got}, brute force ${want}`);
  });
  for (const [k, ws] of dag.writers) {
    if (mismatches.length - problemsBefore > maxMismatches) break;
    if (ws.length !== 1) continue;
    guard(`writer ${k}`, () => {
      const w = bound.writer(parseBlock(k));
      if (w === null || taskKey(w) !== taskKey(dag.tasks[ws[0]!]!)) {
        report(`writer ${k}: ${w === null ? 'null' : taskKey(w)}, brute force ${taskKey(dag.tasks[ws[0]!]!)}`);
      }
    });
  }
  for (const [k, rs] of dag.readers) {
    if (mismatches.length - problemsBefore > maxMismatches) break;
    guard(`readers ${k}`, () => same(`readers ${k}`, keys(bound.readers(parseBlock(k))), rs.map((r) => taskKey(dag.tasks[r]!)).sort()));
  }
  return { ok: mismatches.length === 0, tasks: dag.tasks.length, mismatches: mismatches.slice(0, maxMismatches + dag.problems.length) };
}

/**
 * Renderings of small DAGs (materialised with expand.ts): JSON for tools, Graphviz dot for
 * pictures (`lapwing dag FILE --arg N=4 --dot | dot -Tsvg`).
 */
import type { BoundProgram } from './bind.ts';
import { expand } from './expand.ts';
import { blockToString, taskKey } from './task.ts';

export interface DagJson {
  readonly program: string;
  readonly args: Readonly<Record<string, number>>;
  readonly tasks: readonly {
    readonly key: string;
    readonly kernel: string;
    readonly attrs: Readonly<Record<string, number | boolean | string>>;
    readonly reads: readonly string[];
    readonly writes: readonly string[];
    readonly parents: readonly string[];
    readonly children: readonly string[];
    readonly priority: number;
    readonly terminal: boolean;
  }[];
}

/** The materialised DAG as plain JSON (default limit 20,000 tasks). */
export function toJson(bound: BoundProgram, limit = 20_000): DagJson {
  const dag = expand(bound, limit);
  return {
    program: bound.program.name,
    args: bound.args,
    tasks: dag.tasks.map((t, i) => {
      const k = bound.kernel(t);
      return {
        key: taskKey(t),
        kernel: k.name,
        attrs: k.attrs,
        reads: bound.reads(t).map(blockToString),
        writes: bound.writes(t).map(blockToString),
        parents: dag.parents[i]!.map((p) => taskKey(dag.tasks[p]!)),
        children: dag.children[i]!.map((c) => taskKey(dag.tasks[c]!)),
        priority: bound.priority(t),
        terminal: bound.isTerminal(t),
      };
    }),
  };
}

const PALETTE = ['#cfe2f3', '#d9ead3', '#fff2cc', '#f4cccc', '#d9d2e9', '#fce5cd', '#d0e0e3', '#ead1dc'];

/** Graphviz dot of the materialised DAG (default limit 2,000 tasks). */
export function toDot(bound: BoundProgram, limit = 2_000): string {
  const dag = expand(bound, limit);
  const colors = new Map<string, string>();
  const q = (s: string): string => JSON.stringify(s);
  const lines = [`digraph ${q(bound.program.name)} {`, '  node [shape=box, style=filled, fontname="monospace", fontsize=10];'];
  for (const t of dag.tasks) {
    const k = bound.kernel(t).name;
    if (!colors.has(k)) colors.set(k, PALETTE[colors.size % PALETTE.length]!);
    const label = `${k} ${bound.writes(t).map(blockToString).join(', ')}`;
    const shape = bound.isTerminal(t) ? ', peripheries=2' : '';
    lines.push(`  ${q(taskKey(t))} [label=${q(label)}, fillcolor=${q(colors.get(k)!)}${shape}];`);
  }
  dag.tasks.forEach((t, i) => {
    for (const c of dag.children[i]!) lines.push(`  ${q(taskKey(t))} -> ${q(taskKey(dag.tasks[c]!))};`);
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

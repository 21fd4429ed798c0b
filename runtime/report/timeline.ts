/**
 * The task-stream timeline: one row per executor, one mark per task attempt, coloured by
 * kernel; re-executed attempts outlined in red. Hand-drawn SVG.
 *
 * Test hooks (stable): `<svg class="timeline" data-attempts="N" data-mode="exact|binned">`,
 * one `<g class="row" data-executor="id" data-attempts="n">` per executor, and in exact mode
 * one `<rect class="attempt" data-task data-attempt data-kernel data-outcome>` per attempt
 * (plus class `retry` when re-executed), each with a `<title>` the page turns into a tooltip.
 *
 * Size rule: up to {@link MAX_MARKS} attempts every attempt is its own mark. Beyond that
 * (e.g. 100k attempts) each row is cut into time bins about 2 px wide; a bin takes the colour of
 * the kernel that was busiest in it and an opacity from how busy the executor was, and runs of
 * equal bins merge into one `<rect class="bin" data-count="k">` (k = attempts starting in it).
 * Re-executed attempts stay individual marks (up to {@link MAX_RETRY_MARKS}). Exact counts stay
 * in the DOM either way: each row's `data-attempts` and the svg's `data-attempts`.
 */
import type { AttemptSpan, RunAnalysis } from './analysis.ts';
import { RETRY_COLOR } from './colors.ts';
import { esc, fmtBytes, fmtMs, fmtNum, fmtSeconds, niceTicks, px } from './format.ts';

/** Attempts drawn one mark each; above this the timeline bins (see the module comment). */
export const MAX_MARKS = 20_000;
/** Re-executed attempts still drawn individually in binned mode. */
export const MAX_RETRY_MARKS = 5_000;

const WIDTH = 1200;
const LEFT = 118;
const RIGHT = 14;
const TOP = 8;
const AXIS = 34;
const PLOT = WIDTH - LEFT - RIGHT;

export interface TimelineOptions {
  /** Override {@link MAX_MARKS} (tests). */
  readonly maxMarks?: number;
}

/** SVG markup of the timeline. */
export function renderTimeline(run: RunAnalysis, colors: ReadonlyMap<string, string>, options: TimelineOptions = {}): string {
  const rows = run.executors.length;
  const rowH = Math.max(2, Math.min(26, Math.floor(560 / Math.max(1, rows))));
  const barH = rowH >= 6 ? Math.max(2, Math.round(rowH * 0.76)) : rowH;
  const height = TOP + rows * rowH + AXIS;
  const spanS = run.spanMs / 1000;
  const x = (ms: number): number => LEFT + (ms / run.spanMs) * PLOT;
  const binned = run.attempts.length > (options.maxMarks ?? MAX_MARKS);

  const byRow: AttemptSpan[][] = run.executors.map(() => []);
  for (const a of run.attempts) byRow[a.row]!.push(a);

  const out: string[] = [];
  out.push(`<svg class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="task stream" data-attempts="${run.attempts.length}" data-executors="${rows}" data-mode="${binned ? 'binned' : 'exact'}">`);

  // Time grid behind the rows.
  const { step, ticks } = niceTicks(spanS, 10);
  out.push('<g class="grid">');
  for (const t of ticks) {
    const gx = px(LEFT + (t / spanS) * PLOT);
    out.push(`<line x1="${gx}" x2="${gx}" y1="${TOP}" y2="${TOP + rows * rowH}"/>`);
  }
  out.push('</g>');

  const labelEvery = rowH >= 9 ? 1 : Math.ceil(9 / rowH);
  byRow.forEach((spans, r) => {
    const id = run.executors[r]!;
    const y = TOP + r * rowH;
    out.push(`<g class="row" data-executor="${esc(id)}" data-attempts="${spans.length}" transform="translate(0,${y})">`);
    if (r % 2 === 1) out.push(`<rect class="stripe" x="${LEFT}" y="0" width="${PLOT}" height="${rowH}"/>`);
    if (r % labelEvery === 0) {
      const label = id.length > 16 ? `${id.slice(0, 7)}…${id.slice(-7)}` : id;
      out.push(`<text class="label" x="${LEFT - 8}" y="${px(rowH / 2)}" dy="0.35em" text-anchor="end">${esc(label)}<title>${esc(id)}: ${spans.length} attempts</title></text>`);
    }
    const y0 = px((rowH - barH) / 2);
    if (!binned) {
      for (const a of spans) out.push(mark(a, x, y0, barH, colors, id, run.describe));
    } else {
      out.push(bins(spans, run, x, y0, barH, colors, id));
    }
    out.push('</g>');
  });

  if (binned) {
    // Re-executed attempts stay visible on top of the bins.
    const retries = run.attempts.filter((a) => a.reexecuted).slice(0, MAX_RETRY_MARKS);
    out.push('<g class="retries">');
    for (const a of retries) {
      out.push(`<g transform="translate(0,${TOP + a.row * rowH})">${mark(a, x, px((rowH - barH) / 2), barH, colors, run.executors[a.row]!, run.describe)}</g>`);
    }
    out.push('</g>');
  }

  // Axis.
  const ay = TOP + rows * rowH;
  out.push(`<g class="axis"><line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${ay}" y2="${ay}"/>`);
  for (const t of ticks) {
    const tx = px(LEFT + (t / spanS) * PLOT);
    out.push(`<line x1="${tx}" x2="${tx}" y1="${ay}" y2="${ay + 4}"/><text x="${tx}" y="${ay + 16}" text-anchor="middle">${fmtSeconds(t, step)}</text>`);
  }
  out.push(`<text x="${LEFT + PLOT}" y="${ay + 30}" text-anchor="end" class="unit">seconds since job start</text></g>`);
  out.push('</svg>');
  return out.join('');
}

function mark(a: AttemptSpan, x: (ms: number) => number, y: string, h: number, colors: ReadonlyMap<string, string>, executor: string,
  describe: (task: string) => string | null): string {
  const x0 = x(a.start);
  const w = Math.max(0.4, x(a.end) - x0);
  const r = a.rec;
  const cls = a.reexecuted ? 'attempt retry' : 'attempt';
  const stroke = a.reexecuted ? ` stroke="${RETRY_COLOR}"` : '';
  return `<rect class="${cls}" data-task="${esc(r.task)}" data-attempt="${r.attempt}" data-kernel="${esc(r.kernel)}" data-outcome="${r.outcome}" x="${px(x0)}" y="${y}" width="${px(w)}" height="${h}" fill="${colors.get(r.kernel) ?? '#999'}"${stroke}><title>${esc(tooltip(a, executor, describe(r.task)))}</title></rect>`;
}

/** The hover text of one attempt (`described`: the task in words, if known). */
export function tooltip(a: AttemptSpan, executor: string, described: string | null = null): string {
  const r = a.rec;
  const lines = [
    `${r.task} · ${r.kernel} · attempt ${r.attempt} · ${r.outcome}`,
    ...(described !== null ? [described] : []),
    `executor ${executor} · at ${(a.start / 1000).toFixed(3)} s · took ${fmtMs(a.end - a.start)}`,
    `read ${fmtMs(a.readMs)} · compute ${fmtMs(a.computeMs)} · write ${fmtMs(a.writeMs)} · mark+ack ${fmtMs(a.otherMs)}`,
    `${fmtNum(r.flops)} flops · read ${fmtBytes(r.bytesRead)} · wrote ${fmtBytes(r.bytesWritten)}`,
  ];
  if (r.error) lines.push(`error: ${r.error}`);
  return lines.join('\n');
}

function bins(spans: readonly AttemptSpan[], run: RunAnalysis, x: (ms: number) => number, y: string, h: number,
  colors: ReadonlyMap<string, string>, executor: string): string {
  // ~2 px per bin, fewer when there are many rows, so the file stays a few MB at most.
  const n = Math.max(20, Math.min(Math.floor(PLOT / 2), Math.floor(200_000 / Math.max(1, run.executors.length))));
  const width = run.spanMs / n;
  const busy = new Float64Array(n);
  const count = new Int32Array(n);
  const perKernel = new Map<string, Float64Array>();
  for (const a of spans) {
    count[Math.min(n - 1, Math.floor(a.start / width))]!++;
    let k = perKernel.get(a.rec.kernel);
    if (!k) perKernel.set(a.rec.kernel, (k = new Float64Array(n)));
    for (let b = Math.max(0, Math.floor(a.start / width)); b < n && b * width <= a.end; b++) {
      const overlap = Math.min(a.end, (b + 1) * width) - Math.max(a.start, b * width);
      const o = overlap > 0 ? overlap : a.end === a.start ? 1e-9 : 0;
      busy[b]! += o;
      k[b]! += o;
    }
  }
  const kernelsOf = [...perKernel.entries()];
  const out: string[] = [];
  let b = 0;
  while (b < n) {
    if (busy[b]! <= 0) { b++; continue; }
    const key = binKey(b);
    let e = b + 1;
    while (e < n && busy[e]! > 0 && binKey(e) === key) e++;
    let attempts = 0;
    let busyMs = 0;
    const mix = new Map<string, number>();
    for (let i = b; i < e; i++) {
      attempts += count[i]!;
      busyMs += busy[i]!;
      for (const [k, arr] of kernelsOf) if (arr[i]! > 0) mix.set(k, (mix.get(k) ?? 0) + arr[i]!);
    }
    const [kernel, level] = key.split('\u0000') as [string, string];
    const t0 = b * width;
    const t1 = e * width;
    const parts = [...mix.entries()].sort((p, q) => q[1] - p[1]).map(([k, ms]) => `${k} ${fmtMs(ms)}`).join(', ');
    const tip = `executor ${executor} · ${(t0 / 1000).toFixed(3)}–${(t1 / 1000).toFixed(3)} s\n${attempts} attempts started · busy ${Math.round((100 * busyMs) / (t1 - t0))}%\n${parts}`;
    out.push(`<rect class="bin" data-count="${attempts}" x="${px(x(t0))}" y="${y}" width="${px(x(t1) - x(t0))}" height="${h}" fill="${colors.get(kernel) ?? '#999'}" fill-opacity="${level}"><title>${esc(tip)}</title></rect>`);
    b = e;
  }
  return out.join('');

  /** Dominant kernel and busy level (4 steps) of bin i: equal keys merge. */
  function binKey(i: number): string {
    let best = '';
    let bestMs = -1;
    for (const [k, arr] of kernelsOf) if (arr[i]! > bestMs) { best = k; bestMs = arr[i]!; }
    const frac = Math.min(1, busy[i]! / width);
    const level = frac > 0.75 ? '1' : frac > 0.5 ? '0.8' : frac > 0.25 ? '0.6' : '0.4';
    return `${best}\u0000${level}`;
  }
}

/**
 * Small hand-drawn SVG charts for the report: step/line charts over time, the per-kernel phase
 * breakdown and the critical-path comparison. Each returns SVG markup; strings are escaped.
 */
import type { KernelStats, RunAnalysis, Series } from './analysis.ts';
import { PHASE_COLORS } from './colors.ts';
import { esc, fmtMs, fmtSeconds, fmtTick, niceTicks, px } from './format.ts';

export interface LineSeries {
  readonly name: string;
  readonly color: string;
  readonly series: Series;
  /** Step function (hold each value until the next point) rather than straight segments. */
  readonly step?: boolean;
  /** Fill the area under the line. */
  readonly area?: boolean;
}

export interface LineChartOptions {
  readonly className: string;
  readonly label: string;
  readonly xMax: number;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly width?: number;
  readonly height?: number;
}

/** A chart of one or more series against seconds since the job's start. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 580;
  const H = o.height ?? 230;
  const L = 46, R = 18, T = 24, B = 34;
  const pw = W - L - R, ph = H - T - B;
  const xMax = o.xMax > 0 ? o.xMax : 1;
  let yMaxRaw = 0;
  for (const s of o.series) for (const v of s.series.v) if (v > yMaxRaw) yMaxRaw = v;
  const yt = niceTicks(yMaxRaw > 0 ? yMaxRaw : 1, 4, true);
  const yMax = yt.ticks[yt.ticks.length - 1]!;
  const xt = niceTicks(xMax, 6);
  const X = (t: number): number => L + (t / xMax) * pw;
  const Y = (v: number): number => T + ph - (v / yMax) * ph;

  const out: string[] = [`<svg class="chart ${esc(o.className)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(o.label)}">`];
  out.push('<g class="grid">');
  for (const v of yt.ticks) out.push(`<line x1="${L}" x2="${L + pw}" y1="${px(Y(v))}" y2="${px(Y(v))}"/>`);
  out.push('</g><g class="axis">');
  for (const v of yt.ticks) out.push(`<text x="${L - 6}" y="${px(Y(v))}" dy="0.35em" text-anchor="end">${fmtTick(v, yt.step)}</text>`);
  for (const t of xt.ticks) {
    if (t > xMax * 1.0001) continue;
    out.push(`<line x1="${px(X(t))}" x2="${px(X(t))}" y1="${T + ph}" y2="${T + ph + 4}"/><text x="${px(X(t))}" y="${T + ph + 16}" text-anchor="middle">${fmtSeconds(t, xt.step)}</text>`);
  }
  out.push(`<line x1="${L}" x2="${L + pw}" y1="${T + ph}" y2="${T + ph}"/>`);
  out.push(`<text x="${L + pw}" y="${H - 3}" text-anchor="end" class="unit">s</text>`);
  out.push(`<text x="${L - 6}" y="${T - 12}" text-anchor="end" class="unit">${esc(o.yLabel)}</text></g>`);

  for (const s of o.series) {
    const pts = downsample(s.series, pw, !!s.step);
    if (pts.length === 0) continue;
    let d = `M${px(X(pts[0]![0]))},${px(Y(pts[0]![1]))}`;
    for (let i = 1; i < pts.length; i++) {
      const [t, v] = pts[i]!;
      d += s.step ? `H${px(X(t))}V${px(Y(v))}` : `L${px(X(t))},${px(Y(v))}`;
    }
    const lastX = s.step ? X(xMax) : X(pts[pts.length - 1]![0]);
    if (s.step) d += `H${px(lastX)}`;
    if (s.area) {
      out.push(`<path class="area" d="${d}V${px(Y(0))}H${px(X(pts[0]![0]))}Z" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    }
    out.push(`<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${esc(s.name)}</title></path>`);
  }
  out.push('</svg>');
  return out.join('');
}

/**
 * At most ~2 points per pixel column: for step series each column keeps its maximum and last
 * value (peaks stay visible); plain series keep the column mean.
 */
function downsample(s: Series, columns: number, step: boolean): [number, number][] {
  const n = s.t.length;
  const pts: [number, number][] = [];
  if (n <= columns * 2) {
    for (let i = 0; i < n; i++) pts.push([s.t[i]!, s.v[i]!]);
    return pts;
  }
  const t0 = s.t[0]!;
  const span = (s.t[n - 1]! - t0) || 1;
  let col = -1, max = 0, lastV = 0, sumV = 0, cnt = 0, colT = 0;
  const flush = (): void => {
    if (col < 0) return;
    if (step) { pts.push([colT, max]); if (lastV !== max) pts.push([colT + span / columns / 2, lastV]); }
    else pts.push([colT, sumV / cnt]);
  };
  for (let i = 0; i < n; i++) {
    const c = Math.min(columns - 1, Math.floor(((s.t[i]! - t0) / span) * columns));
    if (c !== col) { flush(); col = c; colT = s.t[i]!; max = s.v[i]!; sumV = 0; cnt = 0; }
    max = Math.max(max, s.v[i]!);
    lastV = s.v[i]!;
    sumV += s.v[i]!;
    cnt++;
  }
  flush();
  return pts;
}

/** Horizontal stacked bars of read / compute / write / other time per kernel. */
export function kernelBreakdown(kernels: readonly KernelStats[], colors: ReadonlyMap<string, string>): string {
  const W = 1200, L = 130, R = 190, rowH = 26, T = 6;
  const H = T + kernels.length * rowH + 8;
  const pw = W - L - R;
  const totalOf = (k: KernelStats): number => k.readMs + k.computeMs + k.writeMs + k.otherMs;
  const max = Math.max(1e-9, ...kernels.map(totalOf));
  const all = kernels.reduce((s, k) => s + totalOf(k), 0) || 1;
  const out: string[] = [`<svg class="chart kernels" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="time per kernel">`];
  kernels.forEach((k, i) => {
    const y = T + i * rowH;
    out.push(`<g class="kernel" data-kernel="${esc(k.kernel)}" transform="translate(0,${y})">`);
    out.push(`<rect x="${L - 122}" y="7" width="10" height="10" rx="2" fill="${colors.get(k.kernel) ?? '#999'}"/>`);
    out.push(`<text x="${L - 106}" y="12" dy="0.35em" class="name">${esc(k.kernel)}</text>`);
    let x = L;
    for (const [phase, ms] of [['read', k.readMs], ['compute', k.computeMs], ['write', k.writeMs], ['other', k.otherMs]] as const) {
      const w = (ms / max) * pw;
      if (w > 0) {
        out.push(`<rect class="phase" data-phase="${phase}" x="${px(x)}" y="3" width="${px(Math.max(0.5, w))}" height="18" fill="${PHASE_COLORS[phase]}"><title>${esc(`${k.kernel} ${phase === 'other' ? 'mark + ack' : phase}: ${fmtMs(ms)} (${pct(ms, totalOf(k))} of the kernel's time)`)}</title></rect>`);
      }
      x += w;
    }
    out.push(`<text x="${px(x + 8)}" y="12" dy="0.35em" class="value">${esc(`${fmtMs(totalOf(k))} · ${pct(totalOf(k), all)} · ${k.attempts} attempts`)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

/** One bar of the critical-path comparison. */
export interface PathBar {
  readonly key: 'achieved' | 'critical-path' | 'work-bound';
  readonly label: string;
  readonly s: number;
  readonly color: string;
  /** What the bar measures, for the legend under the chart. */
  readonly note: string;
}

/** The bars of {@link criticalPathChart}: achieved time, critical path (if known), work bound. */
export function criticalPathBars(run: RunAnalysis): PathBar[] {
  const bars: PathBar[] = [{ key: 'achieved', label: 'achieved', s: run.wallS, color: '#3f6fa6', note: 'wall time of the run' }];
  if (run.criticalPath.seconds !== null) {
    bars.push({ key: 'critical-path', label: 'critical path', s: run.criticalPath.seconds, color: '#8e5ea2',
      note: `${run.criticalPath.tasks ?? '?'} tasks; ${run.criticalPath.source}` });
  }
  bars.push({ key: 'work-bound', label: 'work ÷ executors', s: run.workBoundS, color: '#59a14f',
    note: 'total task time divided by the executors: no schedule can finish sooner' });
  return bars;
}

/** Bars comparing achieved time with the critical path and the work bound (notes: {@link criticalPathNotes}). */
export function criticalPathChart(run: RunAnalysis): string {
  const bars = criticalPathBars(run);
  const W = 1200, L = 140, R = 110, rowH = 30, T = 6;
  const H = T + bars.length * rowH + 6;
  const max = Math.max(1e-9, ...bars.map((b) => b.s));
  const pw = W - L - R;
  const out: string[] = [`<svg class="chart critical" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="critical path against achieved time">`];
  bars.forEach((b, i) => {
    const y = T + i * rowH;
    const w = Math.max(1, (b.s / max) * pw);
    out.push(`<g class="bar" data-bar="${b.key}" data-seconds="${b.s}" transform="translate(0,${y})">`);
    out.push(`<text x="${L - 10}" y="13" dy="0.35em" text-anchor="end" class="name">${esc(b.label)}</text>`);
    out.push(`<rect x="${L}" y="3" width="${px(w)}" height="20" rx="2" fill="${b.color}"><title>${esc(b.note)}</title></rect>`);
    out.push(`<text x="${px(L + w + 8)}" y="13" dy="0.35em" class="value">${esc(fmtMs(b.s * 1000))}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '—';
}

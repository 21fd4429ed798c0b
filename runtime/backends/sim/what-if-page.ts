/**
 * A what-if study as one self-contained HTML page (no network access, like `lapwing report`):
 * a table of the simulated cases and SVG plots — bars per case, and lines over time (executors
 * of each case from its sample records). The examples/sim-*.ts scripts write it with --html.
 */
import { writeFile } from 'node:fs/promises';
import { lineChart, type LineSeries } from '../../report/charts.ts';
import { esc, fmtTick, niceTicks, px } from '../../report/format.ts';
import type { SampleTrace } from '../../core/interfaces.ts';

/** Colours of the cases, in order (distinct on white, as the report's kernels). */
export const CASE_COLORS = ['#3f6fa6', '#d1843a', '#4d9a5b', '#b3474b', '#7c5ea8', '#8c6d46'];

export interface Bar {
  readonly name: string;
  readonly value: number;
}

/** Vertical bars, one per case, with their values written above them. */
export function barChart(o: { className: string; label: string; yLabel: string; bars: readonly Bar[]; format?: (v: number) => string }): string {
  const W = 420, H = 230, L = 52, R = 12, T = 24, B = 40;
  const pw = W - L - R, ph = H - T - B;
  const max = Math.max(0, ...o.bars.map((b) => b.value));
  const yt = niceTicks(max > 0 ? max : 1, 4, true);
  const yMax = yt.ticks[yt.ticks.length - 1]!;
  const Y = (v: number): number => T + ph - (v / yMax) * ph;
  const slot = pw / Math.max(1, o.bars.length);
  const fmt = o.format ?? ((v: number) => fmtTick(v, yt.step));
  const out = [`<svg class="chart bars ${esc(o.className)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(o.label)}">`, '<g class="grid">'];
  for (const v of yt.ticks) out.push(`<line x1="${L}" x2="${L + pw}" y1="${px(Y(v))}" y2="${px(Y(v))}"/>`);
  out.push('</g><g class="axis">');
  for (const v of yt.ticks) out.push(`<text x="${L - 6}" y="${px(Y(v))}" dy="0.35em" text-anchor="end">${fmtTick(v, yt.step)}</text>`);
  out.push(`<text x="${L - 6}" y="${T - 12}" text-anchor="end" class="unit">${esc(o.yLabel)}</text></g>`);
  o.bars.forEach((b, i) => {
    const x = L + i * slot + slot * 0.2;
    const w = slot * 0.6;
    const color = CASE_COLORS[i % CASE_COLORS.length]!;
    out.push(`<rect class="bar" data-case="${esc(b.name)}" data-value="${b.value}" x="${px(x)}" y="${px(Y(b.value))}" width="${px(w)}" height="${px(Y(0) - Y(b.value))}" fill="${color}"><title>${esc(`${b.name}: ${fmt(b.value)}`)}</title></rect>`);
    out.push(`<text x="${px(x + w / 2)}" y="${px(Y(b.value) - 4)}" text-anchor="middle">${esc(fmt(b.value))}</text>`);
    out.push(`<text x="${px(x + w / 2)}" y="${T + ph + 16}" text-anchor="middle">${esc(b.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

/** Executors over time of each case, from its sample records (seconds since its first sample). */
export function executorsOverTime(cases: readonly { name: string; samples: readonly SampleTrace[] }[]): string {
  let xMax = 0;
  const series: LineSeries[] = cases.map((c, i) => {
    const t0 = c.samples[0]?.time ?? 0;
    const t = c.samples.map((s) => (s.time - t0) / 1000);
    xMax = Math.max(xMax, t.at(-1) ?? 0);
    // Not a step series: a step line is held to the chart's end, past a shorter case's end.
    return { name: c.name, color: CASE_COLORS[i % CASE_COLORS.length]!, series: { t, v: c.samples.map((s) => s.executors) } };
  });
  return lineChart({ className: 'executors', label: 'executors over time', xMax, yLabel: 'executors', series, width: 1000, height: 240 });
}

export interface WhatIfPage {
  readonly title: string;
  /** One paragraph: what was simulated and how to reproduce it. */
  readonly intro: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** Plots: a heading and SVG markup each. */
  readonly charts: readonly { readonly title: string; readonly svg: string; /** Spans the page's width. */ readonly wide?: boolean }[];
}

/** The page's HTML. */
export function renderWhatIf(p: WhatIfPage): string {
  const cell = (v: string | number): string => `<td>${esc(typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4)) : v)}</td>`;
  const legend = p.rows.map((r, i) => `<span class="key"><i style="background:${CASE_COLORS[i % CASE_COLORS.length]}"></i>${esc(r[0])}</span>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${esc(p.title)}</title>
<style>
body { margin:0; background:#f5f7fa; color:#1d2330; font: 14px/1.45 system-ui, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 21px; margin: 0 0 8px; } h2 { font-size: 15px; margin: 0 0 8px; }
section { background:#fff; border:1px solid #e3e7ee; border-radius:8px; padding: 14px 16px; margin-bottom: 16px; }
.grid2 { display:grid; grid-template-columns: 1fr 1fr; gap: 16px; } .grid2 .wide { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e3e7ee; text-align: right; } th:first-child, td:first-child { text-align: left; }
.hint { color:#5f6b7a; font-size: 12.5px; }
.legend { display:flex; flex-wrap:wrap; gap: 4px 14px; font-size: 12.5px; margin: 4px 0 8px; }
.key i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; }
svg { display:block; overflow: visible; } svg text { font-size: 11px; fill: #4a5563; } svg .unit { fill:#5f6b7a; }
svg .grid line { stroke:#e3e7ee; } svg .axis line { stroke:#9aa4b2; }
</style>
</head>
<body><main>
<h1>${esc(p.title)}</h1>
<p class="hint">${esc(p.intro)}</p>
<section id="cases"><h2>Cases</h2><table><thead><tr>${p.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${p.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table></section>
<div class="legend">${legend}</div>
<div class="grid2">${p.charts.map((c) => `<section class="plot${c.wide ? ' wide' : ''}"><h2>${esc(c.title)}</h2>${c.svg}</section>`).join('')}</div>
</main></body>
</html>
`;
}

/**
 * The page to write, if the script's arguments name one (removed from them): an argument
 * ending in `.html` (`lapwing run` takes no options of its own after the script's name's
 * arguments, so no `--html` flag is needed).
 */
export function htmlOption(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a.endsWith('.html'));
  if (i < 0) return undefined;
  return argv.splice(i, 1)[0];
}

/** Writes the page to `file`. */
export async function writeWhatIf(file: string, p: WhatIfPage): Promise<void> {
  await writeFile(file, renderWhatIf(p));
}

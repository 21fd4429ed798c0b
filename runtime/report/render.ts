/**
 * The report page: one self-contained HTML file (inline styles and script, no fonts, images or
 * URLs; a Content-Security-Policy forbids any network access) built from a trace.
 *
 * Sections: summary cards · task-stream timeline · executors and queue depth over time ·
 * GFLOP/s over time · time per kernel (read / compute / write) · critical path against
 * achieved time · AWS cost estimate. The page's script only turns `<title>`s into a tooltip
 * that follows the pointer; without it the titles still work as native tooltips.
 */
import { analyzeTrace } from './analysis.ts';
import type { RunAnalysis } from './analysis.ts';
import { criticalPathBars, criticalPathChart, kernelBreakdown, lineChart } from './charts.ts';
import { PHASE_COLORS, RETRY_COLOR, kernelColors } from './colors.ts';
import { estimateCost } from './cost.ts';
import type { CostEstimate } from './cost.ts';
import { esc, fmtBytes, fmtInt, fmtMs, fmtNum, fmtUsd } from './format.ts';
import { DEFAULT_PRICES } from './prices.ts';
import type { Prices } from './prices.ts';
import { MAX_MARKS, renderTimeline } from './timeline.ts';
import type { TraceFile } from '../tracing/trace-file.ts';

/** Options of {@link renderReport}. */
export interface ReportOptions {
  /** Prices for the cost estimate (default {@link DEFAULT_PRICES}). */
  readonly prices?: Prices;
  /** Executor memory for the cost estimate, overriding the trace header's. */
  readonly memoryMb?: number;
  /** Page title (default: from the header). */
  readonly title?: string;
  /** Name of the trace file, shown in the footer. */
  readonly source?: string;
  /** Attempts drawn one mark each before the timeline bins (default {@link MAX_MARKS}). */
  readonly maxMarks?: number;
  /** Time shown as "generated at" (default: now). */
  readonly generatedAt?: Date;
  /** The simulator's prediction of this run, shown beside what was measured. */
  readonly prediction?: ReportPrediction;
}

/** What `lapwing simulate` predicted for the run's setting (`lapwing report --predict`). */
export interface ReportPrediction {
  /** Calibration profile of the simulation ('local', 'emulated', 'aws'). */
  readonly profile: string;
  /** The command that reproduces the prediction. */
  readonly command: string;
  readonly wallS: number;
  readonly criticalPathS: number | null;
  readonly tasks: number;
  readonly attempts: number;
  /** Summed over attempts: reading inputs, kernels, writing outputs (seconds). */
  readonly readS: number;
  readonly computeS: number;
  readonly writeS: number;
  /** Null when the simulation ran no AWS services (the local profile). */
  readonly costUsd: number | null;
  readonly bottleneck: string;
}

/**
 * Renders the HTML report of a trace.
 *
 * @example
 * const html = renderReport(await readTrace('run.jsonl'), { source: 'run.jsonl' });
 * await writeFile('report.html', html);
 */
export function renderReport(trace: TraceFile, options: ReportOptions = {}): string {
  const run = analyzeTrace(trace);
  const prices = options.prices ?? DEFAULT_PRICES;
  const cost = estimateCost(run, prices, { memoryMb: options.memoryMb });
  const colors = kernelColors(run.kernels.map((k) => k.kernel));
  const h = run.header;
  const title = options.title ?? `${h.algorithm}${h.n !== undefined ? ` n=${h.n}` : ''}${h.block !== undefined ? ` block=${h.block}` : ''}`;
  const maxMarks = options.maxMarks ?? MAX_MARKS;
  const binned = run.attempts.length > maxMarks;

  const body = [
    header(run, title),
    cards(run),
    options.prediction ? predictionSection(run, cost, options.prediction) : '',
    run.warnings.length > 0 ? `<section class="warnings"><h2>Warnings</h2><ul>${run.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>` : '',
    `<section id="timeline"><h2>Task stream</h2>
      <p class="hint">One row per executor, one mark per task attempt, coloured by kernel; <span class="retry-key">red outline</span>: re-executed (a retry, or an attempt that did not end ok). Hover a mark for the task.</p>
      ${legend(colors)}
      ${renderTimeline(run, colors, { maxMarks })}
      ${binned ? `<p class="note">${fmtInt(run.attempts.length)} attempts is more than ${fmtInt(maxMarks)}, so each row is drawn as time bins (about 2 px wide) coloured by the busiest kernel, opacity by how busy the executor was; re-executed attempts are still drawn one by one. Each row's exact attempt count is in its tooltip and <code>data-attempts</code>.</p>` : ''}
    </section>`,
    `<div class="pair">
      <section id="executors"><h2>Executors and queue depth</h2>${executorsChart(run)}</section>
      <section id="gflops"><h2>GFLOP/s over time</h2>${lineChart({ className: 'gflops', label: 'GFLOP/s over time', xMax: run.spanMs / 1000, yLabel: 'GFLOP/s',
        series: [{ name: 'GFLOP/s (successful attempts, spread over their compute phase)', color: '#3f6fa6', series: run.gflopsSeries, step: true, area: true }] })}
        <p class="hint">Average ${fmtNum(run.gflops)} GFLOP/s over the run; ${fmtNum(run.totalFlops / 1e9)} GFLOP in successful attempts.</p></section>
    </div>`,
    kernelsSection(run, colors),
    criticalSection(run),
    costSection(cost),
    `<footer>lapwing report${options.source ? ` of <code>${esc(options.source)}</code>` : ''} · generated ${esc((options.generatedAt ?? new Date()).toISOString())} · self-contained: no network access</footer>`,
  ].join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${esc(`lapwing · ${title}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
<div id="tip" role="tooltip" hidden></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function header(run: RunAnalysis, title: string): string {
  const h = run.header;
  const facts = [
    ['job', h.job], ['backend', h.backend], ['kernels', h.kernels], ['workers', String(h.workers)],
    ['started', new Date(h.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')],
  ];
  const outcome = run.summary ? (run.summary.ok ? '<span class="badge ok">ok</span>' : '<span class="badge failed">failed</span>') : '<span class="badge unknown">no summary</span>';
  return `<header><h1>${esc(title)} ${outcome}</h1><p class="facts">${facts.map(([k, v]) => `<span><b>${esc(k)}</b> ${esc(v)}</span>`).join('')}</p>${run.summary?.error ? `<p class="error">${esc(run.summary.error)}</p>` : ''}</header>`;
}

function cards(run: RunAnalysis): string {
  const total = run.header.totalTasks ?? run.summary?.tasks;
  const residual = run.summary?.residual;
  const items: [string, string, string][] = [
    ['wall', fmtMs(run.wallS * 1000), 'wall time'],
    ['gflops', fmtNum(run.gflops), 'GFLOP/s'],
    ['tasks', fmtInt(run.tasksDone), total !== undefined ? `of ${fmtInt(total)} tasks done` : 'tasks done'],
    ['attempts', fmtInt(run.attempts.length), `attempts · ${fmtInt(run.reexecuted)} re-executed`],
    ['executors', fmtInt(run.peakExecutors), `executors at peak · ${fmtInt(run.executors.length)} seen`],
    ['first-lease', run.firstLeaseMs === null ? '—' : fmtMs(run.firstLeaseMs), 'to the first lease'],
    ['utilisation', run.executorSeconds > 0 ? `${Math.round((100 * run.busyMs) / 1000 / run.executorSeconds)}%` : '—', 'executor time busy with tasks'],
  ];
  if (residual !== undefined && residual !== null) items.push(['residual', residual.toExponential(2), 'relative residual']);
  return `<section class="cards">${items.map(([k, v, l]) => `<div class="card" data-card="${k}"><div class="v">${esc(v)}</div><div class="l">${esc(l)}</div></div>`).join('')}</section>`;
}

function legend(colors: ReadonlyMap<string, string>): string {
  const items = [...colors.entries()].map(([k, c]) => `<span class="key"><i style="background:${c}"></i>${esc(k)}</span>`);
  items.push(`<span class="key"><i class="retry-swatch" style="border-color:${RETRY_COLOR}"></i>re-executed</span>`);
  return `<div class="legend">${items.join('')}</div>`;
}

function executorsChart(run: RunAnalysis): string {
  const keysOf = (series: readonly { name: string; color: string }[]): string =>
    `<div class="legend">${series.map((s) => `<span class="key"><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join('')}</div>`;
  const series = [
    { name: run.executorSeriesSource === 'samples' ? 'executors' : 'executors (first to last attempt)', color: '#3f6fa6', series: run.executorSeries, step: true },
    { name: 'executors busy (average)', color: '#59a14f', series: run.busy, step: true },
  ];
  // Drawn in reverse so the executor count (first in the legend) stays on top where lines overlap.
  // The queue has its own chart: a depth of hundreds would flatten a handful of executors.
  const chart = lineChart({ className: 'executors', label: 'executors over time', xMax: run.spanMs / 1000, yLabel: 'executors', series: [...series].reverse() });
  const queue: typeof series = [];
  if (run.queueVisible) queue.push({ name: 'queue: visible', color: '#f28e2b', series: run.queueVisible, step: true });
  if (run.queueInFlight) queue.push({ name: 'queue: in flight', color: '#b07aa1', series: run.queueInFlight, step: true });
  const queueChart = queue.length === 0 ? ''
    : keysOf(queue) + lineChart({ className: 'queue', label: 'queue depth over time', xMax: run.spanMs / 1000, yLabel: 'messages', series: [...queue].reverse() });
  const note = run.queueVisible ? '' : '<p class="hint">The trace has no samples, so queue depth is unknown and executors are counted from their attempts.</p>';
  return `${keysOf(series)}${chart}${queueChart}${note}`;
}

function kernelsSection(run: RunAnalysis, colors: ReadonlyMap<string, string>): string {
  const phases = (['read', 'compute', 'write', 'other'] as const)
    .map((p) => `<span class="key"><i style="background:${PHASE_COLORS[p]}"></i>${p === 'other' ? 'mark + ack' : p}</span>`).join('');
  const rows = run.kernels.map((k) => {
    const gf = k.computeMs > 0 ? k.flops / (k.computeMs / 1000) / 1e9 : 0;
    return `<tr data-kernel="${esc(k.kernel)}"><td><i class="sw" style="background:${colors.get(k.kernel)}"></i>${esc(k.kernel)}</td><td>${fmtInt(k.attempts)}</td><td>${fmtInt(k.attempts - k.ok)}</td>`
      + `<td>${fmtMs(k.readMs)}</td><td>${fmtMs(k.computeMs)}</td><td>${fmtMs(k.writeMs)}</td><td>${fmtMs(k.otherMs)}</td><td>${fmtMs(k.waitMs)}</td>`
      + `<td>${fmtMs(k.medianMs)}</td><td>${fmtMs(k.medianComputeMs)}</td><td>${gf > 0 ? fmtNum(gf) : '—'}</td></tr>`;
  }).join('');
  const bytesRead = run.attempts.reduce((s, a) => s + a.rec.bytesRead, 0);
  const bytesWritten = run.attempts.reduce((s, a) => s + a.rec.bytesWritten, 0);
  return `<section id="kernels"><h2>Time per kernel</h2><div class="legend">${phases}</div>${kernelBreakdown(run.kernels, colors)}
    <table class="num"><thead><tr><th>kernel</th><th>attempts</th><th>not ok</th><th>read</th><th>compute</th><th>write</th><th>mark + ack</th><th>waiting for the kernel thread</th><th>median task</th><th>median compute</th><th>GFLOP/s in compute</th></tr></thead><tbody>${rows}</tbody></table>
    <p class="hint">Times are summed over all attempts. Compute is the kernels' own time on their threads; an executor's task slots overlap, so an attempt may wait for its kernel thread — that wait is shown apart and is in no total. Blocks moved: ${fmtBytes(bytesRead)} read, ${fmtBytes(bytesWritten)} written.</p></section>`;
}

function criticalSection(run: RunAnalysis): string {
  const bars = criticalPathBars(run);
  const bound = Math.max(run.workBoundS, run.criticalPath.seconds ?? 0);
  const ratio = bound > 0 ? run.wallS / bound : NaN;
  const notes = bars.map((b) => `<li><b>${esc(b.label)}</b> ${fmtMs(b.s * 1000)}: ${esc(b.note)}</li>`).join('');
  const verdict = Number.isFinite(ratio)
    ? `<p class="verdict" data-ratio="${ratio.toFixed(3)}">The run took <b>${ratio.toFixed(2)}×</b> its lower bound (the larger of the critical path and the work bound).</p>`
    : '';
  const missing = run.criticalPath.seconds === null ? `<p class="hint">The critical path is unknown (${esc(run.criticalPath.source)}).</p>` : '';
  return `<section id="critical"><h2>Critical path against achieved time</h2>${criticalPathChart(run)}<ul class="notes">${notes}</ul>${verdict}${missing}</section>`;
}

function predictionSection(run: RunAnalysis, cost: CostEstimate, p: ReportPrediction): string {
  const sum = (f: (k: RunAnalysis['kernels'][number]) => number): number => run.kernels.reduce((a, k) => a + f(k), 0) / 1000;
  const rows: [string, string, number | null, number | null, (x: number) => string][] = [
    ['wall', 'wall time', p.wallS, run.wallS, (x) => fmtMs(x * 1000)],
    ['critical', 'critical path', p.criticalPathS, run.criticalPath.seconds, (x) => fmtMs(x * 1000)],
    ['tasks', 'tasks done', p.tasks, run.tasksDone, fmtInt],
    ['attempts', 'attempts', p.attempts, run.attempts.length, fmtInt],
    ['read', 'reading inputs (summed)', p.readS, sum((k) => k.readMs), (x) => fmtMs(x * 1000)],
    ['compute', 'kernels (summed)', p.computeS, sum((k) => k.computeMs), (x) => fmtMs(x * 1000)],
    ['write', 'writing outputs (summed)', p.writeS, sum((k) => k.writeMs), (x) => fmtMs(x * 1000)],
    ['cost', 'AWS cost', p.costUsd, cost.totalUsd, fmtUsd],
  ];
  const cell = (x: number | null, f: (x: number) => string): string => (x === null || !Number.isFinite(x) ? '—' : f(x));
  const body = rows.map(([key, label, pred, meas, f]) => {
    const ratio = pred !== null && meas !== null && meas > 0 ? pred / meas : null;
    return `<tr data-quantity="${key}"${pred !== null ? ` data-predicted="${pred}"` : ''}${meas !== null ? ` data-measured="${meas}"` : ''}><td>${esc(label)}</td><td>${cell(pred, f)}</td><td>${cell(meas, f)}</td><td>${ratio === null ? '—' : `${ratio.toFixed(2)}×`}</td></tr>`;
  }).join('');
  return `<section id="prediction"><h2>Predicted beside measured</h2>
    <table class="num prediction"><thead><tr><th>quantity</th><th>predicted</th><th>measured</th><th>predicted ÷ measured</th></tr></thead><tbody>${body}</tbody></table>
    <p class="hint">Predicted by the simulator (profile <b>${esc(p.profile)}</b>): the real driver and executors in virtual time against models of the services, kernels timed from a <code>bench kernels</code> profile. Reproduce with <code>${esc(p.command)}</code>. Predicted bottleneck: ${esc(p.bottleneck)}. The measured cost is this report's estimate from the trace (below).</p></section>`;
}

function costSection(cost: CostEstimate): string {
  const p = cost.prices;
  const rows = cost.lines.map((l) => `<tr data-service="${esc(l.service)}"><td>${esc(l.service)}</td><td>${esc(l.item)}</td><td>${fmtNum(l.quantity)} ${esc(l.unit)}</td><td>${esc(unitPrice(l.unitPrice, l.unit))}</td><td>${fmtUsd(l.usd)}</td></tr>`).join('');
  return `<section id="cost"><h2>AWS cost estimate</h2>
    <table class="num cost"><thead><tr><th>service</th><th>item</th><th>quantity</th><th>price</th><th>cost</th></tr></thead>
    <tbody>${rows}</tbody><tfoot><tr><td colspan="4">total for this run</td><td data-total-usd="${cost.totalUsd}">${fmtUsd(cost.totalUsd)}</td></tr></tfoot></table>
    <p class="hint">Public ${esc(p.region)} on-demand prices as of ${esc(p.date)}, free tiers ignored; override with <code>lapwing report --prices prices.json</code>.
    Estimated usage: executor memory ${cost.usage.memoryMb} MB; S3 requests from bytes moved ÷ block size; ${p.sqsRequestsPerAttempt} SQS requests and ${p.dynamoReadsPerAttempt} DynamoDB read unit per attempt, ${p.dynamoWritesPerOkAttempt} write units per successful attempt. Input upload and result download are not included.</p></section>`;
}

function unitPrice(usd: number, unit: string): string {
  const per = unit === 'GB-s' ? 1 : 1e6;
  return per === 1 ? `$${usd.toPrecision(6)} / ${unit}` : `$${(usd * per).toPrecision(3)} / M ${unit}`;
}

const STYLE = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#e3e7ee; --bg:#f5f7fa; --card:#fff; --retry:${RETRY_COLOR}; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 40px; }
header h1 { font-size: 22px; margin: 0 0 4px; font-weight: 650; }
.facts { margin: 0 0 14px; color: var(--muted); display:flex; flex-wrap:wrap; gap: 4px 18px; }
.facts b { color: var(--fg); font-weight: 600; margin-right: 4px; }
.badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; vertical-align: middle; font-weight: 600; }
.badge.ok { background:#e3f4e6; color:#1e7b34; } .badge.failed { background:#fde4e4; color:#b3261e; } .badge.unknown { background:#eceff3; color:var(--muted); }
.error { color:#b3261e; }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(132px, 1fr)); gap: 10px; margin-bottom: 16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 14px; }
.card .v { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .l { color: var(--muted); font-size: 12px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding: 14px 16px; margin-bottom: 16px; }
section.cards { background:none; border:0; padding:0; }
section.warnings { border-color:#f0c36d; background:#fffaf0; }
h2 { font-size: 16px; margin: 0 0 8px; font-weight: 650; }
.pair { display:grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.pair section { margin-bottom: 16px; }
@media (max-width: 900px) { .pair { grid-template-columns: 1fr; } }
.hint, .note { color: var(--muted); font-size: 12.5px; margin: 4px 0 8px; }
.retry-key { color: var(--retry); font-weight: 600; }
.legend { display:flex; flex-wrap:wrap; gap: 4px 14px; font-size: 12.5px; margin: 4px 0 8px; }
.key i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
.key i.retry-swatch { background:#fff; border:2px solid; }
i.sw { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }
svg { display:block; overflow: visible; }
svg text { font-size: 11px; fill: #4a5563; font-family: inherit; }
svg .unit { fill: var(--muted); font-size: 10.5px; }
svg .grid line { stroke: #edf0f4; }
svg .axis line { stroke: #9aa4b2; }
svg.timeline .stripe { fill: #f6f8fb; }
svg.timeline .attempt { stroke-width: 0; }
svg.timeline .attempt.retry { stroke-width: 1.6; stroke: var(--retry); }
svg.timeline .attempt:hover, svg.timeline .bin:hover { stroke: #111; stroke-width: 1.2; }
svg.timeline .label { font-size: 10.5px; }
svg.kernels .name, svg.critical .name { font-size: 12px; fill: var(--fg); }
svg.kernels .value, svg.critical .value { font-size: 11.5px; }
table { border-collapse: collapse; width: 100%; margin-top: 10px; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
table.num td:not(:first-child), table.num th:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
table.cost td:nth-child(2), table.cost th:nth-child(2) { text-align: left; }
tfoot td { font-weight: 650; border-bottom: 0; }
ul.notes { margin: 6px 0; padding-left: 18px; color: var(--muted); font-size: 12.5px; }
ul.notes b { color: var(--fg); }
.verdict { margin: 6px 0 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; background:#eef1f5; padding: 1px 4px; border-radius: 3px; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 8px; }
#tip { position: fixed; z-index: 10; pointer-events: none; max-width: 460px; white-space: pre-line; background: rgba(24,28,36,.94); color: #fff;
  font-size: 12px; line-height: 1.45; padding: 7px 10px; border-radius: 6px; box-shadow: 0 4px 14px rgba(0,0,0,.18); }
`;

// Moves each SVG <title> into data-tip (no double tooltip) and shows it next to the pointer.
const SCRIPT = `
(function () {
  var tip = document.getElementById('tip');
  var titles = document.querySelectorAll('svg title');
  for (var i = 0; i < titles.length; i++) {
    var t = titles[i], p = t.parentNode;
    if (p && p.tagName !== 'svg') { p.setAttribute('data-tip', t.textContent); p.removeChild(t); }
  }
  function place(e) {
    var pad = 14, w = tip.offsetWidth, h = tip.offsetHeight;
    var x = e.clientX + pad, y = e.clientY + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, e.clientX - w - pad);
    if (y + h > window.innerHeight - 4) y = Math.max(4, e.clientY - h - pad);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  document.addEventListener('mouseover', function (e) {
    var el = e.target && e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
    place(e);
  });
  document.addEventListener('mousemove', function (e) { if (!tip.hidden) place(e); });
  document.addEventListener('mouseleave', function () { tip.hidden = true; });
})();
`;

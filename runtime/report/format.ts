/**
 * Escaping and number formatting shared by the report's HTML and SVG pieces. Every string from
 * a trace goes through {@link esc} before it reaches the page (task names, errors, job ids).
 */

const ESC: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG element content and double- or single-quoted attributes. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** Rounds a coordinate to 0.1 px to keep the SVG small. */
export function px(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** A duration in ms for people: 0.42 ms, 12.3 ms, 1.23 s, 2 min 03 s. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** Seconds on an axis: as many decimals as the tick step needs. */
export function fmtSeconds(s: number, step: number): string {
  return fmtTick(s, step);
}

/** 1234567 → "1,234,567". */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A number with ~3 significant digits and a k/M/G suffix where it helps. */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(x / 1e3).toPrecision(3)}k`;
  if (a >= 100 || Number.isInteger(x)) return x.toFixed(0);
  return x.toPrecision(3);
}

/** Bytes as B / KB / MB / GB (decimal units). */
export function fmtBytes(b: number): string {
  if (b < 1e3) return `${b} B`;
  if (b < 1e6) return `${(b / 1e3).toFixed(1)} KB`;
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e9).toFixed(2)} GB`;
}

/** US dollars: cents for large amounts, significant digits for tiny ones ($0.000042). */
export function fmtUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  if (usd >= 0.01) return `$${usd.toFixed(4)}`;
  // Two significant digits without exponent notation: $0.00000080, not $8.0e-7.
  return `$${usd.toFixed(Math.min(12, Math.ceil(-Math.log10(usd)) + 1))}`;
}

/**
 * "Nice" tick values (1, 2, 5 × 10^k steps) from 0: up to `max` (a time axis ends with the
 * data), or with `cover` up to the first tick ≥ `max` (a value axis must contain the data).
 */
export function niceTicks(max: number, target = 6, cover = false): { step: number; ticks: number[] } {
  if (!(max > 0)) return { step: 1, ticks: [0, 1] };
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) ticks.push(i * step);
  if (cover && ticks[ticks.length - 1]! < max * (1 - 1e-9)) ticks.push(ticks.length * step);
  return { step, ticks };
}

/** A tick label with as many decimals as the step needs (no "5.00" on an integer axis). */
export function fmtTick(v: number, step: number): string {
  if (step >= 1e4) return fmtNum(v);
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toFixed(decimals);
}

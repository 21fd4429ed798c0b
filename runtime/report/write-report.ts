/**
 * The `lapwing report` pipeline as a function: read a trace, load prices, render, write.
 */
import { writeFile } from 'node:fs/promises';
import { LapwingError } from '../core/errors.ts';
import { basename } from 'node:path';
import { DEFAULT_PRICES, loadPrices } from './prices.ts';
import { renderReport } from './render.ts';
import { readTrace, type TraceFile } from '../tracing/trace-file.ts';
import type { ReportPrediction } from './render.ts';

export interface WriteReportOptions {
  /** A prices JSON file merged over the defaults. */
  readonly pricesPath?: string;
  readonly memoryMb?: number;
  readonly title?: string;
  /** Predicts the traced run (the simulator, given by the caller); shown beside the measurement. */
  readonly predict?: (trace: TraceFile) => Promise<ReportPrediction>;
}

export interface WriteReportResult {
  readonly attempts: number;
  readonly executors: number;
  readonly bytes: number;
  /** Non-fatal problems with the trace (e.g. a truncated last line). */
  readonly warnings: readonly string[];
}

/**
 * Reads the trace at `tracePath` and writes its HTML report to `outPath`.
 * Throws TraceFileError / PricesError (each with a `code`) for user mistakes.
 */
export async function writeReport(tracePath: string, outPath: string, options: WriteReportOptions = {}): Promise<WriteReportResult> {
  const trace = await readTrace(tracePath);
  const prices = options.pricesPath ? await loadPrices(options.pricesPath) : DEFAULT_PRICES;
  const prediction = options.predict ? await options.predict(trace) : undefined;
  const html = renderReport(trace, { prices, memoryMb: options.memoryMb, title: options.title, source: basename(tracePath), ...(prediction ? { prediction } : {}) });
  try {
    await writeFile(outPath, html);
  } catch (e) {
    throw new LapwingError('REPORT_WRITE', `cannot write ${outPath}: ${(e as Error).message}`, { userFacing: true, cause: e });
  }
  return {
    attempts: trace.attempts.length,
    executors: new Set(trace.attempts.map((a) => a.executor)).size,
    bytes: Buffer.byteLength(html),
    warnings: trace.warnings,
  };
}

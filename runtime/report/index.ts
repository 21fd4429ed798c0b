/**
 * Run traces and the HTML report: write a trace during a run (TraceWriter), read it back
 * (readTrace) and render a self-contained report (renderReport / writeReport).
 */
export { TraceWriter, TraceFileError, readTrace, parseTrace, TRACE_VERSION } from '../tracing/trace-file.ts';
export type { TraceHeader, TraceHeaderInit, TraceSummary, TraceFile, TraceWriterOptions } from '../tracing/trace-file.ts';
export { analyzeTrace, attemptEnd } from './analysis.ts';
export { median } from '../core/util.ts';
export type { RunAnalysis, AttemptSpan, KernelStats, Series, CriticalPath } from './analysis.ts';
export { DEFAULT_PRICES, PricesError, loadPrices, mergePrices } from './prices.ts';
export type { Prices } from './prices.ts';
export { estimateCost, usageOf, priceUsage, blockRequests } from './cost.ts';
export type { Usage, CostLine, CostEstimate } from './cost.ts';
export { renderReport } from './render.ts';
export type { ReportOptions, ReportPrediction } from './render.ts';
export { MAX_MARKS, MAX_RETRY_MARKS } from './timeline.ts';
export { writeReport } from './write-report.ts';
export type { WriteReportOptions, WriteReportResult } from './write-report.ts';

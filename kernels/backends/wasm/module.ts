/**
 * Finds, builds if needed, validates and compiles the kernels' WebAssembly binary.
 *
 * `build.mjs` writes two binaries next to this file: `lapwing.wasm` (simd128) and
 * `lapwing-relaxed.wasm` (simd128 + relaxed-simd, whose f64x2.relaxed_madd compiles to a
 * hardware FMA). The relaxed one is used when the engine validates it (Node 22+) unless
 * `LAPWING_WASM_RELAXED=0`. `LAPWING_WASM_FILE` names a binary to load instead (e.g. inside a
 * bundle where the sources are absent). A checkout where `npm install` did not run `prepare`
 * still works: a missing binary, or one older than its sources, is rebuilt here once, with a
 * one-line note on stderr.
 *
 * Tiering: V8 runs a function in its baseline compiler until it is hot, then in optimized code
 * from its next call (wasm has no on-stack replacement). The hot loops here live in functions
 * called many times per kernel (the gemm macro-kernel per cache block, the panel and base
 * cases), so even a first call runs mostly optimized: measured, forcing `--no-liftoff` did not
 * change first-call times, so V8's defaults are kept.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { webAssembly, type WasmModule } from './wasm-api.ts';

/** A compiled kernel module and where it came from. */
export interface WasmKernelModule {
  readonly module: WasmModule;
  /** Path of the binary that was compiled. */
  readonly file: string;
  /** Whether it uses relaxed SIMD (fused multiply-add). */
  readonly relaxed: boolean;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const SIMD_FILE = join(here, 'lapwing.wasm');
const RELAXED_FILE = join(here, 'lapwing-relaxed.wasm');
const BUILD_SCRIPT = join(here, 'build.mjs');
const SOURCE_DIR = join(here, 'assembly');

let compiled: Promise<WasmKernelModule> | undefined;

/** The compiled kernel module, shared by every backend instance of this thread. */
export function wasmKernelModule(): Promise<WasmKernelModule> {
  compiled ??= compile().catch((e: unknown) => {
    compiled = undefined; // let a later call retry (e.g. after the user fixed the build)
    throw e;
  });
  return compiled;
}

async function compile(): Promise<WasmKernelModule> {
  const explicit = process.env.LAPWING_WASM_FILE;
  if (explicit) {
    const bytes = await readFile(explicit);
    return { module: await webAssembly.compile(bytes), file: explicit, relaxed: explicit.includes('relaxed') };
  }
  await ensureBuilt();
  if (process.env.LAPWING_WASM_RELAXED !== '0' && existsSync(RELAXED_FILE)) {
    const bytes = await readFile(RELAXED_FILE);
    if (webAssembly.validate(bytes)) return { module: await webAssembly.compile(bytes), file: RELAXED_FILE, relaxed: true };
  }
  const bytes = await readFile(SIMD_FILE);
  return { module: await webAssembly.compile(bytes), file: SIMD_FILE, relaxed: false };
}

/** Why the binary must be (re)built, or undefined when it is up to date. */
function staleReason(): string | undefined {
  if (!existsSync(SIMD_FILE)) return 'is missing';
  if (!existsSync(SOURCE_DIR)) return undefined; // deployed without sources: use what is there
  const built = statSync(SIMD_FILE).mtimeMs;
  const sources = [BUILD_SCRIPT, ...readdirSync(SOURCE_DIR).map((f) => join(SOURCE_DIR, f))];
  return sources.some((f) => statSync(f).mtimeMs > built) ? 'is older than its sources' : undefined;
}

async function ensureBuilt(): Promise<void> {
  const why = staleReason();
  if (!why) return;
  process.stderr.write(`lapwing: building the wasm kernels (${SIMD_FILE} ${why})\n`);
  try {
    await promisify(execFile)(process.execPath, [BUILD_SCRIPT, '--quiet'], { maxBuffer: 16 << 20 });
  } catch (e) {
    const detail = (e as { stderr?: string }).stderr?.trim() || String(e);
    if (existsSync(SIMD_FILE)) {
      process.stderr.write(`lapwing: wasm rebuild failed, using the existing binary: ${detail.split('\n')[0]}\n`);
      return;
    }
    throw new Error(`cannot build the wasm kernels (node ${BUILD_SCRIPT}): ${detail}`);
  }
}

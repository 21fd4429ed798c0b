/**
 * Bundles the Lambda handler with esbuild: one ESM file `handler.mjs` (Lambda handler string
 * `handler.handler`) with the SDK, lang/, kernels/ and runtime/ inside, the kernel thread
 * `kernel-thread-entry.mjs` (the name the handler starts it by), plus the wasm kernel binaries
 * next to them (the wasm loader reads them relative to its own module URL).
 *
 * `koffi` (native FFI, no Lambda build) is replaced by a stub that fails when loaded, so the
 * openblas backend reports itself unavailable and `auto` picks wasm.
 *
 * It bundles the TypeScript sources, which the package ships next to its compiled dist/; the
 * package root is found by walking up from this module, which is three directories deep in the
 * source tree but a chunk directly in dist/ once compiled.
 */
import { build, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createZip } from './zip.ts';

/** The nearest directory above this module with lapwing's package.json. */
function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'lapwing') return dir;
    if (dirname(dir) === dir) throw new Error(`no lapwing package.json above ${fileURLToPath(import.meta.url)}`);
  }
}

const ROOT = packageRoot();
const ENTRY = join(ROOT, 'runtime/backends/aws/executors/handler.ts');
/** The kernel thread's module; the handler starts it as `kernel-thread-entry.mjs` next to itself. */
const KERNEL_THREAD = join(ROOT, 'runtime/backends/local/kernel-thread.ts');
const WASM_DIR = join(ROOT, 'kernels/backends/wasm');
const WASM_FILES = ['lapwing.wasm', 'lapwing-relaxed.wasm'];

export interface HandlerBundle {
  /** Path of handler.mjs. */
  readonly file: string;
  /** Every file of the package (handler.mjs and the wasm binaries), absolute paths. */
  readonly files: readonly string[];
  readonly bytes: number;
}

const koffiStub: Plugin = {
  name: 'lapwing-koffi-stub',
  setup(b) {
    b.onResolve({ filter: /^koffi$/ }, () => ({ path: 'koffi', namespace: 'lapwing-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'lapwing-stub' }, () => ({
      contents: "throw new Error('koffi (native FFI) is not part of the Lambda bundle');\nexport default undefined;\n",
      loader: 'js',
    }));
  },
};

/**
 * Builds the handler bundle into `outDir` (created if needed).
 * @example
 * const { file } = await bundleHandler('dist/lambda'); // dist/lambda/handler.mjs
 */
export async function bundleHandler(outDir: string): Promise<HandlerBundle> {
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, 'handler.mjs');
  const threadFile = join(outDir, 'kernel-thread-entry.mjs');
  for (const [entry, outfile] of [[ENTRY, file], [KERNEL_THREAD, threadFile]] as const) await bundleOne(entry, outfile);
  const files = [file, threadFile];
  for (const name of WASM_FILES) {
    const src = join(WASM_DIR, name);
    if (!existsSync(src)) continue;
    await copyFile(src, join(outDir, name));
    files.push(join(outDir, name));
  }
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  return { file, files, bytes };
}

async function bundleOne(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [koffiStub],
    // CommonJS dependencies (the SDK) call require() for Node built-ins.
    banner: { js: "import { createRequire as __lapwingCreateRequire } from 'node:module';\nconst require = __lapwingCreateRequire(import.meta.url);" },
  });
}

/** The deployment package: a zip of the bundle's files at the archive root. */
export async function packageHandler(outDir: string): Promise<Uint8Array> {
  const bundle = await bundleHandler(outDir);
  const entries = await Promise.all(bundle.files.map(async (f) => ({ name: relative(outDir, f).split(sep).join('/'), data: await readFile(f) })));
  return createZip(entries);
}

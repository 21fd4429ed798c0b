// loadKernels: explicit choices, `auto`, the LAPWING_KERNELS default, caching, and the errors
// for an unknown choice and for a BLAS library that cannot load (with what was tried).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { KernelLoadError, loadKernels, KERNEL_CHOICES } from '../../kernels/index.ts';
import { BlasLoadError, loadBlasLibrary } from '../../kernels/backends/openblas/index.ts';

const ENV = ['LAPWING_KERNELS', 'LAPWING_BLAS_LIB', 'LAPWING_BLAS_THREADS'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

function restoreEnv(): void {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
}

async function loadError(choice?: string): Promise<KernelLoadError> {
  try {
    await loadKernels(choice);
  } catch (e) {
    assert.ok(e instanceof KernelLoadError, `expected a KernelLoadError, got ${String(e)}`);
    return e;
  }
  assert.fail(`loadKernels(${choice ?? ''}) should have failed`);
}

/** Whether the system OpenBLAS loads here (decides what `auto` must pick). */
async function openblasLoads(): Promise<boolean> {
  restoreEnv();
  delete process.env.LAPWING_BLAS_LIB;
  return loadKernels('openblas').then(() => true, () => false);
}

describe('loadKernels', () => {
  afterEach(restoreEnv);

  it('loads js explicitly, once per process', async () => {
    const a = await loadKernels('js');
    assert.equal(a.backend.name, 'js');
    assert.equal(await loadKernels('JS'), a);
  });

  it('defaults to LAPWING_KERNELS', async () => {
    process.env.LAPWING_KERNELS = 'js';
    assert.equal((await loadKernels()).backend.name, 'js');
  });

  it('rejects an unknown choice with BAD_KERNELS listing the valid ones', async () => {
    const e = await loadError('cuda');
    assert.equal(e.code, 'BAD_KERNELS');
    assert.match(e.message, /cuda/);
    for (const c of KERNEL_CHOICES) assert.ok(e.message.includes(c), `message lists ${c}: ${e.message}`);
    process.env.LAPWING_KERNELS = 'nope';
    assert.equal((await loadError()).code, 'BAD_KERNELS');
  });

  it('openblas with a missing LAPWING_BLAS_LIB fails with KERNELS_UNAVAILABLE naming the path', async () => {
    process.env.LAPWING_BLAS_LIB = '/nonexistent/libopenblas-missing.so';
    const e = await loadError('openblas');
    assert.equal(e.code, 'KERNELS_UNAVAILABLE');
    assert.match(e.message, /\/nonexistent\/libopenblas-missing\.so/);
    assert.match(e.message, /LAPWING_BLAS_LIB/);
    assert.ok(!e.message.includes('\n'), 'one line');
    process.env.LAPWING_BLAS_LIB = '/nonexistent/a.so, /nonexistent/b.so';
    const e2 = await loadError('openblas');
    assert.match(e2.message, /\/nonexistent\/a\.so \+ \/nonexistent\/b\.so/);
  });

  it('a malformed LAPWING_BLAS_THREADS is a BAD_KERNELS error', async () => {
    process.env.LAPWING_BLAS_THREADS = 'many';
    assert.equal((await loadError('openblas')).code, 'BAD_KERNELS');
  });

  it('auto picks openblas when it loads, and otherwise falls back to wasm or explains both failures', async () => {
    const haveBlas = await openblasLoads();
    if (haveBlas) assert.equal((await loadKernels('auto')).backend.name, 'openblas');
    // Without a usable BLAS, auto must not pick js: wasm, or an error naming both attempts.
    process.env.LAPWING_BLAS_LIB = '/nonexistent/libblas-for-auto.so';
    const fallback = await loadKernels('auto').catch((e: unknown) => e);
    if (fallback instanceof KernelLoadError) {
      assert.equal(fallback.code, 'KERNELS_UNAVAILABLE');
      assert.match(fallback.message, /libblas-for-auto\.so/);
      assert.match(fallback.message, /wasm/);
    } else {
      assert.ok(fallback && typeof fallback === 'object' && 'backend' in fallback, String(fallback));
      assert.equal((fallback as { backend: { name: string } }).backend.name, 'wasm');
    }
  });
});

describe('loadBlasLibrary', () => {
  it('reports every library set tried: missing files and missing symbols', () => {
    assert.throws(() => loadBlasLibrary([['/nonexistent/libx.so'], ['libc.so.6']]), (e: unknown) => {
      assert.ok(e instanceof BlasLoadError);
      assert.equal(e.tried.length, 2);
      assert.match(e.tried[0]!, /^\/nonexistent\/libx\.so \(.*cannot open/);
      assert.match(e.tried[1]!, /^libc\.so\.6 \(missing symbol cblas_\w+\)/);
      return true;
    });
  });
});

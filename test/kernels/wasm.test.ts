// The kernel contract suite on the wasm backend (AssemblyScript SIMD kernels, built on demand).
import { kernelSuite } from './suite.ts';

kernelSuite('wasm');

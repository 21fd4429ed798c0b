/**
 * The slice of the WebAssembly JS API this backend uses, typed locally: the project compiles
 * with lib ES2023 and @types/node 20, neither of which declares the `WebAssembly` global.
 */

/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Record<string, Record<string, unknown>>): Promise<{ exports: Record<string, unknown> }>;
  RuntimeError: new (message?: string) => Error;
}

/** The engine's WebAssembly namespace. */
export const webAssembly: WebAssemblyApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

// Bootstrap of a kernel thread in the source tree: TypeScript through tsx, then the kernel loop.
// The compiled package has dist/kernel-thread-entry.mjs (kernel-thread.ts itself) in its place.
import { register } from 'tsx/esm/api';

register();
await import('./kernel-thread.ts');

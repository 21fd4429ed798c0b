// Bootstrap of a kernel thread: TypeScript through tsx, then the kernel loop.
import { register } from 'tsx/esm/api';

register();
await import('./kernel-thread.ts');

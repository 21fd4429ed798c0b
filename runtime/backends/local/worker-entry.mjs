// Bootstrap of an executor thread: TypeScript through tsx, then the executor.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

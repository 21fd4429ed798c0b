// Bootstrap of an executor process in the source tree: TypeScript through tsx, then
// executor-main.ts. The compiled package has dist/executor-entry.mjs in its place.
import { register } from 'tsx/esm/api';

register();
await import('./executor-main.ts');

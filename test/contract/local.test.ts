/** The backend contract suites against the local backend's in-process stores. */
import { MemoryBlockStore } from '../../runtime/backends/local/memory-block-store.ts';
import { MemoryQueue } from '../../runtime/backends/local/memory-queue.ts';
import { MemoryStateStore } from '../../runtime/backends/local/memory-state-store.ts';
import { blockStoreContract } from './block-store.contract.ts';
import { taskQueueContract } from './task-queue.contract.ts';
import { stateStoreContract } from './state-store.contract.ts';

const none = async (): Promise<void> => undefined;
blockStoreContract('local', async () => ({ store: new MemoryBlockStore(), cleanup: none }));
taskQueueContract('local', async () => ({ store: new MemoryQueue(), cleanup: none }));
stateStoreContract('local', async () => ({ store: new MemoryStateStore(), cleanup: none }));

/**
 * The backend contract suites against the AWS backend on the emulators (s3rver, local-aws-sqs,
 * dynalite on free 127.0.0.1 ports). Each test runs on a fresh stack.
 */
import { after, before } from 'node:test';
import type { Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { S3BlockStore } from '../../runtime/backends/aws/stores/s3-block-store.ts';
import { DynamoBlockStore } from '../../runtime/backends/aws/stores/dynamo-block-store.ts';
import { HybridBlockStore } from '../../runtime/backends/aws/stores/hybrid-block-store.ts';
import { SqsTaskQueue } from '../../runtime/backends/aws/stores/sqs-task-queue.ts';
import { DynamoStateStore } from '../../runtime/backends/aws/stores/dynamo-state-store.ts';
import { emulators, freshStack, releaseEmulators, type Stack } from '../aws/emulated.ts';
import { blockStoreContract } from './block-store.contract.ts';
import { taskQueueContract } from './task-queue.contract.ts';
import { stateStoreContract } from './state-store.contract.ts';

let emu: Emulators;
before(async () => {
  emu = await emulators();
});
after(async () => {
  await releaseEmulators();
});

function s3Store(s: Stack): S3BlockStore {
  const { names, retry } = s.config;
  // Small pages and batches so that pagination and batching are exercised by the suite.
  return new S3BlockStore(s.clients.s3, { bucket: names.bucket, keyPrefix: names.keyPrefix, retry, listPage: 7, deleteBatch: 9 });
}

function inlineStore(s: Stack): DynamoBlockStore {
  return new DynamoBlockStore(s.clients.dynamodb, { table: s.config.names.table, ttlSeconds: s.config.ttlSeconds, retry: s.config.retry });
}

blockStoreContract('aws s3', async () => {
  const s = await freshStack(emu);
  return { store: s3Store(s), cleanup: () => s.destroy() };
});

blockStoreContract('aws dynamodb inline', async () => {
  const s = await freshStack(emu);
  return { store: inlineStore(s), cleanup: () => s.destroy() };
});

// Threshold between the sizes the suite uses (up to 7·5 values), so both stores are exercised.
blockStoreContract('aws hybrid', async () => {
  const s = await freshStack(emu);
  return { store: new HybridBlockStore(inlineStore(s), s3Store(s), 32 + 8 * 6), cleanup: () => s.destroy() };
});

taskQueueContract('aws sqs', async () => {
  const s = await freshStack(emu);
  const store = await SqsTaskQueue.open(s.clients.sqs, s.config.names, {
    priorityCuts: s.config.priorityCuts,
    retry: s.config.retry,
  });
  return { store, cleanup: () => s.destroy() };
});

stateStoreContract('aws dynamodb', async () => {
  const s = await freshStack(emu);
  const store = new DynamoStateStore(s.clients.dynamodb, { table: s.config.names.table, ttlSeconds: s.config.ttlSeconds, retry: s.config.retry });
  return { store, cleanup: () => s.destroy() };
});

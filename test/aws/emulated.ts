/**
 * Test helpers for the AWS backend: the emulators on free loopback ports (one set per test
 * file), environments and configurations pointing at them, and fresh stacks (bucket, queues,
 * table with a unique name) per test so tests never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { startEmulators, emulatorEnv as envOf, type Emulators } from '../../runtime/backends/aws/dev/emulators.ts';
import { loadAwsConfig, type AwsConfig, type RetryPolicy } from '../../runtime/backends/aws/config.ts';
import { createClients, type AwsClients } from '../../runtime/backends/aws/clients.ts';
import { createDataResources, destroyDataResources } from '../../runtime/backends/aws/deploy/provision.ts';
import { createAwsBackend, type AwsBackend } from '../../runtime/backends/aws/index.ts';
import { lapwing, type Lapwing } from '../../runtime/library/session.ts';

/** Fast retries: tests that provoke throttling should not wait long. */
export const TEST_RETRY: RetryPolicy = { attempts: 4, baseMs: 5, maxMs: 50 };

let shared: Promise<Emulators> | undefined;
let users = 0;

/** The emulators of this test file (started on first use; stop with releaseEmulators). */
export function emulators(): Promise<Emulators> {
  users++;
  shared ??= startEmulators();
  return shared;
}

/** Stops the emulators once every user released them. */
export async function releaseEmulators(): Promise<void> {
  if (--users > 0 || !shared) return;
  const emu = await shared;
  shared = undefined;
  await emu.stop();
}

/** A unique, valid stack name. */
export function uniqueStack(tag = 't'): string {
  return `${tag}-${randomBytes(4).toString('hex')}`;
}

/** Environment variables that point the backend at `emu`. */
export function emulatorEnv(emu: Emulators, stack: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...envOf(emu.endpoints, stack), ...extra };
}

/** A configuration for a fresh stack on `emu`. */
export function emulatorConfig(emu: Emulators, overrides: Parameters<typeof loadAwsConfig>[1] = {}, extraEnv: Record<string, string> = {}): AwsConfig {
  const stack = overrides.stack ?? uniqueStack();
  return loadAwsConfig(emulatorEnv(emu, stack, extraEnv), { retry: TEST_RETRY, ...overrides, stack });
}

export interface Stack {
  readonly config: AwsConfig;
  readonly clients: AwsClients;
  /** Deletes the stack's resources and closes the clients. */
  destroy(): Promise<void>;
}

/** Creates a fresh stack (bucket, queues, table) on `emu`. */
export async function freshStack(emu: Emulators, overrides: Parameters<typeof loadAwsConfig>[1] = {}): Promise<Stack> {
  const config = emulatorConfig(emu, overrides);
  const clients = createClients(config);
  await createDataResources(clients, config);
  return {
    config,
    clients,
    async destroy() {
      try {
        await destroyDataResources(clients, config);
      } finally {
        clients.destroy();
      }
    },
  };
}

/** A library session on a fresh emulated stack with two process executors on js kernels (block 16). */
export interface EmulatedSession {
  readonly lw: Lapwing;
  readonly backend: AwsBackend;
  /** Closes the session and removes the stack's data resources (not the shared emulators). */
  close(): Promise<void>;
}

/** Opens an {@link EmulatedSession}: what the algorithm tests on emulated AWS share. */
export async function emulatedSession(emu: Emulators): Promise<EmulatedSession> {
  const config = emulatorConfig(emu, { inlineThresholdBytes: 16 * 1024 });
  const backend = await createAwsBackend(config, {
    executors: 'process',
    executor: { idleTimeoutMs: 20_000, kernels: 'js', visibilityMs: 20_000, pollMs: 200 },
  });
  const lw = await lapwing({ backend, workers: 2, kernels: 'js', block: 16 });
  return {
    lw,
    backend,
    close: async () => {
      await backend.close();
      await destroyDataResources(backend.clients, config).catch(() => undefined);
    },
  };
}

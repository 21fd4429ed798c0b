/**
 * A loopback HTTP proxy in front of an emulator that can answer the next requests with an
 * injected error (503 SlowDown, ProvisionedThroughputExceeded …) before forwarding again: real
 * network faults for the backend's retry logic, without mocking anything of ours.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InjectedFault {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Only requests for which this holds are failed (default: all). */
  readonly when?: (req: IncomingMessage) => boolean;
}

export interface FaultProxy {
  /** The proxy's endpoint URL. */
  readonly url: string;
  /** Fails the next `count` matching requests with `fault`. */
  fail(count: number, fault: InjectedFault): void;
  /** Requests failed so far. */
  readonly failed: number;
  close(): Promise<void>;
}

/** S3's throttling reply. */
export const S3_SLOW_DOWN: InjectedFault = {
  status: 503,
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  headers: { 'content-type': 'application/xml' },
};

/** DynamoDB's throttling reply. */
export const DYNAMO_THROUGHPUT_EXCEEDED: InjectedFault = {
  status: 400,
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  }),
  headers: { 'content-type': 'application/x-amz-json-1.0' },
};

/** Starts a proxy on a free 127.0.0.1 port forwarding to `target` (an http://127.0.0.1:port URL). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  let pending: { count: number; fault: InjectedFault } | null = null;
  let failed = 0;
  const server: Server = createServer((req, res) => {
    if (pending && pending.count > 0 && (pending.fault.when?.(req) ?? true)) {
      pending.count--;
      failed++;
      const fault = pending.fault;
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { ...fault.headers, 'content-length': Buffer.byteLength(fault.body) });
        res.end(fault.body);
      });
      return;
    }
    const fwd = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fail(count, fault) {
      pending = { count, fault };
    },
    get failed() {
      return failed;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPortsFree } from './ports-free.util.js';

const listen = (): Promise<Server> =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
  });
const portOf = (s: Server) => (s.address() as { port: number }).port;

describe(checkPortsFree.name, () => {
  let taken: Server;
  let free: number;
  beforeAll(async () => {
    taken = await listen();
    const closed = await listen();
    free = portOf(closed);
    await new Promise((r) => closed.close(r));
  });
  afterAll(() => new Promise((r) => taken.close(r)));

  it('names the port that is taken, what needs it and the setting that moves it', async () => {
    const port = portOf(taken);

    await expect(
      checkPortsFree([
        { what: 'the query service (HTTP)', host: '127.0.0.1', port: free, variable: 'LATFLEET_HTTP_PORT' },
        { what: 'the control plane (gRPC)', host: '127.0.0.1', port, variable: 'LATFLEET_GRPC_PORT' },
      ]),
    ).rejects.toThrow(
      `port ${port} on 127.0.0.1 for the control plane (gRPC) is in use (another latfleet up, or another program?); stop what holds it, or set LATFLEET_GRPC_PORT to a free port`,
    );
  });

  it('passes when every port is free, leaving it free', async () => {
    await expect(checkPortsFree([{ what: 'x', host: '127.0.0.1', port: free, variable: 'X' }])).resolves.toBeUndefined();
    await expect(checkPortsFree([{ what: 'x', host: '127.0.0.1', port: free, variable: 'X' }])).resolves.toBeUndefined();
  });
});

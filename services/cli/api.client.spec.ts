import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, NO_FLEET_HINT } from './api.client.js';

/** A loopback port nothing listens on (taken, then released). */
const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe(ApiClient.name, () => {
  it('says how to start a fleet when none answers', async () => {
    const port = await closedPort();
    const sut = new ApiClient(`http://127.0.0.1:${port}`);

    const error = await sut.studies().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe(`cannot reach the query service at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}). ${NO_FLEET_HINT}`);
    expect(NO_FLEET_HINT).toContain('`latfleet up`');
  });
});

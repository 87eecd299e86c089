import { createServer } from 'node:net';

/** A port the local fleet is about to listen on, and the setting that moves it. */
export interface FleetPort {
  what: string;
  host: string;
  port: number;
  variable: string;
}

function listenOnce(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/**
 * Refuses to start when a port is taken, naming it: otherwise a child process dies on EADDRINUSE
 * in its log, or, worse, the readiness probe reaches whatever already listens there.
 */
export async function checkPortsFree(ports: readonly FleetPort[]): Promise<void> {
  for (const p of ports) {
    const error = await listenOnce(p.host, p.port);
    if (error === null) continue;
    const why = error.code === 'EADDRINUSE' ? 'is in use (another latfleet up, or another program?)' : `cannot be opened (${error.code ?? error.message})`;
    throw new Error(`port ${p.port} on ${p.host} for ${p.what} ${why}; stop what holds it, or set ${p.variable} to a free port`);
  }
}

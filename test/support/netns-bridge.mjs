// Runs inside a network namespace: accepts TCP on the namespace's loopback and carries each
// connection over a Unix socket (a file, reachable across namespaces) to the other side.
//   node netns-bridge.mjs <port> <unix socket path>
import { connect, createServer } from 'node:net';

const [port, socketPath] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`bridge listening on 127.0.0.1:${port}\n`));

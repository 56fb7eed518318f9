import { createServer } from 'node:net';

/** A free TCP port on `host`: bound to port 0, then released (another process could take it meanwhile; rare). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`no TCP address on ${host}`);
  return address.port;
}

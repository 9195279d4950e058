/** Asks the kernel for a free TCP port on a loopback address. */
import { createServer } from 'node:net';

/** A TCP port on `host` that nothing listened on a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

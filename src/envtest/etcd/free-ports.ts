import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** Lowest port chosen: above the registered services most machines run. */
const LOWEST_PORT = 10_000;
/** Tries per port before falling back to a port the OS picks. */
const TRIES = 50;

/**
 * Asks for `count` distinct free TCP ports on 127.0.0.1. All listeners are held open until every port
 * is known, so the ports of one call never collide with each other; another process may still take one
 * before the caller binds it, so callers retry on "address already in use".
 *
 * The ports are chosen at random below the OS's ephemeral range, never by `listen(0)`: etcd restarted on
 * its port (a test of restarts, restores, faults) leaves it free for a moment, and a port from the
 * ephemeral range is what the OS hands the next `listen(0)` or outgoing connection of any process — such
 * as another test file's etcd when the suite runs files in parallel. Below that range only another
 * random choice can land on it.
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const highest = ephemeralRangeStart() - 1;
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      let port: number | undefined;
      for (let t = 0; t < TRIES && port === undefined && highest > LOWEST_PORT; t++) {
        const candidate = LOWEST_PORT + Math.floor(Math.random() * (highest - LOWEST_PORT + 1));
        if (!ports.includes(candidate)) port = await listenOn(servers, candidate).catch(() => undefined);
      }
      ports.push(port ?? (await listenOn(servers, 0)));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Listens on `port` (0: the OS picks) and resolves with the port bound; the server joins `servers`. */
function listenOn(servers: Server[], port: number): Promise<number> {
  const server = createServer();
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      servers.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve(address.port);
    });
  });
}

/** The first port of the OS's ephemeral range (Linux's ip_local_port_range; IANA's 49152 elsewhere). */
function ephemeralRangeStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 0 ? first : 49_152;
  } catch {
    return 49_152;
  }
}

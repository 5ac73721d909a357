import net from "node:net";

/**
 * Which of these host ports something on this machine already listens on. Binding is the only
 * reliable test: connecting misses listeners on other addresses. Ports we may not bind
 * (below 1024 without privileges) count as free; the engine will say so if they are not.
 */
export async function probeTakenPorts(
  ports: Iterable<{ port: number; hostIp: string }>,
): Promise<Set<number>> {
  const taken = new Set<number>();
  await Promise.all(
    [...ports].map(
      ({ port, hostIp }) =>
        new Promise<void>((resolve) => {
          const server = net.createServer();
          server.once("error", (e: NodeJS.ErrnoException) => {
            if (e.code === "EADDRINUSE") taken.add(port);
            resolve();
          });
          server.listen({ port, host: hostIp, exclusive: true }, () => server.close(() => resolve()));
        }),
    ),
  );
  return taken;
}

/** Engine-side names of a stack's resources: one rule for the engine, the adapters and exports. */

export function networkName(stack: string): string {
  return `${stack}_default`;
}

/** A plan volume (`postgres-data`) as the engine names it: scoped by stack, as Compose does. */
export function volumeName(stack: string, volume: string): string {
  return `${stack}_${volume}`;
}

export function volumeNames(stack: string, volumes: readonly string[]): Record<string, string> {
  return Object.fromEntries(volumes.map((v) => [v, volumeName(stack, v)]));
}

/** Where a replaced container waits, stopped, until the deploy that replaced it succeeds. */
export function asideName(name: string, runId: string): string {
  return `${name}-replaced-${runId}`;
}

/** A replica's container: `<stack>-<service>-<n>`, as Compose names them. */
export function containerName(stack: string, service: string, replica: number): string {
  return `${stack}-${service}-${replica}`;
}

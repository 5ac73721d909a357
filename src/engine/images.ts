/**
 * Images first: every image a deploy needs is pulled or built before anything else changes, so a
 * missing one fails the deploy with nothing touched. Pulls are all tried, so one error names every
 * image that is missing.
 */
import type { Adapter } from "../adapters/adapter.js";
import {
  DelocError,
  DeployFailedError,
  ImageUnavailableError,
  LABEL_STACK,
  type MissingImage,
  type Operation,
  type Plan,
} from "../core/index.js";
import type { Emit } from "./events.js";

export async function ensureImages(
  plan: Plan,
  adapter: Adapter,
  ops: readonly Operation[],
  emit: Emit,
): Promise<void> {
  const byName = new Map(plan.services.map((s) => [s.name, s]));
  const missing: MissingImage[] = [];
  for (const op of ops) {
    if (op.kind !== "pull-image" && op.kind !== "build-image") continue;
    const s = byName.get(op.service)!;
    if (op.kind === "build-image") {
      emit(s.name, "building", op.image);
      try {
        await adapter.buildImage(op.image, s.build!, { [LABEL_STACK]: plan.stack }, (l) =>
          emit(s.name, "building", l),
        );
      } catch (e) {
        // DELoc's own errors (BuildKit unavailable, the engine gone) keep their code and fix.
        if (e instanceof DelocError) throw e;
        throw new DeployFailedError(
          [
            {
              service: s.name,
              reason: "build-failed",
              message: `could not build ${op.image} from ${s.build!.context}`,
              logTail: String((e as Error).message ?? e)
                .split("\n")
                .slice(-15),
            },
          ],
          [],
          "Fix the Dockerfile (the build output is above) and run `deloc up` again.",
        );
      }
    } else {
      emit(s.name, "pulling", op.image);
      try {
        await adapter.pullImage(op.image, (l) => emit(s.name, "pulling", l));
      } catch (e) {
        missing.push({ image: op.image, service: s.name, reason: firstLine(e) });
        emit(s.name, "failed", `image ${op.image} unavailable`);
      }
    }
  }
  if (missing.length) throw new ImageUnavailableError(missing);
}

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

/**
 * The imported stack as a commented deloc.yaml: where each service came from, what it became, and
 * above it every compose key that could not be carried, with its line and why. Pure.
 */
import { Document, isMap, isPair, isScalar } from "yaml";
import type { ImportedService, Note } from "./map.js";
import type { Where } from "./source.js";

export interface StackText {
  name: string;
  from: readonly string[];
  services: readonly ImportedService[];
  notes: readonly Note[];
  /** Services left out (profiles), with the line and why. */
  leftOut: readonly Note[];
}

export const at = (w: Where) => `${w.file}:${w.line}`;

export function stackFileText(s: StackText): string {
  const services: Record<string, unknown> = {};
  for (const svc of s.services) services[svc.name] = escapeDollars(svc.entry);
  const doc = new Document({
    apiVersion: "deloc.dev/v1",
    kind: "Stack",
    metadata: { name: s.name },
    spec: { services },
  });
  const general = s.notes.filter((n) => !n.service);
  doc.commentBefore = [
    ` deloc.yaml — imported from ${s.from.join(", ")} by \`deloc import compose\`.`,
    ' Reference: the "Stack file" section of DELoc\'s README. `deloc plan` shows what would run;',
    " `deloc up` deploys it, each service started when what it waits for is ready.",
    ...s.leftOut.map((n) => ` left out: ${n.service} (${at(n.where)}): ${n.why}`),
    ...general.map((n) => ` not carried: ${at(n.where)} ${n.key}: ${n.why}`),
  ].join("\n");
  const spec = doc.get("spec", true);
  const map = isMap(spec) ? spec.get("services", true) : undefined;
  if (isMap(map))
    for (const pair of map.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const svc = s.services.find((x) => x.name === name)!;
      const own = s.notes.filter((n) => n.service === name);
      pair.key.commentBefore = [
        ` ${name} (${at(svc.where)}): ${svc.summary}`,
        ...own.map((n) => ` not carried: ${at(n.where)} ${n.key}: ${n.why}`),
      ].join("\n");
    }
  if (isMap(map) && map.items.length === 0) map.flow = true;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

/** The stack file interpolates `${VAR}` too: a literal `$` that Compose left is written `$$`. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === "string") return v.replaceAll("$", "$$$$");
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

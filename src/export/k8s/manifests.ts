/**
 * `deloc export k8s`: the Plan as plain Kubernetes manifests, the chart's objects with its default
 * values, and a Secret holding the stack's own secrets. Pure and deterministic.
 */

import type { Plan } from "../../core/index.js";
import { yamlText } from "../yaml-text.js";
import { type K8sObject, k8sObjects, stackLabels } from "./objects.js";
import { defaultValues, fillHoles } from "./values.js";

export interface ManifestOptions {
  namespace: string;
  /** Secret values by name. */
  secrets: Readonly<Record<string, string>>;
}

export function k8sManifestObjects(plan: Plan, opts: ManifestOptions): K8sObject[] {
  const o = k8sObjects(plan);
  const values = defaultValues(plan, o.pvcNames);
  const secret: K8sObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: o.secretName,
      labels: stackLabels(plan.stack),
    },
    type: "Opaque",
    data: Object.fromEntries(
      plan.secrets.map((s) => [s.name, Buffer.from(opts.secrets[s.name] ?? "").toString("base64")]),
    ),
  };
  const all = [
    ...(plan.secrets.length ? [secret] : []),
    ...o.stack,
    o.networkPolicy,
    ...plan.services.flatMap((s) => o.services[s.name]!),
  ];
  return all.map((x) => fillHoles(x, values, opts.namespace) as K8sObject);
}

export function k8sManifests(plan: Plan, opts: ManifestOptions): string {
  const header = `# The ${plan.stack} stack for Kubernetes (profile ${plan.profile}), written by \`deloc export k8s\`. It holds the stack's secrets: keep it private.\n`;
  return (
    header +
    k8sManifestObjects(plan, opts)
      .map((o) => yamlText(o))
      .join("---\n")
  );
}

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
  /**
   * Secret values by name; `null` leaves the Secret out (for text that is printed, where the
   * values must not show), with a comment saying how to create it.
   */
  secrets: Readonly<Record<string, string>> | null;
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
      plan.secrets.map((s) => [s.name, Buffer.from(opts.secrets?.[s.name] ?? "").toString("base64")]),
    ),
  };
  const all = [
    ...(plan.secrets.length && opts.secrets ? [secret] : []),
    ...o.stack,
    o.networkPolicy,
    ...plan.services.flatMap((s) => o.services[s.name]!),
  ];
  return all.map((x) => fillHoles(x, values, opts.namespace) as K8sObject);
}

export function k8sManifests(plan: Plan, opts: ManifestOptions): string {
  const title = `# The ${plan.stack} stack for Kubernetes (profile ${plan.profile}), written by \`deloc export k8s\`.`;
  const header = opts.secrets
    ? `${title} It holds the stack's secrets: keep it private.\n`
    : plan.secrets.length
      ? `${title}\n${withheldNote(plan, k8sObjects(plan).secretName, opts.namespace)}`
      : `${title}\n`;
  return (
    header +
    k8sManifestObjects(plan, opts)
      .map((o) => yamlText(o))
      .join("---\n")
  );
}

/** Where the Secret would be: its name and keys, and how to create it without printing it. */
function withheldNote(plan: Plan, name: string, namespace: string): string {
  return [
    `# The Secret ${name} (${plan.secrets.map((s) => s.name).join(", ")}) is left out, so that no`,
    "# secret is printed. Create it before these, from the stack's folder:",
    `#   kubectl create secret generic ${name} --namespace ${namespace} --from-env-file=.deloc/secrets.env`,
    "# or write it with them: deloc export k8s -o FILE (mode 0600).",
    "",
  ].join("\n");
}

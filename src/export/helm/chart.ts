/**
 * `deloc export helm`: the Plan as a Helm chart. The templates are the objects of `export k8s`
 * with each hole written as a template expression over values.yaml (image, replicas, resources,
 * security contexts, volume sizes, toggles per service and for the NetworkPolicy); the Secret is
 * generated at install (or given in `secrets:`) and kept on upgrade. Pure: a file map.
 */

import { LABEL_STACK, type Plan } from "../../core/index.js";
import { type K8sObject, k8sObjects, stackLabels } from "../k8s/objects.js";
import { type ChartValues, defaultValues, type Hole, isHole, RELEASE_NAMESPACE } from "../k8s/values.js";
import { yamlText } from "../yaml-text.js";

export const CHART_VERSION = "0.1.0";

/** Chart files by path inside the chart folder. */
export function helmChart(plan: Plan): Record<string, string> {
  const o = k8sObjects(plan);
  const values = defaultValues(plan, o.pvcNames);
  const files: Record<string, string> = {
    "Chart.yaml": chartYaml(plan),
    "values.yaml": valuesYaml(plan, values),
    "templates/_helpers.tpl": HELPERS,
    "templates/stack.yaml": templates(o.stack),
    "templates/networkpolicy.yaml": `{{- if .Values.global.networkPolicy.enabled }}\n${templates([o.networkPolicy])}{{- end }}\n`,
    "templates/NOTES.txt": notes(plan),
  };
  if (plan.secrets.length) files["templates/secret.yaml"] = secretTemplate(plan, o.secretName);
  for (const s of plan.services)
    files[`templates/${s.name}.yaml`] =
      `{{- if ${index("services", s.name, "enabled")} }}\n${templates(o.services[s.name]!)}{{- end }}\n`;
  return files;
}

function chartYaml(plan: Plan): string {
  return `# written by \`deloc export helm\` from the ${plan.stack} stack (profile ${plan.profile})\n${yamlText(
    {
      apiVersion: "v2",
      name: plan.stack,
      description: `The ${plan.stack} data stack (${plan.services.map((s) => s.name).join(", ")}), exported by DELoc`,
      type: "application",
      version: CHART_VERSION,
      appVersion: CHART_VERSION,
      annotations: { "dev.deloc/profile": plan.profile },
    },
  )}`;
}

function valuesYaml(plan: Plan, values: ChartValues): string {
  return [
    `# Values of the ${plan.stack} chart, written by \`deloc export helm\` from the Plan (profile ${plan.profile}).`,
    "# services.<name>: enabled, image, replicas, resources and security contexts of each service;",
    "#   a service another one waits for must stay enabled, or the waiting one never starts.",
    "# volumes.<claim>: the size of each PersistentVolumeClaim (host folders such as ./dags become",
    "#   claims of their own: fill them with `kubectl cp`).",
    "# secrets.<name>: leave empty to have one generated at install and kept on upgrade.",
    yamlText(values),
  ].join("\n");
}

/** `index .Values "a" "b"`: a values path any key (with dashes too) can be in. */
function index(...path: string[]): string {
  return `(index .Values ${path.map((p) => JSON.stringify(p)).join(" ")})`;
}

/** Objects as template text: each hole becomes the expression of its value. */
function templates(objects: readonly K8sObject[]): string {
  return objects.map(template).join("---\n");
}

function template(obj: K8sObject): string {
  const holes: Hole[] = [];
  const marked = mark(obj, holes);
  const text = yamlText(marked);
  return text
    .split("\n")
    .map((line) => {
      const m = /^(\s*)(- )?([^:]+): __HOLE_(\d+)__$/.exec(line);
      if (!m) return line;
      const [, indent = "", dash = "", key, n] = m;
      const h = holes[Number(n)]!;
      const expr = h.path[0] === RELEASE_NAMESPACE ? ".Release.Namespace" : index(...h.path);
      const at = indent + (dash ? "  " : "");
      if (h.hole === "block")
        return `${indent}${dash}${key}:\n${at}  {{- toYaml ${expr} | nindent ${at.length + 2} }}`;
      if (h.hole === "heap") {
        // The catalog's format with Helm-safe markers for the heap: `{{` cannot stand in a template.
        const format = h.rule!.format.replaceAll("{{heap}}", "@heap@").replaceAll("{{heapMib}}", "@heapMib@");
        return `${indent}${dash}${key}: {{ include "deloc.heap" (dict "memory" ${expr} "ratio" ${h.rule!.ratio} "format" ${JSON.stringify(format)}) | toJson }}`;
      }
      if (h.hole === "optional")
        return `${at}{{- with ${expr} }}\n${indent}${dash}${key}: {{ . | toJson }}\n${at}{{- end }}`;
      return `${indent}${dash}${key}: {{ ${expr} | toJson }}`;
    })
    .join("\n");
}

function mark(value: unknown, holes: Hole[]): unknown {
  if (isHole(value)) return `__HOLE_${holes.push(value) - 1}__`;
  if (Array.isArray(value)) return value.map((v) => mark(v, holes));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mark(v, holes)]));
  return value;
}

function secretTemplate(plan: Plan, name: string): string {
  const lines = [
    `{{- $existing := lookup "v1" "Secret" .Release.Namespace ${JSON.stringify(name)} | default dict }}`,
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    `  name: ${name}`,
    "  labels:",
    ...Object.entries(stackLabels(plan.stack)).map(([k, v]) => `    ${k}: ${v}`),
    "type: Opaque",
    "data:",
    ...plan.secrets.map(
      (s) =>
        `  ${s.name}: {{ include "deloc.secret" (dict "values" .Values.secrets "existing" $existing "key" ${JSON.stringify(s.name)} "kind" ${JSON.stringify(s.kind)}) | quote }}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

const HELPERS = `{{/*
A secret's value, base64: the one given in values, else the one the cluster holds already (so an
upgrade keeps the passwords the data was made with), else a new one of its kind.
*/}}
{{- define "deloc.secret" -}}
{{- $given := index .values .key -}}
{{- $kept := dig "data" .key "" .existing -}}
{{- if $given -}}{{ $given | b64enc }}
{{- else if $kept -}}{{ $kept }}
{{- else if eq .kind "fernet" -}}{{ randAscii 32 | b64enc | replace "+" "-" | replace "/" "_" | b64enc }}
{{- else if eq .kind "token" -}}{{ randAlphaNum 43 | b64enc }}
{{- else -}}{{ randAlphaNum 24 | b64enc }}
{{- end -}}
{{- end -}}

{{/*
A JVM heap setting from a memory quantity (1536Mi, 2Gi, 4G, 3000000000): the limit × ratio in whole
MiB, written in the format (@heap@ → 768m, @heapMib@ → 768). What \`deloc plan\` computes.
*/}}
{{- define "deloc.heap" -}}
{{- $q := toString .memory -}}
{{- $units := dict "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 -}}
{{- $bytes := 0.0 -}}
{{- $unit := "" -}}
{{- range $suffix, $factor := $units -}}
{{- if hasSuffix $suffix $q -}}{{- $unit = $suffix -}}{{- $bytes = mulf (trimSuffix $suffix $q | float64) $factor -}}{{- end -}}
{{- end -}}
{{- if not $unit -}}{{- $bytes = float64 $q -}}{{- end -}}
{{- $mib := floor (divf (mulf $bytes .ratio) 1048576.0) | int64 -}}
{{- .format | replace "@heapMib@" (toString $mib) | replace "@heap@" (printf "%dm" $mib) -}}
{{- end -}}
`;

function notes(plan: Plan): string {
  const forwards = plan.services
    .filter((s) => s.ports.length && !s.oneShot)
    .map(
      (s) =>
        `  kubectl --namespace {{ .Release.Namespace }} port-forward svc/${s.name} ${s.ports.map((p) => `${p.host}:${p.container}`).join(" ")}`,
    );
  return [
    `The ${plan.stack} stack is starting in namespace {{ .Release.Namespace }}; each service waits for`,
    "what it depends on, as `deloc up` does. Watch it with:",
    "",
    `  kubectl --namespace {{ .Release.Namespace }} get pods -l ${LABEL_STACK}=${plan.stack} -w`,
    "",
    "Reach the services at the addresses `deloc up` gives on a laptop:",
    "",
    ...forwards,
    "",
  ].join("\n");
}

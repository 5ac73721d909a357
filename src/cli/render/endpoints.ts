import type { Plan } from "../../core/index.js";
import { presentSecrets } from "../../engine/secrets.js";
import { renderTable } from "./table.js";

/** The endpoints table printed after `up` and by `status`: secrets masked unless asked for. */
export function formatEndpoints(
  plan: Plan,
  secrets: Readonly<Record<string, string>>,
  opts: { showSecrets: boolean; bold?: (s: string) => string },
): string {
  const show = (text: string) => presentSecrets(text, secrets, opts.showSecrets);
  const rows = plan.services.flatMap((s) =>
    s.endpoints.map((e) => [s.name, e.name, show(e.url), show(e.description ?? "")]),
  );
  return renderTable(["service", "endpoint", "url", "note"], rows, opts.bold ? { bold: opts.bold } : {});
}

/**
 * Shell completion. The scripts are thin: they hand the words typed so far to
 * `deloc __complete`, which answers from the command table (and the catalog for service names).
 */
import { PROFILES, STRATEGIES, TARGETS, UsageError } from "../../core/index.js";
import type { CommandDef, CommandRun, Completion } from "../command.js";
import type { CommandContext } from "../context.js";
import { loadCatalogFor } from "../project.js";

const SHELLS = ["bash", "zsh", "fish"] as const;

const SCRIPTS: Record<(typeof SHELLS)[number], string> = {
  bash: `# deloc completion for bash; add to ~/.bashrc:  source <(deloc completion bash)
_deloc_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(deloc __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _deloc_complete deloc
`,
  zsh: `#compdef deloc
# deloc completion for zsh; add to ~/.zshrc:  source <(deloc completion zsh)
_deloc() {
  local -a candidates
  candidates=("\${(@f)$(deloc __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _deloc deloc
`,
  fish: `# deloc completion for fish:  deloc completion fish > ~/.config/fish/completions/deloc.fish
complete -c deloc -f -a '(deloc __complete (commandline -opc)[2..-1] (commandline -ct))'
`,
};

export const completion: CommandRun = async (ctx, args) => {
  const shell = args[0] as (typeof SHELLS)[number];
  if (!SHELLS.includes(shell))
    throw new UsageError(`Unknown shell "${args[0]}".`, `Use one of: ${SHELLS.join(", ")}.`);
  ctx.out(SCRIPTS[shell]);
  return 0;
};

/** `deloc __complete`, answering from the command table it is given (the table loads this module). */
export function completeFrom(table: readonly CommandDef[]): CommandRun {
  return async (ctx, args) => {
    for (const c of candidates(ctx, table, args)) ctx.out(c);
    return 0;
  };
}

/** Candidates for the last word, given the words before it. Exported for tests. */
export function candidates(
  ctx: CommandContext,
  table: readonly CommandDef[],
  words: readonly string[],
): string[] {
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  let commands: readonly CommandDef[] = table;
  let command: CommandDef | undefined;
  let pendingOption: CommandDef["options"][number] | undefined;
  for (const w of before) {
    if (pendingOption) {
      pendingOption = undefined;
      continue;
    }
    if (w.startsWith("-")) {
      const opt = command?.options.find((o) => o.flags.split(/[ ,]+/).includes(w));
      if (opt?.flags.includes("<")) pendingOption = opt;
      continue;
    }
    const sub = commands.find((c) => c.name === w);
    if (sub) {
      command = sub;
      commands = sub.subcommands ?? [];
    }
  }
  const out: string[] = [];
  if (pendingOption) out.push(...values(ctx, pendingOption.completes));
  else if (current.startsWith("-")) {
    const opts = command?.options.flatMap((o) =>
      o.flags.split(/[ ,]+/).filter((f) => f.startsWith("--")),
    ) ?? ["--version"];
    out.push(...opts, ...(command?.json ? ["--json"] : []), "--help");
  } else if (!command) out.push(...table.filter((c) => !c.hidden).map((c) => c.name), "help");
  else {
    out.push(...commands.map((c) => c.name));
    out.push(...values(ctx, command.argCompletes));
  }
  return out.filter((c) => c.startsWith(current));
}

function values(ctx: CommandContext, kind: Completion | undefined): string[] {
  switch (kind) {
    case "services": {
      const catalog = loadCatalogFor(ctx);
      return [...catalog.templates.keys(), ...catalog.groups.keys()].sort();
    }
    case "recipes":
      return [...loadCatalogFor(ctx).recipes.keys()];
    case "profiles":
      return [...PROFILES];
    case "strategies":
      return [...STRATEGIES];
    case "targets":
      return [...TARGETS];
    case "shells":
      return [...SHELLS];
    default:
      return [];
  }
}

/**
 * Parses arguments with commander, built from the command table, and runs the chosen command's
 * lazily imported module. Returns the exit code; the bin sets it.
 */
import os from "node:os";
import { Command, CommanderError } from "commander";
import pc from "picocolors";
import { COMMANDS, type CommandDef } from "./command-table.js";
import type { CommandContext } from "./context.js";
import { reportError } from "./errors.js";

export async function main(
  argv: string[],
  version: string,
  overrides: Partial<CommandContext> = {},
): Promise<number> {
  const tty = overrides.tty ?? (process.stdout.isTTY === true && !process.env.CI);
  // `deloc status | head`: the reader went away; stop quietly, as Unix tools do.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  const ctx: CommandContext = {
    cwd: process.cwd(),
    env: process.env,
    home: os.homedir(),
    version,
    tty,
    color: tty && pc.isColorSupported,
    out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
    ...(process.stdin.isTTY && process.stderr.isTTY ? { ask: askOnTerminal } : {}),
    ...overrides,
  };

  let exitCode = 0;
  let json = argv.includes("--json");
  try {
    // Completion hands over raw words, options included: no parsing.
    if (argv[0] === "__complete") {
      const { completeFrom } = await import("./commands/completion.js");
      return await completeFrom(COMMANDS)(ctx, argv.slice(1), {});
    }
    // `deloc psql …`: a shortcut a catalog template declares, when no command has the name.
    if (argv[0] && !argv[0].startsWith("-") && !isCommand(argv[0])) {
      const { runShortcut } = await import("./commands/exec.js");
      const code = await runShortcut(ctx, argv);
      if (code !== null) return code;
    }
    const program = new Command("deloc")
      .description("Bring up a data-engineering stack on this machine, sized to fit it.")
      .version(version, "-V, --version")
      .showSuggestionAfterError(true)
      .exitOverride()
      .enablePositionalOptions()
      .configureOutput({ writeOut: (s) => ctx.out(s.trimEnd()), writeErr: (s) => ctx.err(s.trimEnd()) })
      .addHelpText(
        "after",
        "\nExit codes: 0 ok, 2 bad input (stack file, flags), 3 not enough memory, 70 a bug in DELoc.\nDocs: README.md",
      );
    program
      .command("help [command]", { hidden: false })
      .description("Show help for a command")
      .action((name?: string) => {
        const target = name ? program.commands.find((c) => c.name() === name) : undefined;
        (target ?? program).outputHelp();
      });

    const attach = (parent: Command, def: CommandDef, top = def.name) => {
      const cmd = parent.command(def.args ? `${def.name} ${def.args}` : def.name, {
        hidden: def.hidden ?? false,
      });
      cmd.description(def.summary);
      for (const alias of def.aliases ?? []) cmd.alias(alias);
      for (const o of def.options) cmd.option(o.flags, o.description);
      if (def.json) cmd.option("--json", "print JSON");
      if (def.passThrough) cmd.passThroughOptions();
      for (const sub of def.subcommands ?? []) attach(cmd, sub, top);
      const load = def.load;
      if (load)
        cmd.action(async (...params: unknown[]) => {
          const command = params.at(-1) as Command;
          // Options given after a subcommand may belong to its parent (`catalog show x --json`).
          const opts = command.optsWithGlobals();
          json = opts.json === true;
          const args = command.args.slice(0, def.args ? undefined : 0);
          // The plugins the stack file and the user config name join the catalog, verify and the targets.
          await (await import("./plugins.js")).preparePlugins(ctx, top, opts);
          const run = await load();
          exitCode = await run(ctx, args.flat() as string[], opts);
        });
    };
    for (const def of COMMANDS) attach(program, def);

    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed the problem; help and version exit 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e, ctx, json);
  }
}

function isCommand(name: string): boolean {
  return name === "help" || COMMANDS.some((c) => c.name === name || c.aliases?.includes(name));
}

/** One question on the terminal (stderr), its answer read from stdin; null on end of input (Ctrl-D). */
async function askOnTerminal(question: string): Promise<string | null> {
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string | null>((resolve) => {
      rl.once("close", () => resolve(null));
      // Ctrl-C at the question is a "no" (readline would otherwise only pause).
      rl.once("SIGINT", () => rl.close());
      rl.question(question, resolve);
    });
  } finally {
    rl.close();
  }
}

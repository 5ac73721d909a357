/**
 * The tools each look-alike's upstream image ships, read from its `images/<name>/CONTRACT.md`, and
 * the tools a command needs: what the image-tools check compares.
 */
import fs from "node:fs";
import path from "node:path";

export const IMAGES = path.resolve(import.meta.dirname, "../../images");

export interface ImageContract {
  dir: string;
  tag: string;
  /** Commands on the upstream image's PATH (by name) and the absolute paths DELoc runs. */
  tools: Set<string>;
  /**
   * The program the image's entrypoint puts before a command that is not one of its tools (a
   * ```prepends block: minio's entrypoint runs `minio server …` for `server …`).
   */
  prepends?: string;
}

/** Every look-alike by tag. A CONTRACT.md lists its tools in a ```tools fenced block. */
export function imageContracts(): Map<string, ImageContract> {
  const out = new Map<string, ImageContract>();
  for (const dir of fs.readdirSync(IMAGES)) {
    const recipe = path.join(IMAGES, dir, "image.json");
    if (!fs.existsSync(recipe)) continue;
    const { tag } = JSON.parse(fs.readFileSync(recipe, "utf8")) as { tag: string };
    const contract = path.join(IMAGES, dir, "CONTRACT.md");
    const text = fs.existsSync(contract) ? fs.readFileSync(contract, "utf8") : "";
    const block = /^```tools\n([\s\S]*?)^```/m.exec(text)?.[1];
    if (block === undefined) throw new Error(`images/${dir}/CONTRACT.md has no \`\`\`tools block`);
    const prepends = /^```prepends\n\s*(\S+)\s*^```/m.exec(text)?.[1];
    out.set(tag, {
      dir,
      tag,
      tools: new Set(block.split(/\s+/).filter(Boolean)),
      ...(prepends ? { prepends } : {}),
    });
  }
  return out;
}

const SHELLS = new Set(["sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/bash"]);
/** What the shell does itself: no program of the image runs. */
const BUILTINS = new Set([
  "command",
  "echo",
  "printf",
  "test",
  "[",
  "cd",
  "export",
  "exit",
  "set",
  "read",
  "true",
  "false",
  "type",
  ":",
  "trap",
  "wait",
  "shift",
  "local",
  "return",
  "break",
  "continue",
]);
/** Shell words a simple command follows (`if grep …`, `do wget …`) and words that end a compound one. */
const LEADS = new Set(["if", "then", "else", "elif", "while", "until", "do", "!", "{", "("]);
const ENDS = new Set(["fi", "done", "esac", "}", ")"]);

/**
 * The programs a command runs: argv[0], and for `sh -c SCRIPT` / `bash -c SCRIPT` each simple
 * command of the script (after `VAR=value` assignments, `exec`, `$(…)` included).
 */
export function toolsOf(argv: readonly string[]): string[] {
  const first = argv[0];
  if (first === undefined) return [];
  if (first.startsWith("-")) return []; // arguments for the image's own entrypoint
  const c = argv.indexOf("-c");
  if (SHELLS.has(first) && c > 0 && argv[c + 1] !== undefined) return [first, ...scriptTools(argv[c + 1]!)];
  return [first];
}

function scriptTools(script: string): string[] {
  const inner = [...script.matchAll(/\$\(([^()]*)\)/g)].map((m) => m[1]!);
  const outer = script.replace(/\$\([^()]*\)/g, "x");
  return [outer, ...inner].flatMap((s) =>
    s
      .split(/&&|\|\||[;|\n]/)
      .map((part) => part.trim().split(/\s+/))
      .map((words) => {
        let i = 0;
        while (
          words[i] !== undefined &&
          (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || words[i] === "exec" || LEADS.has(words[i]!))
        )
          i++;
        return ENDS.has(words[i] ?? "") ? "" : (words[i] ?? "");
      })
      .filter(
        (w) => w !== "" && !w.startsWith("$") && !/^[<>]/.test(w) && !w.startsWith("#") && !BUILTINS.has(w),
      ),
  );
}

/**
 * The programs a container's command runs in the image: for an image whose entrypoint puts its
 * program before a command (`prepends`), that program when the command's first word is not a tool
 * of the image (one that is, is taken as run: the trace cannot tell a replaced entrypoint).
 */
export function toolsOfCommand(contract: ImageContract, argv: readonly string[]): string[] {
  const first = argv[0];
  if (contract.prepends && first !== undefined && !first.startsWith("-") && !hasTool(contract, first))
    return [contract.prepends];
  return toolsOf(argv);
}

/** Whether the image has `tool`: by name, by its path in a bin folder, or by a path the contract lists. */
export function hasTool(contract: ImageContract, tool: string): boolean {
  if (contract.tools.has(tool)) return true;
  // `/bin/sh` or `/usr/local/bin/x` is the tool of that name on the PATH.
  return /^\/(usr\/)?(local\/)?s?bin\/[^/]+$/.test(tool) && contract.tools.has(path.basename(tool));
}

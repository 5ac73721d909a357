/**
 * Every command, as data: its options, what it completes, and a lazy loader for its module. The
 * argument parser, `help` and shell completion are all built from this one table, and a command's
 * module (with the heavy libraries it uses) is imported only when that command runs.
 */
import type { CommandDef, OptionDef } from "./command.js";

export type { CommandDef, CommandRun, Completion, OptionDef } from "./command.js";

const file: OptionDef = {
  flags: "-f, --file <path>",
  description: "stack file (default: ./deloc.yaml)",
  completes: "files",
};
const profile: OptionDef = {
  flags: "--profile <profile>",
  description: "sizing profile: minimal | development | production",
  completes: "profiles",
};

/** How a stack is sized and started; `plan` and `up` take the same, so they plan the same. */
const sizing: OptionDef[] = [
  profile,
  { flags: "--memory <size>", description: "size the stack as if the machine had this much memory, e.g. 8g" },
  { flags: "--cpus <n>", description: "size the stack as if the machine had this many CPUs" },
  { flags: "--strategy <strategy>", description: "parallel | sequential | hybrid", completes: "strategies" },
];

/** Where the stack runs: the commands that work on Kubernetes too take them. */
const targeting: OptionDef[] = [
  {
    flags: "--target <target>",
    description: "docker | podman | kubernetes (default: the file's spec.target, DELOC_TARGET, or docker)",
    completes: "targets",
  },
  {
    flags: "-n, --namespace <name>",
    description: "kubernetes: the namespace (default: DELOC_NAMESPACE, or the stack's name)",
  },
];

/** Commands that delete or overwrite data ask first on a terminal; this answers for the user. */
const yes: OptionDef = {
  flags: "-y, --yes",
  description: "do not ask before deleting or overwriting data (needed without a terminal)",
};

const stackOpt: OptionDef = {
  flags: "--stack <name>",
  description: "act on this stack by name, from the engine's labels (no stack file needed)",
};

export const COMMANDS: CommandDef[] = [
  {
    name: "init",
    summary: "Write a commented deloc.yaml from a recipe",
    options: [
      {
        flags: "--recipe <recipe>",
        description: "streaming | lakehouse | orchestration | full (default: streaming)",
        completes: "recipes",
      },
      profile,
      { flags: "--name <name>", description: "stack name (default: the folder's name)" },
      {
        flags: "-f, --file <path>",
        description: "where to write (default: ./deloc.yaml)",
        completes: "files",
      },
      { flags: "--force", description: "overwrite an existing file" },
    ],
    load: () => import("./commands/init.js").then((m) => m.init),
  },
  {
    name: "import",
    summary: "Write a deloc.yaml from files of another tool",
    options: [],
    subcommands: [
      {
        name: "compose",
        summary: "Write a commented deloc.yaml from compose files; catalog images become catalog services",
        args: "[files...]",
        argCompletes: "files",
        options: [
          {
            flags: "-o, --output <file>",
            description: "where to write (default: ./deloc.yaml)",
            completes: "files",
          },
          { flags: "--force", description: "overwrite an existing file" },
          {
            flags: "--profile <names>",
            description: "compose profiles to import, comma-separated (also COMPOSE_PROFILES; * for all)",
          },
          {
            flags: "--name <name>",
            description: "stack name (default: the compose project's name or folder)",
          },
        ],
        load: () => import("./commands/import.js").then((m) => m.importComposeCommand),
      },
    ],
  },
  {
    name: "plan",
    summary: "Show what would run: images, phases, memory, CPU, heap, ports",
    options: [file, ...sizing, ...targeting],
    json: true,
    load: () => import("./commands/plan.js").then((m) => m.planCommand),
  },
  {
    name: "catalog",
    summary: "List the services DELoc knows",
    options: [file],
    json: true,
    load: () => import("./commands/catalog.js").then((m) => m.catalogList),
    subcommands: [
      {
        name: "show",
        summary: "Show one catalog service: image, ports, profiles, dependencies, health check",
        args: "<service>",
        argCompletes: "services",
        options: [file],
        json: true,
        load: () => import("./commands/catalog.js").then((m) => m.catalogShow),
      },
    ],
  },
  {
    name: "resources",
    summary: "Show detected CPU, memory and disk, and the budget left for services",
    options: [
      { flags: "--memory <size>", description: "show the budget for a machine with this much memory" },
      { flags: "--cpus <n>", description: "show the budget for a machine with this many CPUs" },
    ],
    json: true,
    load: () => import("./commands/resources.js").then((m) => m.resources),
  },
  {
    name: "up",
    summary: "Deploy the stack: parallel phases, each service started when what it needs is ready",
    options: [
      file,
      ...sizing,
      { flags: "--build", description: "rebuild images of services with a build context" },
      { flags: "--no-rollback", description: "on failure, leave what this run started for inspection" },
      {
        flags: "--wait-timeout <duration>",
        description: "how long each service may take to be ready (default: from its health check)",
      },
      { flags: "--dry-run", description: "show the operations without changing anything" },
      { flags: "--show-secrets", description: "print passwords in the endpoints table" },
      {
        flags: "--supervise",
        description:
          "stay in the foreground after the deploy: report kills for memory, stop crash loops (circuit breaker)",
      },
      ...targeting,
    ],
    json: true,
    aliases: ["deploy"],
    load: () => import("./commands/up.js").then((m) => m.up),
  },
  {
    name: "status",
    summary: "Show each service: state, health, uptime, memory use against its limit, ports, endpoints",
    options: [
      file,
      stackOpt,
      { flags: "--show-secrets", description: "print passwords in endpoints" },
      ...targeting,
    ],
    json: true,
    load: () => import("./commands/status.js").then((m) => m.status),
  },
  {
    name: "health",
    summary: "Run every service's health check now and report what it said",
    args: "[services...]",
    argCompletes: "services",
    options: [file, ...targeting],
    json: true,
    load: () => import("./commands/status.js").then((m) => m.health),
  },
  {
    name: "logs",
    summary: "Print a service's log",
    args: "<service>",
    argCompletes: "services",
    options: [
      // `-f` follows, as in `docker logs -f` and `kubectl logs -f`; the stack file is `--file` here.
      { ...file, flags: "--file <path>" },
      { flags: "-f, --follow", description: "keep printing new lines" },
      { flags: "--tail <n>", description: "only the last n lines" },
      ...targeting,
    ],
    load: () => import("./commands/logs.js").then((m) => m.logs),
  },
  {
    name: "scale",
    summary: "Run n replicas of a service that can scale (e.g. spark-worker)",
    args: "<service> <replicas>",
    argCompletes: "services",
    options: [file, ...targeting],
    load: () => import("./commands/lifecycle.js").then((m) => m.scale),
  },
  {
    name: "restart",
    summary: "Restart services in start order and wait until they are ready",
    args: "[services...]",
    argCompletes: "services",
    options: [file, ...targeting],
    load: () => import("./commands/lifecycle.js").then((m) => m.restart),
  },
  {
    name: "stop",
    summary: "Stop services, keeping their containers (`deloc up` starts them again)",
    args: "[services...]",
    argCompletes: "services",
    options: [file, stackOpt, ...targeting],
    load: () => import("./commands/lifecycle.js").then((m) => m.stop),
  },
  {
    name: "down",
    summary: "Remove the stack's containers and network; volumes stay unless --volumes",
    options: [
      file,
      stackOpt,
      { flags: "-v, --volumes", description: "also remove the stack's volumes (its data); asks first" },
      yes,
      ...targeting,
    ],
    load: () => import("./commands/lifecycle.js").then((m) => m.down),
  },
  {
    name: "cleanup",
    summary:
      "Remove everything labelled with the stack (containers, network, volumes, built images) and .deloc/",
    options: [file, stackOpt, yes, ...targeting],
    load: () => import("./commands/lifecycle.js").then((m) => m.cleanup),
  },
  {
    name: "watch",
    summary:
      "Follow the build contexts and watch rules of services: on a change, sync, restart, or rebuild and recreate that service alone, health-gated",
    args: "[services...]",
    argCompletes: "services",
    options: [file],
    load: () => import("./commands/watch.js").then((m) => m.watch),
  },
  {
    name: "exec",
    summary:
      "Run a command in a service's container (a shell by default), with your terminal attached; catalog shortcuts such as `deloc psql` do the same (`deloc catalog show SERVICE` lists them)",
    args: "<service> [command...]",
    argCompletes: "services",
    options: [
      file,
      {
        flags: "-T, --no-tty",
        description: "plain streams even on a terminal (as `docker compose exec -T`)",
      },
      {
        flags: "-u, --user <user>",
        description: "run as this user (uid[:gid] or name); default: the image's",
      },
      { flags: "--replica <n>", description: "which replica of a scaled service (default: 1)" },
    ],
    passThrough: true,
    load: () => import("./commands/exec.js").then((m) => m.exec),
  },
  {
    name: "verify",
    summary: "Prove each service does its job with a real client: a row written and read, a key set and got",
    args: "[services...]",
    argCompletes: "services",
    options: [
      file,
      {
        flags: "--allow-unverified",
        description: "exit 0 even when a service has no probe (it is still reported as not verified)",
      },
      ...targeting,
    ],
    json: true,
    load: () => import("./commands/verify.js").then((m) => m.verifyCommand),
  },
  {
    name: "export",
    summary: "Write the stack for another target: a Compose file, a Helm chart, Kubernetes manifests",
    options: [],
    subcommands: [
      {
        name: "compose",
        summary: "Write a Compose file equivalent to what `deloc up` runs, and the secrets to .env beside it",
        options: [
          file,
          ...sizing,
          {
            flags: "-o, --output <file>",
            description: "where to write (default: ./compose.yaml; - for stdout, without secrets)",
            completes: "files",
          },
          { flags: "--force", description: "overwrite a file deloc did not write" },
          {
            flags: "--no-start-interval",
            description: "leave out health checks' start_interval (Docker Engine before 25 refuses it)",
          },
        ],
        load: () => import("./commands/export.js").then((m) => m.exportCompose),
      },
      {
        name: "helm",
        summary: "Write a Helm chart: workloads, services, probes, init containers for start order, a Secret",
        options: [
          file,
          ...sizing,
          {
            flags: "-o, --output <dir>",
            description: "the chart's folder (default: ./chart/<stack>)",
            completes: "files",
          },
          { flags: "--force", description: "overwrite a folder whose Chart.yaml deloc did not write" },
        ],
        load: () => import("./commands/export.js").then((m) => m.exportHelm),
      },
      {
        name: "k8s",
        summary:
          "Write the chart's objects as plain Kubernetes manifests; the Secret's values only in a file (-o) or with --show-secrets",
        options: [
          file,
          ...sizing,
          {
            flags: "-o, --output <file>",
            description:
              "where to write (default: - for stdout, without the Secret's values; a file holds them, mode 0600)",
            completes: "files",
          },
          {
            flags: "-n, --namespace <name>",
            description: "the namespace the manifests are for (default: default)",
          },
          { flags: "--force", description: "overwrite a file deloc did not write" },
          {
            flags: "--show-secrets",
            description: "print the Secret with its values (a file written with -o always has them)",
          },
        ],
        load: () => import("./commands/export.js").then((m) => m.exportK8s),
      },
    ],
  },
  {
    name: "backup",
    summary: "Back up a service's data to a .tar.gz (a consistent dump for postgres)",
    args: "<service>",
    argCompletes: "services",
    options: [
      file,
      {
        flags: "-o, --output <file>",
        description: "where to write (default: <stack>-<service>-<time>.tar.gz)",
        completes: "files",
      },
      ...targeting,
    ],
    json: true,
    load: () => import("./commands/backup.js").then((m) => m.backup),
  },
  {
    name: "restore",
    summary: "Restore a service's data from a file made by `deloc backup`",
    args: "<service> <file>",
    argCompletes: "services",
    options: [file, yes, ...targeting],
    load: () => import("./commands/backup.js").then((m) => m.restore),
  },
  {
    name: "events",
    summary: "Show the stack's history: every change of state, from .deloc/events.ndjson",
    options: [
      file,
      { flags: "--service <name>", description: "only this service" },
      { flags: "--last <n>", description: "only the last n events" },
    ],
    json: true,
    load: () => import("./commands/events.js").then((m) => m.events),
  },
  {
    name: "ui",
    summary:
      "Serve a live dashboard of the stack on 127.0.0.1 (the first line printed is its URL, with a token)",
    options: [
      file,
      { flags: "--port <n>", description: "the port to listen on (default: a free one)" },
      { flags: "--no-open", description: "do not open a browser" },
    ],
    load: () => import("./commands/ui.js").then((m) => m.ui),
  },
  {
    name: "metrics",
    summary: "Print the running stack's metrics in Prometheus' text format",
    options: [file, stackOpt],
    json: true,
    load: () => import("./commands/metrics.js").then((m) => m.metrics),
  },
  {
    name: "plugins",
    summary:
      "List the plugins loaded (DELoc's own, the stack file's, the user config's) and what each provides",
    options: [file],
    json: true,
    load: () => import("./commands/plugins.js").then((m) => m.pluginsCommand),
  },
  {
    name: "completion",
    summary: "Print a shell completion script: bash | zsh | fish",
    args: "<shell>",
    argCompletes: "shells",
    options: [],
    load: () => import("./commands/completion.js").then((m) => m.completion),
  },
  {
    name: "__complete",
    summary: "Completion candidates for the words given (used by the completion scripts)",
    args: "[words...]",
    options: [],
    hidden: true,
    load: () => import("./commands/completion.js").then((m) => m.completeFrom(COMMANDS)),
  },
];

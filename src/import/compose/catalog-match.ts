/**
 * Which catalog service a compose service's image is: the same upstream image, so DELoc's sizing,
 * heap, health check, verify and backup apply to it. Anything else stays a custom service.
 */
import type { Raw } from "./project.js";

export interface ImageRef {
  /** `postgres`, `apache/kafka`, `quay.io/minio/minio`: registry and `library/` trimmed. */
  repository: string;
  tag?: string;
}

export function parseImage(image: string): ImageRef {
  const noDigest = image.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const hasTag = colon > slash;
  let repository = hasTag ? noDigest.slice(0, colon) : noDigest;
  repository = repository.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "");
  repository = repository.replace(/^library\//, "");
  return hasTag ? { repository, tag: noDigest.slice(colon + 1) } : { repository };
}

export interface CatalogMatch {
  template: string;
  variant?: string;
}

/** The catalog template (and variant) for an image, or why an image close to one is not it. */
export function matchCatalog(
  image: string,
  service: Raw,
  env: Record<string, unknown>,
): { match?: CatalogMatch; why?: string } {
  const { repository } = parseImage(image);
  const words = commandWords(service);
  switch (repository) {
    case "postgres":
    case "redis":
    case "zookeeper":
      return { match: { template: repository } };
    case "apache/kafka":
      return { match: { template: "kafka" } };
    case "confluentinc/cp-kafka":
      if (env.KAFKA_ZOOKEEPER_CONNECT !== undefined)
        return { match: { template: "kafka", variant: "zookeeper" } };
      return {
        why: "confluentinc/cp-kafka in KRaft mode: the catalog's kafka runs KRaft on apache/kafka (cp-kafka only in its zookeeper variant), so it stays a custom service",
      };
    case "minio/minio":
    case "quay.io/minio/minio":
      return { match: { template: "minio" } };
    case "apache/spark":
    case "spark": {
      if (/deploy\.master\.Master|start-master/.test(words)) return { match: { template: "spark-master" } };
      if (/deploy\.worker\.Worker|start-worker/.test(words)) return { match: { template: "spark-worker" } };
      return { why: "apache/spark without a master or worker command: a custom service" };
    }
    case "apache/airflow": {
      // `airflow scheduler` or, through the image's entrypoint, `scheduler`.
      const first = words.split(" ").find((w) => w && !w.startsWith("-") && w !== "airflow") ?? "";
      const component = AIRFLOW_COMMANDS[first];
      if (component) return { match: { template: component } };
      return {
        why: `apache/airflow running ${service.entrypoint !== undefined ? "its own entrypoint" : `"${first || "its default command"}"`}: the catalog's Airflow has the api-server, scheduler and dag-processor, so it stays a custom service`,
      };
    }
    default:
      if (/^(?:quay\.io\/)?jupyter\/[a-z-]+-notebook$/.test(repository))
        return { match: { template: "jupyter" } };
      return {};
  }
}

const AIRFLOW_COMMANDS: Record<string, string> = {
  "api-server": "airflow-api-server",
  webserver: "airflow-api-server",
  scheduler: "airflow-scheduler",
  "dag-processor": "airflow-dag-processor",
};

function commandWords(service: Raw): string {
  const c = service.command;
  return Array.isArray(c) ? c.map(String).join(" ") : typeof c === "string" ? c : "";
}

/**
 * What the upstream image does when a variable is not set, for variables the catalog sets to
 * values of its own: written into the imported service so it keeps behaving as under Compose
 * (a database user `postgres`, MinIO's `minioadmin` keys).
 */
export function imageDefaults(template: string, env: Record<string, unknown>): Record<string, string> {
  switch (template) {
    case "postgres": {
      const user = typeof env.POSTGRES_USER === "string" ? env.POSTGRES_USER : "postgres";
      return { POSTGRES_USER: "postgres", POSTGRES_DB: user };
    }
    case "minio":
      return { MINIO_ROOT_USER: "minioadmin", MINIO_ROOT_PASSWORD: "minioadmin" };
    default:
      return {};
  }
}

/** Variables the catalog's own wiring of a service needs as it sets them (listeners, roles, ids). */
export const CATALOG_WIRING: Record<string, readonly string[]> = {
  kafka: [
    "CLUSTER_ID",
    "KAFKA_NODE_ID",
    "KAFKA_BROKER_ID",
    "KAFKA_PROCESS_ROLES",
    "KAFKA_CONTROLLER_QUORUM_VOTERS",
    "KAFKA_CONTROLLER_LISTENER_NAMES",
    "KAFKA_LISTENERS",
    "KAFKA_ADVERTISED_LISTENERS",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
    "KAFKA_INTER_BROKER_LISTENER_NAME",
    "KAFKA_LOG_DIRS",
    "KAFKA_HEAP_OPTS",
  ],
  zookeeper: ["ZK_SERVER_HEAP"],
  "spark-master": ["SPARK_DAEMON_MEMORY"],
  "spark-worker": ["SPARK_WORKER_MEMORY"],
};

import pg from "pg";
import type { Probe, ProbeTarget } from "../probe.js";

/** A table created, a row inserted and selected back, the table dropped. */
export const postgresProbe: Probe = {
  what: "create a table, insert a row, select it back",
  hint: "`deloc logs postgres` shows the server's side; `deloc status` shows its port.",
  async run(t) {
    const client = await connectPostgres(t);
    const table = `deloc_verify_${Date.now().toString(36)}`;
    try {
      await client.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, note text NOT NULL)`);
      await client.query(`INSERT INTO ${table} VALUES ($1, $2)`, [1, "written by deloc verify"]);
      const r = await client.query<{ note: string }>(`SELECT note FROM ${table} WHERE id = $1`, [1]);
      if (r.rows[0]?.note !== "written by deloc verify")
        throw new Error(`read back ${JSON.stringify(r.rows)}`);
      const v = await client.query<{ server_version: string }>("SHOW server_version");
      return `wrote and read a row in ${t.env.POSTGRES_DB ?? "postgres"} (PostgreSQL ${v.rows[0]?.server_version})`;
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await client.end();
    }
  },
};

/** A client connected from the host with the service's own credentials (its POSTGRES_* env). */
export async function connectPostgres(t: ProbeTarget): Promise<pg.Client> {
  const { host, port } = t.address("sql");
  const client = new pg.Client({
    host,
    port,
    user: t.env.POSTGRES_USER ?? "postgres",
    password: t.env.POSTGRES_PASSWORD ?? "",
    database: t.env.POSTGRES_DB ?? t.env.POSTGRES_USER ?? "postgres",
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  return client;
}

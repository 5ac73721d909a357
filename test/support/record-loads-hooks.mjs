import fs from "node:fs";

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.DELOC_LOAD_LOG) fs.appendFileSync(process.env.DELOC_LOAD_LOG, `${result.url}\n`);
  return result;
}

/** The local images stand in for the catalog's upstream ones: each must carry exactly that tag. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { VOLUME_HELPER_IMAGE } from "../src/adapters/docker/docker-adapter.js";
import { loadCatalog } from "../src/catalog/index.js";
import { catalog } from "./support/stack.js";

const IMAGES = path.resolve(import.meta.dirname, "../images");

test("images: every recipe is tagged as its catalog service's image (or the adapter's helper) and writes its contract down", () => {
  const recipes = fs.readdirSync(IMAGES).filter((d) => fs.existsSync(path.join(IMAGES, d, "image.json")));
  assert.ok(recipes.length >= 3);
  for (const d of recipes) {
    const { tag, service, helper, plugin } = JSON.parse(
      fs.readFileSync(path.join(IMAGES, d, "image.json"), "utf8"),
    ) as { tag: string; service?: string; helper?: "volume"; plugin?: string };
    assert.ok(fs.existsSync(path.join(IMAGES, d, "CONTRACT.md")), `images/${d}/CONTRACT.md`);
    if (helper) {
      assert.equal(tag, VOLUME_HELPER_IMAGE, `images/${d}: the volume helper the Docker adapter runs`);
      continue;
    }
    assert.ok(service, `images/${d}/image.json names neither a service nor a helper`);
    // `service` names a template or a group; the tag is its image or one of its variants'.
    // An example plugin's image: the service is a template of the plugin's folder.
    const from = plugin ? loadCatalog({ paths: [path.resolve(IMAGES, "..", plugin, "templates")] }) : catalog;
    const templates = (from.groups.get(service) ?? [service]).map((n) => from.templates.get(n));
    const images = templates.flatMap((t) =>
      t ? [t.image, ...Object.values(t.variants).flatMap((v) => v.image ?? [])] : [],
    );
    assert.ok(
      images.includes(tag),
      `images/${d}: ${tag} is not an image of ${service} (${images.join(", ")})`,
    );
  }
});

test("npm run images: a --jobs that is not a whole number from 1 up is refused before any build, naming it", () => {
  for (const jobs of ["0", "two", "1.5"]) {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/images.ts", "--jobs", jobs], {
      cwd: path.resolve(import.meta.dirname, ".."),
      encoding: "utf8",
      env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`--jobs wants a whole number from 1 up, not ${jobs.replace(".", "\\.")}`),
    );
  }
});

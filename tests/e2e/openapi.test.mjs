//! The OpenAPI document (`docs/openapi.json`) against the code: it validates as OpenAPI 3.1, every
//! route the server's routers declare is in it with its methods (read from the Rust sources, so a new
//! route without its description fails here), and it describes no route the server lacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";

const ROOT = resolve(import.meta.dirname, "../..");
const SRC = join(ROOT, "crates/server/src/http");
const doc = JSON.parse(readFileSync(join(ROOT, "docs/openapi.json"), "utf8"));

/** `.route("/path", get(a).post(b))` in a router file → ["GET /prefix/path", "POST …"]: each
 * `.route(` up to the next one, the end of the builder (`.fallback`, `.with_state`) or of the function. */
function routes(file, prefix = "") {
  const text = readFileSync(join(SRC, file), "utf8");
  const out = [];
  const starts = [...text.matchAll(/\.route\(/g)].map((m) => m.index);
  for (const [i, at] of starts.entries()) {
    let chunk = text.slice(at + 1, starts[i + 1] ?? text.length);
    chunk = chunk.split(/\.fallback\(|\.with_state\(|\n\}/)[0];
    const path = chunk.match(/"([^"]+)"/)?.[1];
    for (const verb of chunk.matchAll(/\b(get|post|put|delete|patch)\(/g)) out.push(`${verb[1].toUpperCase()} ${prefix}${path}`);
  }
  return out;
}

test("the OpenAPI document is valid OpenAPI 3.1", async () => {
  const result = await new Validator().validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(doc.openapi, "3.1.0");
});

test("every route the server serves is described, and nothing else", () => {
  const served = [
    ...routes("api.rs", "/api/checkout"),
    ...routes("notify.rs"),
    ...routes("admin.rs"),
    ...routes("frame.rs"),
    ...routes("health.rs"),
  ].sort();
  assert.ok(served.length >= 12, `routes found in the sources: ${served}`);
  const described = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).filter((k) => ["get", "post", "put", "delete", "patch"].includes(k)).map((v) => `${v.toUpperCase()} ${path}`))
    .sort();
  assert.deepEqual(described, served);
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [verb, op] of Object.entries(ops)) {
      assert.ok(op.operationId && op.responses, `${verb} ${path} has an operationId and responses`);
      const isAdmin = path.startsWith("/admin/") || path === "/metrics";
      assert.equal(Boolean(op.security), isAdmin, `${verb} ${path}: bearer security exactly on the admin API and /metrics`);
    }
  }
});

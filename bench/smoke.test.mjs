//! A smoke pass of `cargo xtask bench` (run by `cargo xtask bench smoke`, `.ci/run`'s second step):
//! every part runs tiny against the debug build, so the harness keeps working. It asserts that each figure was measured, never what it is (numbers belong to the bench).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("every benchmark part runs and reports each figure (smoke)", () => {
  const out = mkdtempSync(join(tmpdir(), "wallet-checkout-bench-"));
  const run = spawnSync("node", ["bench/bench.mjs", "all", "--smoke", "--out", out], { encoding: "utf8", timeout: 300_000 });
  assert.equal(run.status, 0, `bench failed:\n${run.stdout}\n${run.stderr}`);
  const r = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
  const number = (x, what) => assert.ok(typeof x === "number" && Number.isFinite(x), `${what}: ${JSON.stringify(x)}`);
  number(r.parts.size.total.brotli, "size.total.brotli");
  assert.ok(r.parts.size.contributors?.crates.length > 0, "the wasm breakdown names crates");
  number(r.parts.startup.script_start_to_painted_ms.median, "startup painted");
  number(r.parts.startup.script_start_to_painted_ms.adyen.median, "Adyen's first paint, same run");
  number(r.parts.startup.script_start_to_painted_ms.floor.median, "the Leptos counter's first paint, same run");
  number(r.parts.startup.script_start_to_painted_ms.ratio_to_adyen, "first paint ÷ Adyen");
  number(r.parts.startup.script_start_to_interactive_ms.median, "startup interactive");
  number(r.parts.startup.layout_shift.max, "layout shift from the first screen to the widget");
  number(r.parts.startup.session_response_to_qr_ms.median, "startup qr");
  number(r.parts.startup.js_heap_plus_wasm_memory_bytes.median, "startup memory");
  // Every peer is measured in the same run, and each of our figures is put as a ratio to it.
  number(r.parts.size.adyen.js.brotli, "Adyen Web's WeChat Pay JS, bundled here");
  number(r.parts.size.adyen.css.brotli, "Adyen Web's stylesheet, bundled here");
  number(r.parts.size.floor.total.brotli, "the Leptos counter floor");
  number(r.parts.size.ratio_to_adyen, "size ÷ Adyen");
  number(r.parts.size.ratio_to_floor, "size ÷ floor");
  number(r.parts.startup.js_heap_plus_wasm_memory_bytes.floor.median, "the floor's memory");
  number(r.parts.startup.js_heap_plus_wasm_memory_bytes.ratio_to_floor, "memory ÷ floor");
  for (const mode of ["sse", "long_poll", "polling", "adyen_schedule"]) number(r.parts.latency[mode].p50_ms, `latency ${mode}`);
  for (const mode of ["sse", "long_poll", "polling", "adyen_schedule"]) number(r.parts.requests[mode], `requests ${mode}`);
  number(r.parts.server.status_reads.requests_per_s, "status reads");
  number(r.parts.server.status_reads.peer.requests_per_s, "plain axum's reads, same run");
  number(r.parts.server.status_reads.ratio_to_peer, "reads ÷ plain axum");
  number(r.parts.server.idle_sse_stream.peer.bytes_per_connection, "axum Sse's idle stream, same run");
  number(r.parts.server.idle_sse_stream.ratio_to_peer, "idle stream ÷ axum Sse");
  assert.ok(r.parts.server.idle_sse_stream.peer.rss_after_bytes > r.parts.server.idle_sse_stream.peer.rss_before_bytes, "the peer's streams cost memory");
  number(r.parts.server.notification_ack.p99_ms, "notification ack");
  assert.equal(r.parts.server.notification_ack.notifications, r.parts.server.notification_ack.sent, "every notification acknowledged");
  number(r.parts.server.idle_sse_stream.bytes_per_connection, "idle sse");
  number(r.parts.server.idle_long_poll.bytes_per_connection, "idle long poll");
  number(r.parts.server.session_creation.per_s, "session creation");
  number(r.parts.webhooks.p95_ms, "webhook first attempt");
  assert.equal(r.parts.webhooks.delivered, r.parts.webhooks.payments, "every payment's webhook delivered");
  assert.equal(r.parts.abuse.rows.length, 8, "no attack, then each of the seven");
  for (const row of r.parts.abuse.rows) {
    assert.equal(row.watched_session, "pending", `the shopper's session undisturbed by ${row.attack}`);
    number(row.read_p99_ms, `read p99 under ${row.attack}`);
    number(row.ack_p99_ms, `ack p99 under ${row.attack}`);
    assert.equal(row.acknowledged, row.sent, `every notification acknowledged under ${row.attack}`);
  }
  const i = r.parts.instances;
  number(i.detection_across.p95_ms, "detection across instances");
  number(i.reads_postgres_one.requests_per_s, "reads, one instance on PostgreSQL");
  number(i.reads_postgres_two.requests_per_s, "reads, two instances on PostgreSQL");
  number(i.reads_sqlite_one.requests_per_s, "reads, one instance on SQLite");
  number(i.ack_two_instances.p99_ms, "ack across two instances");
  assert.equal(i.ack_two_instances.notifications, i.ack_two_instances.sent, "every notification acknowledged across two instances");
  number(i.ack_one_sqlite.p99_ms, "ack on one instance on SQLite");
  for (const store of ["sqlite", "postgres"]) {
    for (const page of ["first_page", "half_way", "last_page", "search_order", "failed_first", "failed_half_way", "csv_one_day"]) {
      number(r.parts.console[store][page].median_ms, `console ${page} on ${store}`);
    }
    assert.equal(r.parts.console[store].whole_export.rows, r.parts.console.sessions, `every session exported from ${store}`);
  }
  const md = readFileSync(join(out, "latest.md"), "utf8");
  assert.match(md, /\| figure \| ours \| target \| peer \| ours ÷ peer \|/);
  assert.match(md, /plain axum \+ in-memory map: [\d,]+\/s/, "the table shows the peer's reads as measured");
});

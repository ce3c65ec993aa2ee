#!/usr/bin/env node
//! Debian's Firefox ESR as Playwright's `executablePath`: starts `/usr/bin/firefox-esr` with the
//! arguments given and stands between Playwright's WebDriver BiDi client and Firefox's socket.
//! Firefox 153 answers `emulation.setMediaFeaturesOverride` (sent for every new context) with
//! "unknown command", which makes every context fail; this answers that one command itself (as
//! success: the page keeps Firefox's own media features) and passes everything else through.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { WebSocket, WebSocketServer } from "ws";

const UNANSWERED = new Set(["emulation.setMediaFeaturesOverride"]);
const firefox = spawn(process.env.FIREFOX ?? "/usr/bin/firefox-esr", process.argv.slice(2), {
  stdio: ["ignore", "inherit", "pipe"],
});
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => firefox.kill(signal));
firefox.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await new Promise((resolve) => server.once("listening", resolve));
let upstream = null; // Firefox's ws://host:port

server.on("connection", (client, request) => {
  const browser = new WebSocket(`${upstream}${request.url}`, { perMessageDeflate: false });
  const queued = [];
  browser.on("open", () => queued.splice(0).forEach((m) => browser.send(m)));
  browser.on("message", (data) => client.send(data.toString()));
  browser.on("close", () => client.close());
  browser.on("error", () => client.close());
  client.on("close", () => browser.close());
  client.on("message", (data) => {
    const text = data.toString();
    let command = null;
    try {
      command = JSON.parse(text);
    } catch {
      // not ours to judge: Firefox answers it
    }
    if (command && UNANSWERED.has(command.method)) {
      client.send(JSON.stringify({ type: "success", id: command.id, result: {} }));
    } else if (browser.readyState === WebSocket.OPEN) {
      browser.send(text);
    } else {
      queued.push(text);
    }
  });
});

createInterface({ input: firefox.stderr }).on("line", (line) => {
  const m = line.match(/WebDriver BiDi listening on (ws:\/\/\S+)$/);
  if (m) {
    upstream = m[1];
    process.stderr.write(`WebDriver BiDi listening on ws://127.0.0.1:${server.address().port}\n`);
  } else {
    process.stderr.write(`${line}\n`);
  }
});

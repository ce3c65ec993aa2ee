//! `cargo xtask dist`, second half: from wasm-bindgen's output and the optimised wasm, writes `dist/`
//! with content-hashed names, sha384 integrity for every file, `manifest.json` (the script
//! inventory for a PCI DSS 6.4.3 review), `snippet.html` (the tags to paste), the iframe page, the
//! demo shop, and the npm package (`dist/npm/`, packed to `dist/wallet-checkout-<version>.tgz`).
//!
//! Usage: node xtask/dist.mjs <no-modules glue dir> <web glue dir> <out dir>
//!
//! Before anything is written, the wasm-streams classes that Leptos's `server_fn` exports (a client
//! widget never uses them) are cut: `wasm-metadce` drops their exports and the code only they reach,
//! `wasm-opt -Oz` shrinks the rest, and both glues lose those classes and every import the wasm no
//! longer asks for.
//!
//! The panic machinery is cut too (the `wasm-snip` technique): under `panic = "abort"` on
//! wasm32-unknown-unknown a panic's message goes to a stderr that does not exist and then the wasm
//! traps, so the formatting, payload and hook code only builds a message nobody can read. Their
//! bodies become `unreachable`, the same trap one step earlier, and wasm-opt drops what only they used.
import binaryen from "binaryen";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const www = join(root, "www");
const [nomod, web, outArg] = process.argv.slice(2);
if (!outArg) throw new Error("usage: node xtask/dist.mjs <no-modules dir> <web dir> <out dir>");
const out = resolve(outArg);
const pkg = JSON.parse(readFileSync(join(www, "package.json"), "utf8"));

// 0. The wasm: unused exports cut, then optimised; the glues pruned to match.
const unused = /^(__wbg_)?intounderlying/;
const wasmPath = join(dirname(resolve(web)), "wallet_checkout.wasm");
{
  const raw = readFileSync(join(web, "wallet_checkout_bg.wasm"));
  const exported = WebAssembly.Module.exports(new WebAssembly.Module(raw)).map((e) => e.name);
  if (!exported.some((n) => unused.test(n))) console.log("  note: no wasm-streams exports to cut any more");
  const graph = join(dirname(resolve(web)), "dce-graph.json");
  const roots = exported.filter((n) => !unused.test(n)).map((n) => ({ name: `export:${n}`, export: n, root: true }));
  writeFileSync(graph, JSON.stringify(roots));
  const snipped = join(dirname(resolve(web)), "wallet_checkout_snip.wasm");
  writeFileSync(snipped, snipPanics(raw));
  const cut = join(dirname(resolve(web)), "wallet_checkout_dce.wasm");
  const bin = (tool) => join(root, "node_modules/.bin", tool);
  execFileSync(bin("wasm-metadce"), ["--graph-file", graph, snipped, "-o", cut], { stdio: ["ignore", "ignore", "inherit"] });
  // Memory is the wasm's own (exported, never imported), so it starts zeroed; the stack sits below
  // the data and never reaches its lowest kilobyte. The producers and target-features sections are
  // for toolchains, not browsers.
  execFileSync(bin("wasm-opt"), ["-Oz", "--converge", "--zero-filled-memory", "--low-memory-unused", "--strip-producers", "--strip-target-features", cut, "-o", wasmPath], { stdio: "inherit" });
  writeFileSync(wasmPath, blankSourcePaths(readFileSync(wasmPath)));
}

/**
 * The build machine's source paths (`/…/library/core/src/….rs`, `/…/registry/src/…/….rs`) zeroed in
 * place: they are the panic locations, read only by the panic machinery `snipPanics` cut, so they
 * are dead bytes (and name the build machine's folders). Same length, so no pointer moves; zeros
 * compress to almost nothing.
 */
function blankSourcePaths(bytes) {
  // Only inside the data section (id 11): never a byte of code.
  let i = 8;
  const leb = () => { let r = 0, sh = 0, x; do { x = bytes[i++]; r |= (x & 0x7f) << sh; sh += 7; } while (x & 0x80); return r >>> 0; };
  let data = null;
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    if (id === 11) data = [i, i + size];
    i += size;
  }
  if (!data) throw new Error("the wasm has no data section");
  const text = bytes.subarray(...data).toString("latin1");
  const out = Buffer.from(bytes);
  let count = 0;
  // rustc ends each location's file name with a NUL; nothing else in the data is matched.
  for (const m of text.matchAll(/\/(?:[\w.@+-]+\/){2,}[\w.+-]+\.rs(?=\0)/g)) {
    out.fill(0, data[0] + m.index, data[0] + m.index + m[0].length);
    count++;
  }
  if (count === 0) console.log("  note: no source paths found to blank");
  return out;
}
const wasmModule = new WebAssembly.Module(readFileSync(wasmPath));

/**
 * The wasm with the standard library's panic path (`panicking::*`, the `*_fail` reporters, the
 * panic handler) reduced to `unreachable`. Only core/std/alloc functions are touched, never ours:
 * the widget itself must not panic at all (parse, don't unwrap), this only sheds the dead weight.
 */
function snipPanics(bytes) {
  const panicPath = /^(core|std|alloc)\[[0-9a-f]+\]::(panicking::|(\w+::)*(\w+_fail(ed)?(_inner)?|panic_\w+)$)|^__rustc\[[0-9a-f]+\]::rust_begin_unwind$|^core::panicking::/;
  const module = binaryen.readBinary(bytes);
  let count = 0;
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const fn = module.getFunctionByIndex(i);
    const { name, module: imported } = binaryen.getFunctionInfo(fn);
    if (imported || !panicPath.test(name)) continue;
    binaryen.Function.setBody(fn, module.unreachable());
    count++;
  }
  if (count === 0) console.log("  note: no panic machinery found to cut (function names changed?)");
  const out = module.emitBinary();
  module.dispose();
  return out;
}
const wasmImports = new Set(WebAssembly.Module.imports(wasmModule).map((i) => i.name));
const wasmExports = new Set(WebAssembly.Module.exports(wasmModule).map((e) => e.name));

/** wasm-bindgen's glue without the cut classes and without the imports the wasm no longer has. */
function prune(src, what) {
  let code = src
    // `class IntoUnderlying… { … }` up to its `exports.X = X;` (no-modules) or its `Symbol.dispose` line (web).
    .replace(/^( *)(export )?class IntoUnderlying\w+ \{\n[\s\S]*?^\1\}\n(\1if \(Symbol\.dispose\)[^\n]*\n)?(\1exports\.IntoUnderlying\w+ = IntoUnderlying\w+;\n)?/gm, "")
    .replace(/^( *)const IntoUnderlying\w+Finalization = [^;]*;\n/gm, "")
    // One import entry: `name: function(…) {` … `},` at the same indent.
    .replace(/^( *)(__wbg_\w+|__wbindgen_\w+): function\([^)]*\) \{\n[\s\S]*?^\1\},?\n/gm, (entry, _indent, name) =>
      wasmImports.has(name) ? entry : "");
  if (/IntoUnderlying|intounderlying/.test(code)) throw new Error(`${what}: wasm-streams code left after pruning`);
  for (const name of wasmImports) if (!code.includes(`${name}:`)) throw new Error(`${what}: the wasm imports ${name}, which pruning removed`);
  for (const [, name] of code.matchAll(/\bwasm\.(\w+)/g)) {
    if (!wasmExports.has(name)) throw new Error(`${what}: the glue calls wasm.${name}, which the wasm no longer exports`);
  }
  return code;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const files = [];
const integrity = (bytes) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
const shortHash = (bytes) => createHash("sha384").update(bytes).digest("hex").slice(0, 12);

/** Writes `bytes` as `<stem>.<hash>.<ext>` and records it in the manifest. */
function emit(stem, ext, bytes, purpose, { widget = false, language = undefined } = {}) {
  const file = `${stem}.${shortHash(bytes)}.${ext}`;
  writeFileSync(join(out, file), bytes);
  // The compressed copies beside it, for a server that sends them as they are (the reference
  // server's `[widget] dist`, nginx's gzip_static/brotli_static, Caddy's precompressed).
  const gz = gzipSync(bytes, { level: 9 });
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(join(out, `${file}.gz`), gz);
  writeFileSync(join(out, `${file}.br`), br);
  const entry = {
    file,
    purpose,
    bytes: bytes.length,
    gzip: gz.length,
    brotli: br.length,
    sha384: integrity(bytes),
    widget,
    ...(language ? { language } : {}),
  };
  files.push(entry);
  return [file, entry.sha384];
}

const minifyJs = (code) => Buffer.from(esbuild.transformSync(code, { minify: true, target: "es2020", charset: "utf8", legalComments: "none" }).code);
const minifyCss = (code) => Buffer.from(esbuild.transformSync(code, { loader: "css", minify: true }).code);

// 1. The widget itself: wasm, classic-script glue (loaded by the loader with its integrity), CSS.
const wasm = readFileSync(wasmPath);
const wasmFile = emit("wallet-checkout", "wasm", wasm, "the widget (Rust + Leptos, WebAssembly); fetched with integrity by the loader", { widget: true });
const glueSrc = prune(readFileSync(join(nomod, "wallet_checkout.js"), "utf8"), "no-modules glue");
if (!/^let wallet_checkout_bindgen\b/m.test(glueSrc)) throw new Error("the no-modules glue no longer declares `wallet_checkout_bindgen`");
const glue = minifyJs(glueSrc);
if (!/\bwallet_checkout_bindgen\b/.test(glue.toString())) throw new Error("minifying renamed `wallet_checkout_bindgen`");
const glueFile = emit("wallet-checkout-glue", "js", glue, "wasm-bindgen glue between the wasm and the page; loaded with integrity by the loader", { widget: true });
const css = minifyCss(readFileSync(join(www, "wallet-checkout.css"), "utf8"));
const cssFile = emit("wallet-checkout", "css", css, "the widget's styles (themable with --wallet-checkout-* and ::part)", { widget: true });
// The host's font arrives by postMessage; until then (and if it never does) a system font stack.
const frameCss = minifyCss(`html,body{margin:0;background:transparent}
html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif}`);
const frameCssFile = emit("wallet-checkout-frame", "css", frameCss, "iframe page margins (iframe mode only)");

// 2. The loader (script tag), the embedding code it fetches on the first mount, and the iframe
//    page's script, with the names and hashes above inside; the counter's field, fetched only by a
//    widget on flow `payment_code` (never part of a shopper's download).
const assets = { glue: glueFile, wasm: wasmFile, css: cssFile, words: {} };
// Every language but English (built into the wasm) as a table of its own, generated from src/i18n.rs
// (www/locales/); a shopper downloads only theirs, beside the wasm, pinned by its integrity.
for (const name of readdirSync(join(www, "locales")).filter((f) => f.endsWith(".json")).sort()) {
  const tag = name.slice(0, -".json".length);
  const table = Buffer.from(JSON.stringify(JSON.parse(readFileSync(join(www, "locales", name), "utf8"))));
  const [file] = emit(`wallet-checkout-words-${tag}`, "json", table, `the widget's words in ${tag}; fetched with integrity by a shopper reading ${tag} only`, { language: tag });
  // Pinned by SHA-256 (as strong here, and 16 bytes shorter than SHA-384 in every shopper's embedding
  // code, nine times over); only the name's hash goes in, `assets.js` writes the rest of it.
  const hash = file.split(".").at(-2);
  if (file !== `wallet-checkout-words-${tag}.${hash}.json`) throw new Error(`unexpected table name ${file}`);
  assets.words[tag] = [hash, `sha256-${createHash("sha256").update(table).digest("base64")}`];
}
if (Object.keys(assets.words).length !== 9) throw new Error(`www/locales/ has ${Object.keys(assets.words).length} tables, not 9`);
function bundle(entry, defined = assets) {
  const result = esbuild.buildSync({
    entryPoints: [join(www, entry)],
    bundle: true,
    format: "iife",
    minify: true,
    target: "es2022",
    write: false,
    charset: "utf8",
    legalComments: "none",
    define: { __WALLET_CHECKOUT_ASSETS__: JSON.stringify(defined) },
  });
  return Buffer.from(result.outputFiles[0].contents);
}
assets.counter = emit("wallet-checkout-counter", "js", bundle("counter-global.js"), "the counter's payment-code field and camera (flow payment_code only); fetched with integrity on first use");
// The loader carries only the embedding code's name and hash; that code carries the rest.
const embedFile = emit("wallet-checkout-embed", "js", bundle("embed.js"), "embedding code (handles, custom element, iframe host); fetched with integrity by the loader on the first mount", { widget: true });
const loaderFile = emit(`wallet-checkout-${pkg.version}`, "js", bundle("loader.js", { embed: embedFile }), "the loader the <script> tag loads: window.WalletCheckout and <wallet-checkout>", { widget: true });
const frameFile = emit("wallet-checkout-frame", "js", bundle("frame.js"), "the iframe page's script (iframe mode only)");

// 3. The iframe page, served by the merchant server at {endpoint}/frame with its own CSP; the server
//    fills the ancestors meta (frame.js hears only those parents, or its own origin).
const tag = (name, [file, sri], extra = "") =>
  name === "script"
    ? `<script src="/${file}" integrity="${sri}" crossorigin="anonymous"${extra}></script>`
    : `<link rel="stylesheet" href="/${file}" integrity="${sri}" crossorigin="anonymous">`;
writeFileSync(
  join(out, "frame.html"),
  `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment</title>
<meta name="wallet-checkout-ancestors" content="">
${tag("link", cssFile)}
${tag("link", frameCssFile)}
</head>
<body>
<div id="wallet-checkout"></div>
${tag("script", frameFile)}
</body>
</html>
`,
);

// 4. What a merchant pastes, and the inventory.
const snippet = `<!-- wallet-checkout ${pkg.version}: serve dist/'s wallet-checkout* files at your site's root (or let the server: [widget] dist), then paste -->
${tag("script", loaderFile, " async")}
<wallet-checkout endpoint="/api/checkout" order="A1001" client-secret="the order's client_secret, from your backend"></wallet-checkout>
`;
writeFileSync(join(out, "snippet.html"), snippet);
const widgetBrotli = files.filter((f) => f.widget).reduce((n, f) => n + f.brotli, 0);
const largestWords = files.filter((f) => f.language).reduce((a, f) => (f.brotli > a.brotli ? f : a));
const manifest = {
  name: pkg.name,
  version: pkg.version,
  loader: loaderFile[0],
  script_tag: tag("script", loaderFile, " async"),
  // What an English-reading shopper downloads; any other adds one table (the largest below).
  inline_widget_brotli: widgetBrotli,
  largest_language: { language: largestWords.language, brotli: largestWords.brotli },
  files,
};
writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);

// 5. The demo shop (index.html with the real script tag), as a merchant would embed it.
const index = readFileSync(join(root, "index.html"), "utf8");
if (!index.includes("<!-- wallet-checkout:script -->")) throw new Error("index.html lacks <!-- wallet-checkout:script -->");
// The `trunk serve` block goes: the release page loads the widget only through the script tag.
const trunkBlock = /\n\s*<!-- trunk:[\s\S]*?<!-- \/trunk -->/;
if (!trunkBlock.test(index)) throw new Error("index.html lacks the <!-- trunk: … --> … <!-- /trunk --> block");
const shop = index.replace(trunkBlock, "").replace("<!-- wallet-checkout:script -->", tag("script", loaderFile, " async"));
if (shop.includes("data-trunk")) throw new Error("a data-trunk line is outside the trunk block of index.html");
writeFileSync(join(out, "index.html"), shop);
// The demo till (the counter's flow), with the same script tag.
const till = readFileSync(join(www, "cashier.html"), "utf8");
if (!till.includes("<!-- wallet-checkout:script -->")) throw new Error("www/cashier.html lacks <!-- wallet-checkout:script -->");
writeFileSync(join(out, "cashier.html"), till.replace("<!-- wallet-checkout:script -->", tag("script", loaderFile, " async")));
for (const f of ["demo.js", "demo.css", "cashier.js"]) copyFileSync(join(www, f), join(out, f));

// 6. The npm package: ESM glue (`--target web`, same wasm), entries, types, CSS; then `npm pack`.
const npm = join(out, "npm");
mkdirSync(join(npm, "pkg"), { recursive: true });
for (const f of pkg.files.filter((f) => !f.startsWith("pkg/") && f !== "README.md" && f !== "locales")) {
  copyFileSync(join(www, f), join(npm, f));
}
// The languages as modules `index.js` imports (a bundler splits each off): from the same tables.
mkdirSync(join(npm, "locales"));
for (const tag of Object.keys(assets.words)) {
  const table = JSON.stringify(JSON.parse(readFileSync(join(www, "locales", `${tag}.json`), "utf8")));
  writeFileSync(join(npm, "locales", `${tag}.js`), `// The widget's words in ${tag}, generated from src/i18n.rs: do not edit.\nexport default ${table};\n`);
}
copyFileSync(join(www, "package.json"), join(npm, "package.json"));
copyFileSync(join(root, "README.md"), join(npm, "README.md"));
writeFileSync(join(npm, "pkg/wallet_checkout.js"), minifyJs(prune(readFileSync(join(web, "wallet_checkout.js"), "utf8"), "web glue")));
copyFileSync(wasmPath, join(npm, "pkg/wallet_checkout_bg.wasm"));
execFileSync("npm", ["pack", "--pack-destination", out, "--silent"], { cwd: npm, stdio: ["ignore", "ignore", "inherit"] });

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const f of files) console.log(`  ${f.file.padEnd(44)} ${String(f.bytes).padStart(8)} B  brotli ${kb(f.brotli).padStart(8)}  ${f.widget ? "inline widget" : ""}`);
console.log(`  inline widget download (loader + glue + wasm + css), brotli: ${kb(widgetBrotli)}; with the largest language (${largestWords.language}): ${kb(widgetBrotli + largestWords.brotli)}`);

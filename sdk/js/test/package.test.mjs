// The package as a user gets it: `npm pack`, `npm install <tarball>` into an empty project,
// the seed-003 JavaScript example run from there (CommonJS and ES module), and TypeScript
// type-checking a user's code against the installed types.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";

import { SDK_DIR, newUser, testServer } from "./live-server.mjs";

const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

// The JavaScript example of seed 003, from the repository's verbatim copy of the seed.
const SEED = readFileSync(join(SDK_DIR, "..", "..", "tests", "seeds", "003_api_design.txt"), "utf8");
export const SEED_EXAMPLE = /### JavaScript\/Node\.js\n```javascript\n([\s\S]*?)```/.exec(SEED)[1];

// Node runs top-level `await` in a CommonJS file only inside an async function, as its REPL
// does: this runs the file's text that way, with the file's own `require`.
const CJS_RUNNER = `const { createRequire } = require("node:module");
const { readFileSync } = require("node:fs");
const file = require("node:path").resolve(process.argv[2]);
const AsyncFunction = (async () => {}).constructor;
new AsyncFunction("require", readFileSync(file, "utf8"))(createRequire(file)).catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

let server;
let user;
let app;

before(async () => {
  server = await testServer();
  user = await newUser(server.url, "pack");
  app = mkdtempSync(join(tmpdir(), "shorturl-sdk-app-"));
  const { stdout } = await run(NPM, ["pack", "--json", "--pack-destination", app], {
    cwd: SDK_DIR,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("[")));
  assert.equal(packed.name, "@shorturl/sdk");
  const shipped = packed.files.map((file) => file.path);
  assert.ok(shipped.includes("dist/index.js") && shipped.includes("dist/index.d.mts"), shipped.join());
  assert.ok(!shipped.some((path) => path.startsWith("src/") || path.startsWith("test/")));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "seed-example", private: true }));
  await run(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", join(app, packed.filename)], {
    cwd: app,
  });
  const installed = JSON.parse(readFileSync(join(app, "node_modules/@shorturl/sdk/package.json"), "utf8"));
  assert.deepEqual(installed.dependencies ?? {}, {}); // zero runtime dependencies
});
after(async () => {
  if (app) rmSync(app, { recursive: true, force: true });
  await server?.stop();
});

const env = () => {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SHORTURL_")),
  );
  return { ...inherited, SHORTURL_URL: server.url };
};

function seedExample(alias) {
  const source = SEED_EXAMPLE.replace("'your_api_key'", `'${user.apiKey}'`).replace("'my-link'", `'${alias}'`);
  assert.ok(source.includes(`apiKey: '${user.apiKey}'`) && source.includes(`'${alias}'`), source);
  return source;
}

test("the README shows the seed example as written", () => {
  const readme = readFileSync(join(SDK_DIR, "..", "..", "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```javascript\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.ok(blocks.includes(SEED_EXAMPLE), "README.md has no ```javascript block equal to the seed's");
});

test("the seed example runs as written with require(), from the installed tarball", async () => {
  writeFileSync(join(app, "example.js"), seedExample("my-link"));
  writeFileSync(join(app, "run-cjs.cjs"), CJS_RUNNER);
  const { stdout } = await run(process.execPath, ["run-cjs.cjs", "example.js"], { cwd: app, env: env() });
  assert.equal(stdout, `${server.url}/my-link\n`);
});

test("the seed example runs as an ES module with import", async () => {
  const source = seedExample("my-link-esm").replace(
    "const ShortURL = require('@shorturl/sdk');",
    "import ShortURL from '@shorturl/sdk';",
  );
  writeFileSync(join(app, "example.mjs"), source);
  const { stdout } = await run(process.execPath, ["example.mjs"], { cwd: app, env: env() });
  assert.equal(stdout, `${server.url}/my-link-esm\n`);
});

test("require() is the class itself; both entries share one set of classes", async () => {
  writeFileSync(
    join(app, "shape.mjs"),
    `import { createRequire } from "node:module";
import ShortURL, { ShortURLError, RateLimitError, NetworkError, TimeoutError } from "@shorturl/sdk";
const required = createRequire(import.meta.url)("@shorturl/sdk");
const client = new required({ apiKey: "x" });
console.log(JSON.stringify({
  same: required === ShortURL,
  isClass: typeof required === "function" && required.name === "ShortURL",
  errors: required.ShortURLError === ShortURLError && required.RateLimitError === RateLimitError,
  subclass: new RateLimitError("m", { code: "RATE_LIMITED", status: 429 }) instanceof required.ShortURLError,
  network: new TimeoutError("t") instanceof NetworkError,
  defaultUrl: client.baseUrl,
  resources: Object.keys(client).filter((name) => name !== "transport").sort(),
}));
`,
  );
  const { stdout } = await run(process.execPath, ["shape.mjs"], { cwd: app, env: { ...env(), SHORTURL_URL: "" } });
  assert.deepEqual(JSON.parse(stdout), {
    same: true,
    isClass: true,
    errors: true,
    subclass: true,
    network: true,
    defaultUrl: "http://localhost:8080",
    resources: ["analytics", "apiKeys", "auth", "domains", "urls", "user", "webhooks"],
  });
});

test("TypeScript: a user's code type-checks against the installed types, and mistakes do not", async () => {
  const tsc = join(SDK_DIR, "node_modules", "typescript", "bin", "tsc");
  for (const name of ["usage.mts", "usage.cts", "wrong.mts", "tsconfig.json"]) {
    copyFileSync(join(SDK_DIR, "test", "package", name), join(app, name));
  }
  const output = await run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], {
    cwd: app,
  }).then(() => "", (error) => error.stdout);
  const reported = output.split("\n").filter((line) => line.includes("error TS"));
  const wrongLines = readFileSync(join(app, "wrong.mts"), "utf8")
    .split("\n")
    .map((line, index) => (line.includes("// WRONG") ? index + 1 : null))
    .filter((line) => line !== null);
  // Every error is in wrong.mts, one on each line marked WRONG: the usage files are clean.
  assert.ok(reported.every((line) => line.startsWith("wrong.mts(")), reported.join("\n"));
  assert.deepEqual(
    [...new Set(reported.map((line) => Number(/^wrong\.mts\((\d+),/.exec(line)[1])))],
    wrongLines,
    reported.join("\n"),
  );
});

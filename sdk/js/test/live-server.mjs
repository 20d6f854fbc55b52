// A real `shorturl serve` for the tests: the repository's .venv (or $SHORTURL_BIN), a temp
// SQLite file, a free port of the suite's range (18400-18500), rate limits on (each test
// makes its own users).

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

import ShortURL from "../dist/index.js";

export const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = resolve(SDK_DIR, "..", "..");
const SHORTURL = process.env.SHORTURL_BIN || join(REPO, ".venv", "bin", "shorturl");

function portIsFree(port) {
  return new Promise((done) => {
    const probe = createServer();
    probe.once("error", () => done(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => done(true)));
  });
}

export async function freePort() {
  const ports = Array.from({ length: 100 }, (_, i) => 18400 + i).sort(() => Math.random() - 0.5);
  for (const port of ports) if (await portIsFree(port)) return port;
  throw new Error("no free port in 18400-18499");
}

/** Start `shorturl serve`; resolves to { url, stop() } once /health answers. */
export async function startServer(settings = {}) {
  const workdir = mkdtempSync(join(tmpdir(), "shorturl-js-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SHORTURL_")),
  );
  const env = {
    ...inherited,
    SHORTURL_DATABASE_URL: `sqlite+aiosqlite:///${workdir}/live.db`,
    SHORTURL_BASE_URL: url,
    SHORTURL_SECRET_KEY: "js-sdk-test-secret-" + "x".repeat(32),
    SHORTURL_ENVIRONMENT: "test",
    SHORTURL_ALLOW_PRIVATE_TARGETS: "true",
    SHORTURL_FETCH_METADATA: "false",
    SHORTURL_RATE_LIMIT_ENABLED: "true",
    ...settings,
  };
  const log = join(workdir, "server.log");
  const { openSync } = await import("node:fs");
  const out = openSync(log, "w");
  const child = spawn(SHORTURL, ["serve", "--host", "127.0.0.1", "--port", String(port)], {
    cwd: workdir,
    env,
    stdio: ["ignore", out, out],
  });
  let exited = null;
  child.on("exit", (code) => (exited = code ?? "signal"));
  child.on("error", (error) => (exited = String(error)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) {
      throw new Error(`${SHORTURL} serve exited (${exited}):\n${readFileSync(log, "utf8")}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer at ${url} in 60 s`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    log,
    databaseUrl: env.SHORTURL_DATABASE_URL,
    async stop() {
      if (exited === null) {
        const gone = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

/** The server `test/run.mjs` started for every test file ($SHORTURL_TEST_SERVER), or, for a
 * file run on its own, one of this file's own. */
export async function testServer() {
  const shared = process.env.SHORTURL_TEST_SERVER;
  if (shared) {
    const databaseUrl = process.env.SHORTURL_TEST_DATABASE_URL;
    return { url: shared, log: null, databaseUrl, async stop() {} };
  }
  return startServer();
}

/** A new account with an API key, made through the SDK: { username, password, apiKey, client }. */
export async function newUser(url, prefix = "js") {
  const username = `${prefix}${randomBytes(4).toString("hex")}`;
  const password = `pw-${username}-long enough`;
  const anonymous = new ShortURL({ baseUrl: url });
  await anonymous.auth.signup({ email: `${username}@example.com`, username, password });
  const { access_token } = await anonymous.auth.login({ username, password });
  const signedIn = new ShortURL({ baseUrl: url, token: access_token });
  const { key } = await signedIn.apiKeys.create({ name: "tests" });
  return { username, password, apiKey: key, client: new ShortURL({ baseUrl: url, apiKey: key }) };
}

/** Make `username` an admin of `server`, as its operator does: `shorturl users set-role`. */
export function makeAdmin(server, username) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SHORTURL_")),
  );
  execFileSync(SHORTURL, ["users", "set-role", username, "admin"], {
    env: { ...inherited, SHORTURL_DATABASE_URL: server.databaseUrl },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

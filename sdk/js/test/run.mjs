// `npm test`: start one real `shorturl serve`, run every test file against it with node's
// test runner, stop the server; exit with the runner's status.

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

import { SDK_DIR, startServer } from "./live-server.mjs";

const files = readdirSync(join(SDK_DIR, "test"))
  .filter((name) => name.endsWith(".test.mjs"))
  .map((name) => join("test", name));
const server = await startServer();
let status = 1;
try {
  const runner = spawn(process.execPath, ["--test", ...process.argv.slice(2), ...files], {
    cwd: SDK_DIR,
    env: {
      ...process.env,
      SHORTURL_TEST_SERVER: server.url,
      SHORTURL_TEST_DATABASE_URL: server.databaseUrl,
    },
    stdio: "inherit",
  });
  status = await new Promise((done) => runner.on("exit", (code) => done(code ?? 1)));
} finally {
  await server.stop();
}
process.exit(status);

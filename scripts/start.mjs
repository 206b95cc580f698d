// `npm start`: installs the tools, builds the wasm, writes the sample campaign plan (target/demo-plan/, with the
// release CLI) and serves the demo and the plan's report until Ctrl-C.
// Node built-ins only until bootstrap has run. PORT picks the port (default 8080; a busy port falls back to a
// free one); HOST=0.0.0.0 serves beyond this machine (default 127.0.0.1).
import { bootstrap } from "./bootstrap.mjs";
import { build } from "./build.mjs";
import { DEMO_REPORT_PATH, buildCli, writeDemoPlan } from "./demo-plan.mjs";
import { startServer } from "./serve.mjs";
import { isMain } from "./util.mjs";

export async function start({ port = Number(process.env.PORT ?? 8080), host = process.env.HOST ?? "127.0.0.1" } = {}) {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, got ${JSON.stringify(process.env.PORT)}`);
  }
  await bootstrap();
  await build();
  console.log("start: cargo build --release -p rekindle-cli (skipped by cargo when up to date)");
  await writeDemoPlan(await buildCli({ stream: true }));
  let server;
  try {
    server = await startServer({ port, host });
  } catch (err) {
    if (err.code !== "EADDRINUSE") throw err;
    console.log(`port ${port} is busy; using a free port instead`);
    server = await startServer({ port: 0, host });
  }
  const shown = host === "0.0.0.0" || host === "127.0.0.1" ? "localhost" : host;
  const base = `http://${shown}:${server.port}`;
  console.log(`\n  rekindle demo: ${base}/www/\n  the site with the npm package (tracker, CTA widget, consent): ${base}/www/site.html\n` +
    `  preference center: ${base}/www/preferences.html?t=demo\n  campaign plan report: ${base}${DEMO_REPORT_PATH}\n\n  (Ctrl-C to stop)\n`);
  return server;
}

if (isMain(import.meta.url)) {
  try {
    const server = await start();
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (err) {
    console.error(`npm start: ${err.message}`);
    process.exit(1);
  }
}

// Shared helpers for the repository scripts. Node built-ins only: these run before `npm ci`.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Absolute path of the repository root (the parent of scripts/). */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** True when the module with this `import.meta.url` is the process entry point (`node scripts/x.mjs`). */
export function isMain(metaUrl) {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === metaUrl;
}

/**
 * Runs a command. `stream: true` forwards its output to ours while still capturing it.
 * Resolves to { code, stdout, stderr, seconds }; never rejects for a non-zero exit (callers decide),
 * but rejects when the command cannot be started at all (ENOENT), with a message naming it.
 */
export function run(cmd, args = [], { cwd = repoRoot, env = process.env, stream = false, input } = {}) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stream) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (stream) process.stderr.write(chunk);
    });
    child.on("error", (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`, { cause: err })));
    child.on("close", (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
    child.stdin.end(input);
  });
}

/** Like run(), but throws an Error carrying the command's stderr when it exits non-zero. */
export async function runChecked(cmd, args = [], options = {}) {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-25).join("\n");
    throw new Error(`\`${[cmd, ...args].join(" ")}\` exited with ${result.code}${tail ? `:\n${tail}` : ""}`);
  }
  return result;
}

/** Full path of an executable found on PATH (or in `extraDirs`), or null. */
export function which(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Seconds with one decimal, for step timings. */
export function seconds(value) {
  return `${value.toFixed(1)}s`;
}

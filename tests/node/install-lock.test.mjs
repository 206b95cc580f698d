// scripts/install-lock.mjs: one installer at a time across processes, and a dead owner never wedges later runs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { withInstallLock } from "../../scripts/install-lock.mjs";

const work = mkdtempSync(join(tmpdir(), "rekindle-install-lock-"));
after(() => rmSync(work, { recursive: true, force: true }));
const lockModule = new URL("../../scripts/install-lock.mjs", import.meta.url).href;

/** A separate Node process that holds `lock` for `holdMs`, appending "start" and "end" lines to `log`. */
function holder(lock, log, holdMs) {
  const script = `
    import { appendFileSync } from "node:fs";
    import { withInstallLock } from ${JSON.stringify(lockModule)};
    await withInstallLock(${JSON.stringify(lock)}, async () => {
      appendFileSync(${JSON.stringify(log)}, "start " + process.pid + "\\n");
      await new Promise((r) => setTimeout(r, ${holdMs}));
      appendFileSync(${JSON.stringify(log)}, "end " + process.pid + "\\n");
    }, { pollMs: 20 });`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(stderr)))));
}

test("three processes racing for the lock run one at a time, never overlapping", async () => {
  const lock = join(work, "race", "npm-install");
  const log = join(work, "race.log");
  await Promise.all([holder(lock, log, 150), holder(lock, log, 150), holder(lock, log, 150)]);
  const lines = readFileSync(log, "utf8").trim().split("\n");
  assert.equal(lines.length, 6);
  for (let i = 0; i < 6; i += 2) {
    const [start, end] = [lines[i].split(" "), lines[i + 1].split(" ")];
    assert.deepEqual([start[0], end[0], end[1]], ["start", "end", start[1]], `a holder's start and end are adjacent: ${lines}`);
  }
  assert.equal(existsSync(lock), false, "released after the last holder");
});

test("a waiter is told who holds the lock, once, and runs after it is released", async () => {
  const lock = join(work, "wait", "npm-install");
  const log = join(work, "wait.log");
  const first = holder(lock, log, 300);
  while (!existsSync(join(lock, "pid"))) await new Promise((r) => setTimeout(r, 10));
  const told = [];
  const result = await withInstallLock(lock, async () => readFileSync(log, "utf8"), { pollMs: 20, onWait: (pid) => told.push(pid) });
  await first;
  assert.equal(told.length, 1);
  assert.match(result, new RegExp(`start ${told[0]}\\nend ${told[0]}\\n`), "ran only after the holder ended");
});

test("a lock left by a process that is gone is taken over, and the lock is released when the work throws", async () => {
  const lock = join(work, "stale", "npm-install");
  const dead = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => dead.on("exit", resolve));
  mkdirSync(lock, { recursive: true });
  writeFileSync(join(lock, "pid"), `${dead.pid}\n`);
  const told = [];
  await assert.rejects(withInstallLock(lock, async () => {
    assert.equal(readFileSync(join(lock, "pid"), "utf8").trim(), String(process.pid));
    throw new Error("npm ci failed");
  }, { pollMs: 10, onWait: (pid) => told.push(pid) }), /npm ci failed/);
  assert.deepEqual(told, [], "a dead owner is not waited for");
  assert.equal(existsSync(lock), false);
});

test("a lock held by a live process past the timeout is an error naming the lock and its owner", async () => {
  const lock = join(work, "timeout", "npm-install");
  mkdirSync(lock, { recursive: true });
  writeFileSync(join(lock, "pid"), `${process.pid}\n`); // this very process: alive
  await assert.rejects(withInstallLock(lock, async () => "never", { pollMs: 10, timeoutMs: 60 }),
    (err) => err.message.includes(lock) && err.message.includes(`held by process ${process.pid}`));
  assert.equal(readFileSync(join(lock, "pid"), "utf8").trim(), String(process.pid), "a live owner's lock is left alone");
});

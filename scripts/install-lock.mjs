// One installer at a time. `npm ci` deletes node_modules before it fills it again, so a second bootstrap started
// meanwhile (a bench next to a test run, two terminals) saw no install stamp, ran its own `npm ci` and emptied
// node_modules under the first one (it happened: two benches at once left node_modules empty).
//
// The lock is a directory (mkdir is atomic) holding the owner's pid. A waiter polls until it is gone; a lock whose
// owner is no longer running (killed, machine rebooted) is taken over, so a crash never wedges later runs.
// Node built-ins only: this runs before node_modules exists.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True while process `pid` exists (signal 0 checks without signalling; EPERM means it exists as another user). */
function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/** The pid recorded in a lock directory, or null while its owner has not written it yet (or it is garbage). */
function ownerOf(lock) {
  try {
    const pid = Number(readFileSync(join(lock, "pid"), "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Runs `fn` holding the lock directory `lock`; waits while another live process holds it (calling `onWait(pid)`
 * once), takes over a lock whose owner is gone, and gives up after `timeoutMs` with an error naming the lock and
 * its owner. The lock is released when `fn` settles, whether it resolves or throws.
 */
export async function withInstallLock(lock, fn, { pollMs = 250, timeoutMs = 15 * 60_000, onWait = () => {} } = {}) {
  mkdirSync(dirname(lock), { recursive: true });
  const started = Date.now();
  let told = false;
  let unowned = 0;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), `${process.pid}\n`);
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
    const owner = ownerOf(lock);
    // No pid yet: its owner is between mkdir and write. Only a lock that stays without one (its owner died in that
    // instant) is taken over, after a few polls.
    unowned = owner === null ? unowned + 1 : 0;
    if ((owner !== null && !running(owner)) || unowned > 8) {
      // Read again just before removing: another waiter may have taken it over meanwhile.
      if (ownerOf(lock) === owner) rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${lock} is still held by process ${owner ?? "(unknown)"} after ${Math.round(timeoutMs / 1000)} s: ` +
        "wait for it to finish, or remove the directory if no install is running");
    }
    if (!told && owner !== null) {
      onWait(owner);
      told = true;
    }
    await sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

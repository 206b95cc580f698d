// A test-only Worker that runs the shared vectors (tests/vectors) inside workerd through rekindle's `workerd` entry.
//   POST /run  [{ name, vector }, ...]  → [{ name, canonical, ok, failures }, ...]
import * as rekindle from "rekindle";
import { runVector } from "../support/vectors.mjs";

async function runAll(vectors) {
  await rekindle.init();
  const results = [];
  for (const { name, vector } of vectors) {
    try {
      const { canonical, ok, failures } = await runVector(rekindle, vector);
      results.push({ name, canonical, ok, failures: failures.map(String) });
    } catch (error) {
      results.push({ name, canonical: null, ok: false, failures: [`runVector threw: ${error?.stack ?? error}`] });
    }
  }
  return results;
}

// Workers' module format requires a default export with `fetch`.
export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST" || pathname !== "/run") {
      return new Response("POST /run with the vectors array\n", { status: 404 });
    }
    return Response.json(await runAll(await request.json()));
  },
};

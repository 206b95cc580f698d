// Request bodies, read with one cap for every route that reads one (/api/decide, POST /preferences, POST
// /unsubscribe, POST /keep, POST /api/events): a body over the cap is a 413 before it is parsed, so a 20 MB JSON array never reaches JSON.parse
// and never becomes a KV write that fails later as a 503.

/** The largest body any route reads: 1 MiB, far above a decide batch or a preference form. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The body's text, read with a running byte count: null as soon as it passes `limit` (a declared Content-Length
 * over it is refused unread), so a chunked body with no Content-Length is never read past the limit into memory.
 */
export async function readCapped(request, limit = MAX_BODY_BYTES) {
  if (Number(request.headers.get("content-length") ?? 0) > limit) return null;
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel(`body over ${limit} bytes`);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** The message of every 413, so each route words it the same. */
export const tooLarge = (limit = MAX_BODY_BYTES) => `body is over ${limit} bytes (1 MiB); nothing was read or saved`;

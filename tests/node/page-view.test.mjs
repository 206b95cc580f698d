// pageViewProps: what a page view records, the same in the browser tracker and the edge Worker (D18, D43).
import assert from "node:assert/strict";
import { test } from "node:test";
import { SESSION_GAP_MS, pageViewProps } from "rekindle";

const NOW = Date.parse("2026-11-26T12:00:00Z");

test("the URL and referrer lose their query and fragment; UTM parameters are kept, capped at 200 characters", () => {
  const props = pageViewProps({
    url: `https://site.test/pricing/?utm_source=newsletter&utm_medium=email&email=a%40b.test&utm_term=${"x".repeat(300)}#plans`,
    referrer: "https://www.google.com/search?q=rekindle#top", now: NOW,
  });
  assert.deepEqual(Object.keys(props), ["url", "path", "referrer", "utm_source", "utm_medium", "utm_term"]);
  assert.equal(props.url, "https://site.test/pricing/");
  assert.equal(props.path, "/pricing/");
  assert.equal(props.referrer, "https://www.google.com/search");
  assert.equal(props.utm_source, "newsletter");
  assert.equal(props.utm_term.length, 200);
  assert.ok(!JSON.stringify(props).includes("a@b.test") && !JSON.stringify(props).includes("a%40b.test"));
});

test("a URL object is read as it is and left unchanged; a path and title given override and are capped", () => {
  const url = new URL("https://site.test/a/b?utm_campaign=q4");
  const props = pageViewProps({ url, path: "/virtual/" + "p".repeat(600), title: "T".repeat(300), now: NOW });
  assert.equal(url.href, "https://site.test/a/b?utm_campaign=q4");
  assert.deepEqual([props.url, props.path.length, props.title.length, props.utm_campaign], ["https://site.test/a/b", 512, 200, "q4"]);
});

test("since_last_visit only on a visit's first view (a gap of at least 30 minutes), in whole seconds", () => {
  const at = (gap) => pageViewProps({ url: "https://site.test/", lastSeen: NOW - gap, now: NOW }).since_last_visit;
  assert.equal(at(SESSION_GAP_MS - 1), undefined);
  assert.equal(at(SESSION_GAP_MS), 1800);
  assert.equal(at(2 * 86_400_000 + 499), 172_800);
  assert.equal(pageViewProps({ url: "https://site.test/", lastSeen: null, now: NOW }).since_last_visit, undefined);
  assert.equal(pageViewProps({ url: "https://site.test/", referrer: "not a url", now: NOW }).referrer, undefined);
  assert.throws(() => pageViewProps({ url: "not a url", now: NOW }), { name: "RekindleError", code: "E_INPUT_INVALID", path: "input.url" });
});

test("an app's referrer (android-app://, what Chrome on Android sends for a link opened in Gmail) keeps its app, not \"null\"", () => {
  const from = (referrer) => pageViewProps({ url: "https://site.test/pricing", referrer, now: NOW }).referrer;
  assert.equal(from("android-app://com.google.android.gm/"), "android-app://com.google.android.gm/");
  assert.equal(from("android-app://com.linkedin.android/?x=1#y"), "android-app://com.linkedin.android/");
  assert.equal(from("ios-app://123/path?q=secret"), "ios-app://123/path");
  // Nothing to tell the visitor's source by, and never the string "null": about:blank, a data: URL's contents.
  assert.equal(from("about:blank"), undefined);
  assert.equal(from("data:text/html,<p>hi</p>"), undefined);
  // Credentials in a referrer never reach the props, for any scheme.
  assert.equal(from("https://user:pw@ref.test/a?b"), "https://ref.test/a");
  assert.equal(from("android-app://user:pw@com.app/"), "android-app://com.app/");
});

test("now is optional, as its type says: it defaults to the current time, so since_last_visit is still recorded", () => {
  const lastSeen = Date.now() - 2 * 86_400_000;
  const seconds = pageViewProps({ url: "https://site.test/", lastSeen }).since_last_visit;
  assert.ok(Math.abs(seconds - 172_800) <= 5, `since_last_visit ${seconds}`);
  assert.equal(pageViewProps({ url: "https://site.test/", lastSeen: Date.now() - 60_000 }).since_last_visit, undefined, "same visit");
});

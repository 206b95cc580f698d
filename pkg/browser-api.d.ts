// Types of the browser entry's additions (pkg/browser.js): localStorage state, the tracker, <rekindle-cta>,
// <rekindle-preferences> and startTracker(). Re-exported by browser.d.ts only.
import type { Engine, Contact } from "./index.js";
import type { EventKind, PropValue } from "./playbook.js";
import type { Decision } from "./decision.js";

// ---------------------------------------------------------------------------------------------------------
// Browser entry only (not exported in Node or workerd)

/**
 * Browser entry only: the state bytes saved under `key` in localStorage, or null when there are none or
 * storage is unavailable. Never throws because storage is blocked.
 *
 * @example
 * const state = loadState("rekindle:visitor") ?? engine.fold(null, []);
 * @throws {RekindleError} E_INPUT_INVALID when `key` is not a non-empty string.
 * @throws {RekindleError} E_NOT_INITIALIZED before init().
 */
export declare function loadState(key: string): Uint8Array | null;

/**
 * Browser entry only: saves state bytes under `key`; returns false when storage is unavailable.
 *
 * @example
 * saveState("rekindle:visitor", state);
 * @throws {RekindleError} E_INPUT_INVALID when `key` or `bytes` has the wrong type.
 * @throws {RekindleError} E_NOT_INITIALIZED before init().
 */
export declare function saveState(key: string, bytes: Uint8Array): boolean;

/**
 * Browser entry only: removes the state saved under `key`; returns false when storage is unavailable.
 *
 * @example
 * clearState("rekindle:visitor");
 * @throws {RekindleError} E_INPUT_INVALID when `key` is not a non-empty string.
 * @throws {RekindleError} E_NOT_INITIALIZED before init().
 */
export declare function clearState(key: string): boolean;

/** Browser entry only: the consent purposes a {@link Tracker} knows. */
export declare const PURPOSES: readonly ["analytics", "personalisation"];

/** Consent per purpose, as the site's consent banner reports it. */
export interface ConsentUpdate {
  /** The state may persist in localStorage (before: memory only, nothing stored, nothing sent). */
  analytics?: boolean;
  /** Decisions (the CTA) may use the visitor's state; without it they are an unknown visitor's. */
  personalisation?: boolean;
}

/** The consent in effect: what the site granted minus what Global Privacy Control refuses. */
export interface ConsentState {
  analytics: boolean;
  personalisation: boolean;
  /** `navigator.globalPrivacyControl` was on: both purposes are refused, whatever the site grants. */
  gpc: boolean;
}

/** An event the tracker recorded (passed to `onSignal`): what was folded into the visitor's state. */
export interface TrackedEvent {
  id: string;
  at: number;
  kind: EventKind;
  props: Record<string, PropValue>;
}

export interface TrackerOptions {
  /** localStorage key (default "rekindle"). */
  key?: string;
  /** Initial consent (default: both refused). */
  consent?: ConsentUpdate;
  /** Called after every recorded event with the new decision (`event` is null for consent changes). */
  onDecision?: (decision: Decision, event: TrackedEvent | null) => void;
  /** Called with every recorded event, for the site to forward if it chooses; rekindle sends nothing itself. */
  onSignal?: (event: TrackedEvent) => void;
  /** The clock (default Date.now). */
  now?: () => number;
  /** Inactivity that starts a new visit, in ms (default 30 minutes): the first page view of a visit carries
   * `since_last_visit` (seconds). */
  sessionGap?: number;
  /** The window to track (default globalThis). */
  window?: Window;
  /** Where the visitor is, for the `path` prop (default `location.pathname`); hash-routed apps:
   * `(location) => location.hash.slice(1) || "/"`. */
  pathOf?: (location: Location) => string;
}

/**
 * Browser entry only: the on-device tracker (D43). Records page views (URL without query, title, referrer,
 * UTM), `page_leave` (visible seconds, scroll depth), clicks on `[data-rekindle-cta]` / `[data-rekindle-event]`,
 * form starts and submits by the form's name (`data-rekindle-form`, `id` or `name`; never field names or values)
 * and `track()` events; folds them on the device.
 *
 * A form start is `custom:form_start` `{ form }`, on the visitor's first `input` into a named form (a control with
 * `form="…"` counts for that form), once per form and page view: a playbook matches "started the demo form and did
 * not send it" (docs/playbook.md § segments). Only input the browser marks as the visitor's (`isTrusted`) after
 * the visitor interacted with the page (`navigator.userActivation`, where supported) counts: not a script setting
 * values, not a browser filling saved details on load.
 *
 * One `page_leave` per page view, when it ends (`pagehide`, `page()`), with the seconds of every visible stretch
 * summed (a visitor who switches tabs and comes back reads on in the same page view). While the page is hidden its
 * page_leave so far is held in localStorage (`<key>:leave:<view>`, with `analytics` consent) and counts in
 * decisions; a hidden page the browser discards without `pagehide` has it folded by this visitor's next page
 * once a session gap has passed, and a tab hidden longer than that starts a new page view when it is shown.
 *
 * @example
 * const tracker = new Tracker(engine, { consent: { analytics: cmp.analytics } }).start();
 * tracker.track("webinar_registered");
 * @throws {RekindleError} E_INPUT_INVALID for an unknown or mistyped option.
 */
export declare class Tracker {
  constructor(engine: Engine, options?: TrackerOptions);
  /**
   * Records the page view and starts listening; returns the tracker.
   * @throws {RekindleError} E_INPUT_INVALID when another Tracker with the same `key` is started on this page (it
   * would record every event twice): use that one, or `stop()` it first.
   */
  start(): this;
  /** A new page view in a single-page app (after `history.pushState`); the previous page's page_leave first. */
  page(): void;
  /** Stops listening; the state stays, and another tracker may start with this key. */
  stop(): void;
  /** Records a site event; names other than the site-side kinds become `custom:<name>`. */
  track(name: string, props?: Record<string, PropValue>): void;
  /** Profile facts the site chooses to share (a `profile` event); form fields are never read by themselves. */
  identify(traits: Record<string, PropValue>): void;
  /** Updates consent; granting analytics saves (merging this page into stored history), refusing deletes. */
  consent(update: ConsentUpdate): ConsentState;
  /** The consent in effect. */
  readonly consentState: ConsentState;
  /**
   * "Forget me": deletes everything rekindle stored, starts from a fresh state and withdraws both purposes, so
   * nothing is written again (not on the next event, not on `pagehide`) until `consent()` grants `analytics`.
   * Returns the consent now in effect (both false).
   */
  forget(): ConsentState;
  /** The current decision (an unknown visitor's without personalisation consent). */
  decision(): Decision;
  /** Calls `fn` now and on every new decision; returns the unsubscribe function. */
  subscribe(fn: (decision: Decision) => void): () => void;
  /** The visitor's state bytes. */
  toBytes(): Uint8Array;
}

export interface StartTrackerOptions extends TrackerOptions {
  /**
   * The URL of a compiled playbook (`npx rekindle-compile playbook.json playbook.rkp`, the CLI's `rekindle compile`,
   * or `compilePlaybook` in Node), fetched as bytes, or those bytes. The browser build reads no JSON: a JSON file or
   * object is refused (E_PLAYBOOK_INVALID, `bad_compiled`, saying to compile it), with one warning.
   */
  playbook: string | URL | Uint8Array | ArrayBuffer;
  /** Where the .wasm is served, when not next to browser.js. */
  wasm?: string | URL;
}

/**
 * Browser entry only: loads the wasm and the playbook, starts a {@link Tracker} and defines `<rekindle-cta>`.
 * Never throws: on any failure it logs one warning, leaves every widget's fallback markup showing and
 * resolves to null. Called again with the same `key` while a tracker runs or loads (the snippet included
 * twice), it resolves to that tracker, with one warning: one tracker records each event once.
 *
 * @example
 * const tracker = await startTracker({ playbook: "/playbook.rkp", consent: { analytics: false } });
 */
export declare function startTracker(options: StartTrackerOptions): Promise<Tracker | null>;

/** Browser entry only: registers `<rekindle-cta>` bound to `tracker` (null: fallback markup stays). */
export declare function defineElements(options?: { tracker?: Tracker | null }): void;

/**
 * Browser entry only: the `<rekindle-cta>` element. Children: `<template data-cta="id">` or
 * `<template data-variant="…">` per CTA (the site's markup; `[data-field="id" | "variant"]` receive text),
 * and `[data-rekindle-fallback]` markup shown until a CTA renders. A chosen CTA with no template leaves the
 * fallback showing and logs one console warning per CTA naming the template to add.
 */
export declare class CtaElement extends HTMLElement {}

/**
 * Browser entry only: the `<rekindle-preferences>` preference center for the contact a signed token names. The
 * page never holds a key: the element's `endpoint` (the edge Worker's `/preferences`, or the site's own) verifies
 * the token, answers GET with the current choices and saves a POST. Attributes: `endpoint`, `token` (default:
 * the page's `?t=`), `privacy` (your privacy policy's URL, linked under "Your data" beside the consent record the
 * endpoint sends as `consents`, D27); the language follows `lang` (its own or an ancestor's), then the browser's.
 *
 * Events (bubbling): `rekindle-preferences-saved` (detail: what was saved) and `rekindle-preferences-error`
 * ({@link PreferencesErrorDetail}); a failure also logs one console warning naming the endpoint, never the token.
 *
 * @example
 * // <rekindle-preferences endpoint="/preferences"></rekindle-preferences>
 * defineElements();
 * document.addEventListener("rekindle-preferences-error", (e) => report(e.detail.action, e.detail.reason));
 */
export declare class PreferencesElement extends HTMLElement {}

/** Why `<rekindle-preferences>` could not load or save. */
export interface PreferencesErrorDetail {
  action: "load" | "save";
  /** `bad_link`: 401/403 (expired or forged token); `http`: another HTTP error; `network`: no answer (offline,
   * blocked); `bad_response`: an answer that is not the endpoint contract's JSON. */
  reason: "bad_link" | "http" | "network" | "bad_response";
  /** The HTTP status, or null when there was no answer. */
  status: number | null;
  message: string;
}

/** What `<rekindle-preferences>` saved (`rekindle-preferences-saved`'s detail, the POST body). */
export interface PreferencesSavedDetail {
  topics: string[];
  frequency: "weekly" | "monthly" | "important_only" | null;
  channels: { email: boolean; sms: boolean };
  pauseUntil: number | null;
  unsubscribeAll: boolean;
}

/** The events `<rekindle-preferences>` dispatches (they bubble to the document). */
export interface PreferencesEventMap {
  "rekindle-preferences-error": CustomEvent<PreferencesErrorDetail>;
  "rekindle-preferences-saved": CustomEvent<PreferencesSavedDetail>;
}

declare global {
  interface HTMLElementEventMap extends PreferencesEventMap {}
  interface DocumentEventMap extends PreferencesEventMap {}
}

// The demo panel's "what to do next" half: lifecycle, segments, send verdicts per channel, the next nurture step,
// the call to action and the sales handoff, rendered from one decision (docs/playbook.md). Every string from the
// playbook or the contact is written with textContent, never parsed as HTML.

const $ = (selector) => document.querySelector(selector);

/** "2025-12-01 09:15 UTC", or a plain word for a missing instant. */
export const formatInstant = (ms, none = "(unknown time)") =>
  (Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC` : none);

const PHASES = {
  active: "active",
  cooling: "cooling (no engagement for a while)",
  cold: "cold",
  soft_reactivation: "soft reactivation",
  break_up: "break-up (last message sent)",
  archived: "archived (no more campaigns)",
  erased: "erased",
};

/** One readable sentence per send-policy gate (docs/playbook.md § policy). */
export function describeGate(gate) {
  switch (gate.gate) {
    case "erased":
      return "the contact was erased";
    case "archived":
      return "the contact is archived: no more campaigns";
    case "doNotContact":
      return `do not contact: ${gate.reason} since ${formatInstant(gate.since)}`;
    case "noConsent":
      return gate.until == null
        ? `no ${gate.purpose} consent (${gate.status})`
        : `${gate.purpose} consent granted from ${formatInstant(gate.until)}`;
    case "salesConversation":
      return gate.since == null
        ? `sales may be talking to them until the deal closes ${formatInstant(gate.until)}`
        : `sales is talking to them (deal open since ${formatInstant(gate.since)})`;
    case "importantOnly":
      return "chose important messages only";
    case "paused":
      return `paused until ${formatInstant(gate.until)}`;
    case "cap":
      return `cap ${gate.path}: ${gate.sent} of ${gate.max} ${gate.channel} sends in ${gate.per}, frees ${formatInstant(gate.until)}`;
    case "frequency":
      return `${gate.frequency} frequency used up until ${formatInstant(gate.until)}`;
    case "quietHours":
      return `quiet hours ${gate.window} in ${gate.zone}, end ${formatInstant(gate.until)}`;
    default:
      return String(gate.gate);
  }
}

/** "allowed now", "denied: …" or "deferred until …: …". */
export function describeVerdict(verdict) {
  const reasons = (verdict.reasons ?? []).map(describeGate).join("; ");
  if (verdict.verdict === "allow") return "allowed now";
  if (verdict.verdict === "deny") return `denied: ${reasons}`;
  return `deferred until ${formatInstant(verdict.until)}: ${reasons}`;
}

/** Fills a <dl> with [term, text, attributes] rows. */
function fillList(list, rows) {
  list.replaceChildren();
  for (const [term, text, data = {}] of rows) {
    const row = document.createElement("div");
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = text;
    Object.assign(dd.dataset, data);
    row.append(dt, dd);
    list.append(row);
  }
}

/** Whether ads may follow the contact up (D10, D35), worded; the value is `member` or the exclusion's code. */
function retargetingRow({ retargeting }) {
  const member = retargeting.status === "member";
  const text = member
    ? `in the ad audience until ${formatInstant(retargeting.until)}`
    : `not in the ad audience: ${retargeting.why.replaceAll("_", " ")}`;
  return ["Retargeting", text, { retargeting: member ? "member" : retargeting.why }];
}

function renderLifecycle({ lifecycle, retargeting }) {
  const phase = $("#lifecycle");
  phase.dataset.value = lifecycle.state;
  phase.textContent = PHASES[lifecycle.state] ?? lifecycle.state;
  const flags = [
    lifecycle.ghost ? "ghost-opening (opens, no clicks)" : "",
    lifecycle.showedIntent ? "showed intent once" : "",
    lifecycle.reactivatedAt !== null ? `reactivated ${formatInstant(lifecycle.reactivatedAt)}` : "",
  ].filter(Boolean);
  fillList($("#lifecycle-details"), [
    ["Since", formatInstant(lifecycle.since, "no events yet")],
    ["Next transition", formatInstant(lifecycle.nextTransitionAt, "none on its own")],
    ["Flags", flags.length > 0 ? flags.join(", ") : "none"],
    retargetingRow({ retargeting }),
  ]);
}

function renderSegments({ segments }) {
  const list = $("#segments");
  list.replaceChildren();
  for (const membership of segments) {
    const item = document.createElement("li");
    const state = membership.unknown ? "unknown" : String(membership.member);
    item.dataset.segment = membership.id;
    item.dataset.member = state;
    const name = document.createElement("code");
    name.textContent = membership.id;
    const status = membership.unknown ? "unknown (not enough data)" : membership.member ? "member" : "not a member";
    const flip = membership.nextFlipAt === null
      ? "no change on its own"
      : `${membership.member ? "leaves" : "may join"} ${formatInstant(membership.nextFlipAt)}${membership.approximate ? " (day-accurate)" : ""}`;
    item.append(name, ` ${status} · ${flip}`);
    list.append(item);
  }
  if (segments.length === 0) {
    const item = document.createElement("li");
    item.className = "muted";
    item.textContent = "The playbook defines no segments.";
    list.append(item);
  }
}

function renderSend({ send }) {
  fillList($("#send"), ["email", "sms"].map((channel) => [
    channel === "sms" ? "SMS" : "Email", describeVerdict(send[channel]), { channel, verdict: send[channel].verdict },
  ]));
}

function renderNextStep({ nextStep, reasons, sequences }) {
  const element = $("#next-step");
  if (nextStep === null) {
    const why = reasons.find((reason) => reason.kind === "nextStep");
    element.dataset.value = "";
    element.textContent = why || sequences.length > 0 ? `None: ${why?.outcome.replaceAll("_", " ") ?? "nothing due"}.`
      : "None: the playbook has no sequences.";
    return;
  }
  const send = nextStep.sendAt === null ? "the policy denies it" : `send ${formatInstant(nextStep.sendAt)}`;
  const gates = nextStep.gates.length > 0 ? ` (${nextStep.gates.map(describeGate).join("; ")})` : "";
  element.dataset.value = `${nextStep.sequence}/${nextStep.step}`;
  element.textContent = `${nextStep.sequence} → ${nextStep.step} by ${nextStep.channel} (${nextStep.content}), due ${formatInstant(nextStep.dueAt)}; ${send}${gates}.`;
}

function renderCta({ cta, lifecycle }) {
  const element = $("#cta");
  const why = $("#cta-why");
  if (cta === null) {
    element.dataset.value = "";
    element.textContent = lifecycle.state === "erased" ? "None: the contact is erased."
      : "None: no candidate applies and the playbook sets no default.";
    why.textContent = "–";
    return;
  }
  element.dataset.value = cta.id;
  element.textContent = cta.variant === null ? cta.id : `${cta.id} (${cta.variant})`;
  const parts = [];
  if (cta.fallback) parts.push("the default: no candidate was eligible");
  else parts.push(cta.because.length > 0 ? `because ${cta.because.join(", ")} held` : "no condition");
  for (const skipped of cta.skipped) parts.push(`skipped ${skipped.id}: ${skipped.why.replaceAll("_", " ")}`);
  why.textContent = parts.join("; ");
}

function renderHandoff({ handoff, stage }) {
  const section = $("#handoff-section");
  const list = $("#handoff");
  section.dataset.value = handoff === null ? "" : "sql";
  if (handoff === null) {
    // null below SQL, or without a handoff section (docs/playbook.md § handoff)
    const belowSql = stage === "lead" || stage === "mql";
    fillList(list, [["Packet", belowSql ? "only for SQLs" : "none: the playbook has no handoff section"]]);
    return;
  }
  const source = handoff.source === null
    ? "direct (no UTM)"
    : [handoff.source.utmSource, handoff.source.utmMedium, handoff.source.utmCampaign].filter(Boolean).join(" / ");
  fillList(list, [
    ["SQL since", formatInstant(handoff.sqlAt)],
    ["Call by", `${formatInstant(handoff.dueAt)}${handoff.overdue ? " (overdue)" : ""}`, { overdue: String(handoff.overdue) }],
    ["Source", source],
    ["Last interactions", handoff.lastInteractions.map((i) => `${i.signal ?? i.kind} ${formatInstant(i.at)}`).join("; ") || "none"],
    ["Materials", handoff.assets.map((a) => `${a.signal} ×${a.count}`).join(", ") || "none"],
    ["Top reasons", handoff.topReasons.map((r) => `${r.id} ${r.points.toFixed(1)}`).join(", ") || "none"],
  ]);
}

/** Renders every "what next" part of a decision into the panel (the decision alone words the empty states). */
export function renderPlan(decision) {
  renderLifecycle(decision);
  renderSegments(decision);
  renderSend(decision);
  renderNextStep(decision);
  renderCta(decision);
  renderHandoff(decision);
  const valid = $("#valid-until");
  valid.dataset.value = String(decision.validUntil);
  valid.textContent = formatInstant(decision.validUntil, "until new events arrive");
}

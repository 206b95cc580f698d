// The preference center's topics (D27): ids, labels and order from the playbook the Worker runs — its
// `policy.topics` ({ "<id>": "<label>" }, the ids its nurture steps name) and `policy.topics_opt_in` — so the page
// offers, and the one-click unsubscribe spells out, exactly the topics the engine gates steps on. Reading these two
// fields of the parsed playbook is configuration; what a choice means for a step stays in core.
//
// site.js TOPICS is a fallback for a playbook that declares no `policy.topics` (one written before topics reached
// core). When both are set and differ, the playbook's serve and /api/health reports the disagreement (degraded).
//
// Order: a JavaScript object lists integer-like keys ("2025") first, ascending, before the others in document
// order, so a topic id made only of digits is shown before the rest; give ids a letter to keep your order.
import { TOPICS } from "./site.js";

/**
 * The topic settings of a parsed playbook (null: none): `{ topics: [{ id, label }], optIn, source, problem }`,
 * `source` being "playbook", "site" (`site`, site.js TOPICS) or "none", `problem` a sentence or null.
 */
export function topicSettings(playbook, site = TOPICS) {
  const policy = playbook !== null && typeof playbook === "object" ? playbook.policy : undefined;
  const declared = policy !== null && typeof policy === "object" ? policy.topics : undefined;
  const optIn = policy?.topics_opt_in === true;
  const fallback = Array.isArray(site) ? site.map(({ id, label }) => ({ id: String(id), label: String(label) })) : [];
  const entries = declared !== null && typeof declared === "object" && !Array.isArray(declared) ? Object.entries(declared) : [];
  if (entries.length === 0) return { topics: fallback, optIn, source: fallback.length > 0 ? "site" : "none", problem: null };
  const topics = entries.map(([id, label]) => ({ id, label: String(label) }));
  const agrees = fallback.length === 0 || (fallback.length === topics.length &&
    fallback.every((t, i) => t.id === topics[i].id && t.label === topics[i].label));
  const problem = agrees ? null : "site.js TOPICS disagrees with the playbook's policy.topics " +
    `(${fallback.map((t) => t.id).join(", ")} vs ${topics.map((t) => t.id).join(", ")}, or their labels or order): ` +
    "the preference center offers the playbook's; delete TOPICS from site.js or make it equal";
  return { topics, optIn, source: "playbook", problem };
}

/**
 * Whether the contact has chosen topics, as core's state `view` dates it (`topicsChosenAt`): the choice that turns
 * an opt-in playbook's "no choice, no topic" into the topics chosen (an empty list is either).
 */
export const choseTopics = (view) => view.topicsChosenAt !== null && view.topicsChosenAt !== undefined;

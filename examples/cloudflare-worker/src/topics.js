// The preference center's topics (D27): ids, labels and order from the playbook the Worker runs — its
// `policy.topics` ({ "<id>": "<label>" }, the ids its nurture steps name) and `policy.topics_opt_in`, as the engine
// gives them (`engine.topics()`, from the compiled playbook) — so the page offers, and the one-click unsubscribe
// spells out, exactly the topics the engine gates steps on. What a choice means for a step stays in core.
//
// site.js TOPICS is a fallback for a playbook that declares no `policy.topics` (one written before topics reached
// core). When both are set and differ, the playbook's serve and /api/health reports the disagreement (degraded).
import { TOPICS } from "./site.js";

/**
 * The topic settings of an engine's playbook, from `engine.topics()` (`{ topics: [{ id, label }], optIn }`; null for
 * none):
 * `{ topics, optIn, source, problem }`, `source` being "playbook", "site" (`site`, site.js TOPICS) or "none",
 * `problem` a sentence or null.
 */
export function topicSettings(engineTopics, site = TOPICS) {
  const declared = engineTopics?.topics ?? [];
  const optIn = engineTopics?.optIn === true;
  const fallback = Array.isArray(site) ? site.map(({ id, label }) => ({ id: String(id), label: String(label) })) : [];
  if (declared.length === 0) return { topics: fallback, optIn, source: fallback.length > 0 ? "site" : "none", problem: null };
  const topics = declared.map(({ id, label }) => ({ id, label }));
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

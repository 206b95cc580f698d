// The CTA list of examples/playbooks/saas.json as a GrowthBook feature, for the benchmarks that time GrowthBook's SDK
// against rekindle (`npm run bench:browser`, `npm run bench:edge`): the candidates in priority order, `unless` as a
// negated condition, the default last. GrowthBook is handed the attributes rekindle computes from the history.
export const CTA_FEATURES = Object.freeze({
  cta: {
    defaultValue: "checklist",
    rules: [
      { condition: { readiness: "hot", fit: { $gte: 20 }, stage: { $nin: ["opportunity", "customer"] } }, force: "book_demo" },
      { condition: { webinarAttended7d: true }, force: "data_review" },
      { condition: { stageRank: { $gte: 1 } }, force: "case_study" },
      { condition: { readiness: "warm" }, force: "comparison" },
      { condition: { readiness: "cold" }, force: "checklist" },
    ],
  },
});

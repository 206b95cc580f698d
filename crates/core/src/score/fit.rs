//! Fit: rules over profile fields (role, company size, industry) → points. No decay; three-valued logic
//! (a missing field or a type mismatch is *unknown*, never coerced, and adds nothing).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ProblemCode;
use crate::event::Scalar;
use crate::explain::{Reason, Sink};
use crate::field::{parse_test, FieldTest, Truth};
use crate::playbook::compiled::{compiled_struct, Compiled, In, Out};
use crate::playbook::reader::{index, Reader};
use crate::time::{short_number, Timestamp};
use crate::value::Value;
use crate::vecmap::VecMap;

/// A compiled fit rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FitRule {
    pub(crate) id: String,
    pub(crate) path: String,
    pub(crate) field: String,
    pub(crate) test: FieldTest,
    pub(crate) points: f64,
}

/// As `compiled_struct!` writes it, with the points checked as the JSON reader checks them.
impl Compiled for FitRule {
    fn put(&self, out: &mut Out) {
        let FitRule { id, path, field, test, points } = self;
        id.put(out);
        path.put(out);
        field.put(out);
        test.put(out);
        points.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        FitRule {
            id: Compiled::get(r),
            path: Compiled::get(r),
            field: Compiled::get(r),
            test: Compiled::get(r),
            points: r.points(),
        }
    }
}

/// The fit group: rules plus optional clamps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitGroup {
    pub(crate) rules: Vec<FitRule>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
}

compiled_struct!(FitGroup { rules, min, max });

impl FitGroup {
    /// Whether a rule compares a date field with `now` (`within_last`, `older_than`): fit then changes with time.
    pub(crate) fn reads_relative_dates(&self) -> bool {
        self.rules.iter().any(|r| matches!(r.test, FieldTest::WithinLast(_) | FieldTest::OlderThan(_)))
    }

    /// The profile fields the rules read (the state keeps only these).
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.field.as_str())
    }

    /// Score and reasons for a profile at `now` (relative date tests read it).
    pub(crate) fn score(&self, profile: &VecMap<String, Scalar>, now: Timestamp, reasons: &mut Sink<'_>) -> f64 {
        let mut sum = 0.0;
        for rule in &self.rules {
            match rule.test.eval(profile.get(&rule.field), now) {
                Truth::True => {
                    sum += rule.points;
                    reasons.push(|| Reason::FitRule {
                        rule: rule.path.clone(),
                        id: rule.id.clone(),
                        field: rule.field.clone(),
                        points: rule.points,
                    });
                }
                Truth::False => {}
                Truth::Unknown(cause) => reasons.push(|| Reason::FitUnknown {
                    rule: rule.path.clone(),
                    id: rule.id.clone(),
                    field: rule.field.clone(),
                    cause,
                }),
            }
        }
        super::clamp("scores.fit", sum, self.min, self.max, reasons)
    }
}

pub(crate) fn parse_fit(r: &mut Reader, v: &Value) -> FitGroup {
    let mut group = FitGroup::default();
    let Some(obj) = r.object(v, "scores.fit", &["rules", "min", "max"]) else {
        return group;
    };
    group.min = obj.get("min").and_then(|m| r.number(m, &obj.at("min")));
    group.max = obj.get("max").and_then(|m| r.number(m, &obj.at("max")));
    if let (Some(min), Some(max)) = (group.min, group.max) {
        if min >= max {
            r.problem(
                obj.at("max"),
                ProblemCode::ThresholdOrder,
                format!("max ({}) must be greater than min ({})", short_number(max), short_number(min)),
            );
        }
    }
    let Some(rules) = r.required(&obj, "rules").and_then(|v| r.array(v, &obj.at("rules"))) else {
        return group;
    };
    let mut seen: Vec<String> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let path = index(&obj.at("rules"), i);
        let Some(ro) = r.object(rule, &path, &["id", "field", "op", "value", "points"]) else {
            continue;
        };
        let field = r.required(&ro, "field").and_then(|f| r.string(f, &ro.at("field"))).map(String::from);
        let points = r.required(&ro, "points").and_then(|p| r.points(p, &ro.at("points")));
        let test =
            r.required(&ro, "op").and_then(|op| r.string(op, &ro.at("op"))).and_then(|op| parse_test(r, &ro, op));
        let id = r.rule_id(&ro, field.as_deref(), &mut seen, "scores.fit.rules");
        if let (Some(id), Some(field), Some(points), Some(test)) = (id, field, points, test) {
            group.rules.push(FitRule { id, path, field, test, points });
        }
    }
    group
}

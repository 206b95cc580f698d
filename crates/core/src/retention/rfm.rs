//! RFM (D36): recency, frequency and monetary scores by quantiles of the customer base, and named cells.
//!
//! Scores run 1–5 (quintiles), or 1–3 (terciles) for a base smaller than [`SMALL_BASE`]: a fifth of a few dozen
//! customers says little. Each dimension gets `levels − 1` cut points, the empirical quantiles j/levels (the
//! value at rank ⌈j·n/levels⌉); a customer's score is 1 + the number of cut points strictly below their value,
//! higher being better (recency is scored on "how recent", so the most recent orders score highest). Ties share
//! a score; with many one-time buyers several cut points coincide and frequency scores skip levels, as pandas'
//! `qcut` would. Cut points are data: [`Breakpoints::score`] scores any contact against a stored set.
//!
//! Cells are written on the 1–5 scale and tried in order, the first match wins; on a 1–3 base a score s counts
//! as 2s − 1 (1, 3, 5). `fm` is ⌊(f + m)/2⌋.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::playbook::compiled::{compiled_struct, Compiled, In, Out};

/// Below this many customers, scores run 1–3.
pub const SMALL_BASE: usize = 100;

const DAY_MS: f64 = 86_400_000.0;

/// A customer's three scores, each 1..=levels.
///
/// ```
/// # use rekindle_core::retention::rfm::Scores;
/// assert_eq!(Scores { r: 5, f: 3, m: 4 }.fm(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scores {
    /// Recency: 5 = ordered most recently.
    pub r: u8,
    /// Frequency: 5 = most orders.
    pub f: u8,
    /// Monetary: 5 = most spent.
    pub m: u8,
}

impl Scores {
    /// ⌊(f + m)/2⌋: the "value" axis of the RFM grid.
    pub fn fm(self) -> u8 {
        (self.f + self.m) / 2
    }

    /// On the 1–5 scale (a 1–3 score s becomes 2s − 1).
    pub fn on_five(self, levels: u8) -> Scores {
        if levels == 3 {
            Scores { r: 2 * self.r - 1, f: 2 * self.f - 1, m: 2 * self.m - 1 }
        } else {
            self
        }
    }
}

/// The cut points of a base, ascending per dimension (recency in days since the last order, descending).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakpoints {
    /// 5 or 3.
    pub levels: u8,
    /// Days since the last order at the cut points, most recent first: ≤ the first scores `levels`.
    pub recency_days: Vec<f64>,
    /// Orders at the cut points.
    pub frequency: Vec<f64>,
    /// Total spend at the cut points.
    pub monetary: Vec<f64>,
}

/// What RFM reads of one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts {
    /// Days since the last order (fractional).
    pub recency_days: f64,
    /// Orders.
    pub orders: u32,
    /// Total spend.
    pub total: f64,
}

impl Facts {
    /// Facts at `now_ms` from the last order's instant.
    pub fn at(now_ms: i64, last_ms: i64, orders: u32, total: f64) -> Facts {
        Facts { recency_days: (now_ms - last_ms) as f64 / DAY_MS, orders, total }
    }
}

/// The cut points j/levels of non-negative values; `descending` takes them from the top (for "days since",
/// where fewer is better): the j-th cut of the negated values.
fn cuts(values: impl Iterator<Item = f64>, levels: u8, descending: bool) -> Vec<f64> {
    let values = super::transaction::sorted(values);
    let n = values.len();
    (1..usize::from(levels))
        .filter_map(|j| {
            let rank = (j * n).div_ceil(usize::from(levels)).max(1);
            let at = if descending { n.checked_sub(rank)? } else { rank - 1 };
            values.get(at).copied()
        })
        .collect()
}

fn above(value: f64, cuts: &[f64]) -> u8 {
    1 + cuts.iter().filter(|c| **c < value).count() as u8
}

impl Breakpoints {
    /// The quantile cut points of a base (`levels` 5, or 3 when `None` is given and the base is small).
    ///
    /// ```
    /// # use rekindle_core::retention::rfm::{Breakpoints, Facts};
    /// let base: Vec<Facts> = (1..=10).map(|i| Facts { recency_days: f64::from(i), orders: i, total: 10.0 * f64::from(i) }).collect();
    /// let b = Breakpoints::of(&base, Some(5));
    /// assert_eq!(b.frequency, vec![2.0, 4.0, 6.0, 8.0]);
    /// assert_eq!(b.score(&base[0]).r, 5); // 1 day ago: the most recent
    /// ```
    pub fn of(base: &[Facts], levels: Option<u8>) -> Breakpoints {
        let levels = levels.unwrap_or(if base.len() < SMALL_BASE { 3 } else { 5 });
        Breakpoints {
            levels,
            recency_days: cuts(base.iter().map(|f| f.recency_days.max(0.0)), levels, true),
            frequency: cuts(base.iter().map(|f| f64::from(f.orders)), levels, false),
            monetary: cuts(base.iter().map(|f| f.total), levels, false),
        }
    }

    /// Scores one customer against these cut points.
    pub fn score(&self, facts: &Facts) -> Scores {
        Scores {
            r: 1 + self.recency_days.iter().filter(|c| **c > facts.recency_days.max(0.0)).count() as u8,
            f: above(f64::from(facts.orders), &self.frequency),
            m: above(facts.total, &self.monetary),
        }
    }
}

/// Inclusive score bounds on the 1–5 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    /// Lowest score.
    pub low: u8,
    /// Highest score.
    pub high: u8,
}

/// Refused unless `1 ≤ low ≤ high ≤ 5`, as the reader refuses it.
impl Compiled for Range {
    fn put(&self, out: &mut Out) {
        let Range { low, high } = self;
        low.put(out);
        high.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let (low, high) = (u8::get(r), u8::get(r));
        if !(1 <= low && low <= high && high <= 5) {
            r.fail("RFM scores outside 1 ≤ low ≤ high ≤ 5");
            return Range::ANY;
        }
        Range { low, high }
    }
}

impl Range {
    /// Every score.
    pub const ANY: Range = Range { low: 1, high: 5 };

    fn holds(self, s: u8) -> bool {
        (self.low..=self.high).contains(&s)
    }
}

/// A named cell of the RFM grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// The cell's id, used by `{ "rfm": [ids] }` conditions.
    pub id: String,
    /// Recency bounds.
    pub r: Range,
    /// Frequency bounds.
    pub f: Range,
    /// Monetary bounds.
    pub m: Range,
    /// Bounds on ⌊(f + m)/2⌋.
    pub fm: Range,
}

compiled_struct!(Cell { id, r, f, m, fm });

impl Cell {
    /// Whether scores (on the 1–5 scale) fall in this cell.
    pub fn holds(&self, s: Scores) -> bool {
        self.r.holds(s.r) && self.f.holds(s.f) && self.m.holds(s.m) && self.fm.holds(s.fm())
    }
}

/// The first cell that holds, if any.
pub fn cell_of(cells: &[Cell], scores: Scores, levels: u8) -> Option<&Cell> {
    let five = scores.on_five(levels);
    cells.iter().find(|c| c.holds(five))
}

/// (id, r, f, fm) bounds of a default cell; m is any score.
type CellBounds = (&'static str, [u8; 2], [u8; 2], [u8; 2]);

/// The default cells.
const DEFAULT_CELLS: [CellBounds; 9] = [
    ("champions", [4, 5], [1, 5], [4, 5]),
    ("loyal", [3, 5], [1, 5], [3, 5]),
    ("recent", [5, 5], [1, 1], [1, 2]),
    ("promising", [4, 5], [1, 5], [1, 2]),
    ("needs_attention", [3, 3], [1, 5], [1, 2]),
    ("cant_lose", [1, 2], [1, 5], [4, 5]),
    ("at_risk", [1, 2], [1, 5], [3, 3]),
    ("hibernating", [2, 2], [1, 5], [1, 2]),
    ("lost", [1, 1], [1, 5], [1, 2]),
];

/// The default cells (docs/playbook.md § retention), covering every score combination.
pub fn default_cells() -> Vec<Cell> {
    let range = |[low, high]: [u8; 2]| Range { low, high };
    DEFAULT_CELLS
        .iter()
        .map(|&(id, r, f, fm)| Cell { id: String::from(id), r: range(r), f: range(f), m: Range::ANY, fm: range(fm) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cells_cover_every_score_combination_once_in_order() {
        let cells = default_cells();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    assert!(cell_of(&cells, Scores { r, f, m }, 5).is_some(), "r{r} f{f} m{m}");
                }
            }
        }
        let id = |r, f, m| cell_of(&cells, Scores { r, f, m }, 5).map(|c| c.id.as_str());
        assert_eq!(id(5, 5, 5), Some("champions"));
        assert_eq!(id(5, 1, 2), Some("recent"));
        assert_eq!(id(5, 2, 2), Some("promising"));
        assert_eq!(id(1, 5, 4), Some("cant_lose"));
        assert_eq!(id(1, 1, 1), Some("lost"));
        assert_eq!(id(2, 1, 1), Some("hibernating"));
    }

    #[test]
    fn one_time_buyers_share_the_lowest_frequency_score() {
        let mut base: Vec<Facts> = (0..60).map(|i| Facts::at(100 * 86_400_000, i * 86_400_000, 1, 10.0)).collect();
        base.extend((0..40).map(|i| Facts::at(100 * 86_400_000, i * 86_400_000, 2 + i as u32 % 4, 50.0)));
        let b = Breakpoints::of(&base, None);
        assert_eq!(b.levels, 5);
        let s = b.score(&base[0]);
        assert_eq!(s.f, 1);
        assert!(b.score(&base[99]).f > 1);
    }

    #[test]
    fn a_small_base_scores_one_to_three_and_maps_onto_the_five_point_cells() {
        let base: Vec<Facts> =
            (1..=9).map(|i| Facts { recency_days: f64::from(i), orders: i, total: f64::from(i) }).collect();
        let b = Breakpoints::of(&base, None);
        assert_eq!(b.levels, 3);
        let best = b.score(&base[8]);
        assert_eq!((best.f, best.m, best.r), (3, 3, 1));
        assert_eq!(best.on_five(3), Scores { r: 1, f: 5, m: 5 });
        assert_eq!(cell_of(&default_cells(), best, 3).map(|c| c.id.as_str()), Some("cant_lose"));
    }
}

//! Retention analytics for Node (`node` build, feature `retention`): an order log analysed by
//! `rekindle_core::retention` — the same analysis `rekindle plan` puts in its report. Orders cross either as an
//! array of objects (one tape; core locates every problem) or, for bulk, as columns: one string of customer ids
//! joined by U+0000, and typed arrays of customer indices, instants and amounts.

use rekindle_core::retention::analysis::{analyse, fit_models};
use rekindle_core::retention::rules::RetentionRules;
use rekindle_core::retention::{Options, Transaction};
use wasm_bindgen::prelude::*;

use rekindle_core::Playbook;

use crate::convert;
use crate::error::Error;

fn options(tape: &[u8]) -> Result<Options, Error> {
    Ok(Options::parse(&convert::value(tape, "options")?, "options")?)
}

fn list(tape: &[u8]) -> Result<Vec<Transaction>, Error> {
    Ok(Transaction::parse_list(&convert::value(tape, "transactions")?, "transactions")?)
}

fn columns(names: &str, customer: &[u32], at: &[f64], amount: Option<Vec<f64>>) -> Result<Vec<Transaction>, Error> {
    let names: Vec<&str> = names.split('\u{0}').collect();
    Ok(Transaction::from_columns(&names, customer, at, amount.as_deref(), "transactions")?)
}

/// The playbook's retention rules (`undefined`: the defaults).
fn rules(playbook: Option<Vec<u8>>) -> Result<RetentionRules, Error> {
    let Some(tape) = playbook else { return Ok(RetentionRules::default()) };
    let pb = Playbook::parse(&convert::value(&tape, "playbook")?)?;
    Ok(pb.retention().clone())
}

fn run(playbook: Option<Vec<u8>>, log: &[Transaction], now: f64, opts: &[u8]) -> Result<JsValue, JsValue> {
    let rules = rules(playbook)?;
    let analysis = analyse(log, &rules, &options(opts)?, convert::now(now)?);
    Ok(convert::to_js(&analysis)?)
}

/// The analysis of an order log with a playbook's `retention` rules (or the defaults); playbook, orders and
/// options arrive as tapes the facade encoded.
#[wasm_bindgen(js_name = retention)]
pub fn retention(playbook: Option<Vec<u8>>, transactions: &[u8], now: f64, opts: &[u8]) -> Result<JsValue, JsValue> {
    let log = list(transactions)?;
    run(playbook, &log, now, opts)
}

/// `retention` over columns.
#[wasm_bindgen(js_name = retentionColumns)]
pub fn retention_columns(
    playbook: Option<Vec<u8>>,
    names: &str,
    customer: &[u32],
    at: &[f64],
    amount: Option<Vec<f64>>,
    now: f64,
    opts: &[u8],
) -> Result<JsValue, JsValue> {
    let log = columns(names, customer, at, amount)?;
    run(playbook, &log, now, opts)
}

/// BG/NBD and Gamma-Gamma fitted on summaries: `{ bgnbd, gammaGamma }`.
#[wasm_bindgen(js_name = fitRetention)]
pub fn fit_retention(
    frequency: &[f64],
    recency: &[f64],
    age: &[f64],
    monetary: Option<Vec<f64>>,
) -> Result<JsValue, JsValue> {
    let models = fit_models(frequency, recency, age, monetary.as_deref()).map_err(Error::from)?;
    Ok(convert::to_js(&models)?)
}

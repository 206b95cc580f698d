//! The order log as real exports write it (issue 8's user audit): order ids (an order exported twice counts
//! once; the same id with another order is refused), one currency per analysis, refunds, and instants written
//! in epoch seconds — refused with their path and the fix, in the object form and the column form alike (the
//! facade passes columns with ids, currencies or RFC 3339 text as objects: tests/node/retention-audit.test.mjs).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use rekindle_core::retention::analysis::{analyse, Options};
use rekindle_core::retention::rules::RetentionRules;
use rekindle_core::retention::Transaction;
use rekindle_core::{ErrorCode, Timestamp, Value};
use serde_json::json;

const DEC_1: f64 = 1_764_547_200_000.0; // 2025-12-01T00:00:00Z
const DAY: f64 = 86_400_000.0;

fn parse(list: serde_json::Value) -> Result<Vec<Transaction>, rekindle_core::Error> {
    Transaction::parse_list(&serde_json::from_value::<Value>(list).unwrap(), "transactions")
}

fn failure(list: serde_json::Value) -> (String, String) {
    let err = parse(list).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InputInvalid);
    (err.path().unwrap(), err.to_string())
}

#[test]
fn an_order_exported_twice_counts_once_and_the_repeat_is_counted() {
    let log = parse(json!([
        { "id": "A-1", "customer": "c1", "at": DEC_1, "amount": 10 },
        { "id": "A-2", "customer": "c1", "at": DEC_1 + 7.0 * DAY, "amount": 10 },
        { "id": "A-2", "customer": "c1", "at": DEC_1 + 7.0 * DAY, "amount": 10 },
        { "id": 17, "customer": "c2", "at": DEC_1, "amount": 5, "currency": "EUR" },
    ]))
    .unwrap();
    let now = Timestamp::from_f64(DEC_1 + 30.0 * DAY).unwrap();
    let a = analyse(&log, &RetentionRules::default(), &Options::default(), now);
    let c1 = &a.customers[0].summary;
    assert_eq!((c1.orders, c1.total), (2, 20.0)); // before: 3 orders, 30
    assert_eq!(a.duplicate_orders, 1);
    assert_eq!(a.kpis.revenue, 25.0);
}

#[test]
fn an_order_id_repeated_with_another_amount_is_refused_naming_both_rows() {
    let (path, message) = failure(json!([
        { "id": "A-1", "customer": "c1", "at": DEC_1, "amount": 10 },
        { "id": "A-9", "customer": "c1", "at": DEC_1, "amount": 3 },
        { "id": "A-1", "customer": "c1", "at": DEC_1, "amount": 12 },
    ]));
    assert_eq!(path, "transactions[2].id");
    assert!(message.contains("is also transactions[0], with another amount"), "{message}");
}

#[test]
fn a_second_currency_is_refused_naming_the_first_differing_order() {
    let (path, message) = failure(json!([
        { "customer": "c1", "at": DEC_1, "amount": 10, "currency": "EUR" },
        { "customer": "c2", "at": DEC_1, "amount": 10 },
        { "customer": "c2", "at": DEC_1, "amount": 10, "currency": "eur" },
        { "customer": "c3", "at": DEC_1, "amount": 10, "currency": "USD" },
    ]));
    assert_eq!(path, "transactions[3].currency");
    assert!(message.contains("expected \"EUR\" like transactions[0].currency, got \"USD\""), "{message}");
}

#[test]
fn an_instant_in_epoch_seconds_is_refused_with_the_fix() {
    let (path, message) = failure(json!([
        { "customer": "c1", "at": DEC_1, "amount": 10 },
        { "customer": "c1", "at": "2025-12-08T00:00:00Z", "amount": 10 },
        { "customer": "c2", "at": DEC_1, "amount": 10 },
        { "customer": "c2", "at": 1_764_547_200, "amount": 10 },
    ]));
    assert_eq!(path, "transactions[3].at");
    assert_eq!(
        message,
        "transactions[3].at: 1764547200 is 1970-01-21 in epoch milliseconds: it looks like epoch seconds; write \
         1764547200000 (seconds × 1000) or an RFC 3339 instant"
    );
    let err = Transaction::from_columns(&["c1"], &[0, 0], &[DEC_1, 1_764_547_200.0], None, "transactions").unwrap_err();
    assert_eq!((err.code(), err.path().as_deref()), (ErrorCode::InputInvalid, Some("transactions[1].at")));
}

#[test]
fn a_refund_is_refused_with_what_to_do_about_it() {
    let (path, message) = failure(json!([{ "id": "A-1", "customer": "c1", "at": DEC_1, "amount": -5 }]));
    assert_eq!(path, "transactions[0].amount");
    assert!(message.contains("net it into its order's amount"), "{message}");
}

#[test]
fn a_field_a_transaction_does_not_have_is_still_refused() {
    let (path, message) = failure(json!([{ "customer": "c1", "at": DEC_1, "sku": "X" }]));
    assert_eq!(path, "transactions[0]");
    assert!(
        message.contains("unknown field \"sku\"; a transaction has customer, at, amount, id, currency"),
        "{message}"
    );
}

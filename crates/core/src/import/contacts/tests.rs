#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use alloc::string::ToString;

use proptest::prelude::*;

use super::text::{rfc3339, snake_case, vendor_time};
use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/vendor/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ms(text: &str) -> Timestamp {
    vendor_time(text).unwrap()
}

fn ok(batch: &ContactBatch) -> Vec<&ContactRecord> {
    batch.rows.iter().filter_map(|r| r.as_ref().ok()).collect()
}

fn errs(batch: &ContactBatch) -> Vec<(&str, &str)> {
    batch.rows.iter().filter_map(|r| r.as_ref().err()).map(|d| (d.diagnostic.at.as_str(), d.diagnostic.code)).collect()
}

fn field<'a>(r: &'a ContactRecord, name: &str) -> Option<&'a Scalar> {
    r.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn str_field<'a>(r: &'a ContactRecord, name: &str) -> Option<&'a str> {
    match field(r, name) {
        Some(Scalar::Str(s)) => Some(s),
        _ => None,
    }
}

fn mailchimp(status: MailchimpStatus, bytes: &[u8]) -> ContactBatch {
    decode("contacts.csv", Vendor::Mailchimp(status), bytes).unwrap()
}

/// Feeds `bytes` in chunks of `size` (and once whole): the batches must agree.
fn chunked(vendor: &Vendor, bytes: &[u8], size: usize) -> Result<ContactBatch, Error> {
    let mut d = ContactDecoder::new("contacts.csv", vendor.clone());
    let mut out = ContactBatch::default();
    for chunk in bytes.chunks(size.max(1)) {
        d.feed(chunk, &mut out)?;
    }
    d.finish(&mut out)?;
    Ok(out)
}

#[test]
fn the_mailchimp_fixture_gives_one_subscribed_contact_with_its_consent_proof() {
    let out = mailchimp(MailchimpStatus::Subscribed, &fixture("mailchimp-export-subscribed.csv"));
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let rows = ok(&out);
    assert_eq!(rows.len(), 1);
    let r = rows[0];
    assert_eq!((r.line, r.email.as_str(), r.id.as_deref()), (2, "mail@example.com", Some("some-other-value")));
    // OPTIN_TIME is empty: CONFIRM_TIME dates the contact and proves the double opt-in.
    assert_eq!(r.created_at, Some(ms("2015-03-16 14:40:47")));
    assert_eq!(field(r, "member_rating"), Some(&Scalar::Num(2.0)));
    assert_eq!(str_field(r, "confirm_time"), Some("2015-03-16T14:40:47Z"));
    assert_eq!(str_field(r, "last_changed"), Some("2015-03-16T14:40:47Z"));
    assert_eq!(str_field(r, "leid"), Some("some-value"));
    assert_eq!(field(r, "euid"), None, "the id is not also a field");
    assert_eq!(r.events.len(), 1);
    let e = &r.events[0];
    assert_eq!(
        (e.kind.clone(), e.at, e.contact.as_str()),
        (EventKind::Consent, ms("2015-03-16 14:40:47"), "mail@example.com")
    );
    assert_eq!((e.prop_str("purpose"), e.prop_str("source")), (Some("email_marketing"), Some("mailchimp_confirm")));
    assert_eq!(e.props.get("granted"), Some(&Some(Scalar::Bool(true))));
}

const UNSUB: &str =
    "\"Email Address\",\"First Name\",CC,TIMEZONE,LAST_CHANGED,LEID,EUID,UNSUB_TIME,UNSUB_REASON,UNSUB_CAMPAIGN_ID\n\
a@example.com,Ann,PL,Europe/Warsaw,2024-01-02 10:00:00,11,e1,2024-01-01 09:00:00,NORMAL,c42\n\
b@example.com,Bob,DE,,2024-02-03 11:00:00,12,e2,,,\n\
c@example.com,Cy,FR,,,13,e3,,,\n";

#[test]
fn mailchimp_unsubscribed_files_give_an_unsubscribe_at_unsub_time_else_last_changed() {
    let out = mailchimp(MailchimpStatus::Unsubscribed, UNSUB.as_bytes());
    let rows = ok(&out);
    assert_eq!(rows.len(), 2);
    let a = &rows[0].events[0];
    assert_eq!((a.kind.clone(), a.at), (EventKind::Unsubscribe, ms("2024-01-01 09:00:00")));
    assert_eq!(
        (a.prop_str("channel"), a.prop_str("reason"), a.prop_str("campaign")),
        (Some("email"), Some("NORMAL"), Some("c42"))
    );
    assert_eq!(str_field(rows[0], "country"), Some("PL"));
    assert_eq!(str_field(rows[0], "timezone"), Some("Europe/Warsaw"));
    assert_eq!(rows[1].events[0].at, ms("2024-02-03 11:00:00"));
    // No date at all: the unsubscribe cannot be placed, the row is rejected where the date belongs.
    assert_eq!(errs(&out), [("contacts.csv:4:8", "missing_field")]);
}

#[test]
fn a_file_read_as_another_vendor_or_mailchimp_file_than_its_header_names_is_refused() {
    // Read as Klaviyo, HubSpot's "Unsubscribed from all email" would not be read: its contacts would be mailable.
    let hubspot = fixture("hubspot-contacts-described.csv");
    let err = decode("c.csv", Vendor::Klaviyo, &hubspot).unwrap_err();
    assert!(err.to_string().contains("a HubSpot export's (it has \"Record ID\"), not Klaviyo's"), "{err}");
    assert_eq!(err.path().as_deref(), Some("c.csv:1"));
    let err = decode("c.csv", Vendor::Mailchimp(MailchimpStatus::Subscribed), &hubspot).unwrap_err();
    assert!(err.to_string().contains("not Mailchimp's"), "{err}");
    let klaviyo = fixture("klaviyo-profiles-described.csv");
    assert!(decode("c.csv", Vendor::Hubspot(Box::new(HubspotLabels::english())), &klaviyo).is_err());
    // Mailchimp's unsubscribed and cleaned files name themselves in their header.
    let cleaned = "Email Address,LEID,EUID,CLEAN_TIME\nx@example.com,1,e9,2024-03-04 05:06:07\n";
    for (status, bytes, named) in [
        (MailchimpStatus::Subscribed, UNSUB, "unsubscribed"),
        (MailchimpStatus::Cleaned, UNSUB, "unsubscribed"),
        (MailchimpStatus::Subscribed, cleaned, "cleaned"),
        (MailchimpStatus::Unsubscribed, cleaned, "cleaned"),
    ] {
        let err = decode("c.csv", Vendor::Mailchimp(status), bytes.as_bytes()).unwrap_err();
        let want = format!("this is Mailchimp's {named} members file");
        assert!(err.to_string().contains(&want) && err.to_string().contains(status.name()), "{err}");
        let header_says = if named == "cleaned" { MailchimpStatus::Cleaned } else { MailchimpStatus::Unsubscribed };
        assert_eq!(mailchimp_status(bytes.as_bytes()), header_says);
    }
    assert_eq!(mailchimp_status(&fixture("mailchimp-export-subscribed.csv")), MailchimpStatus::Subscribed);
}

#[test]
fn mailchimp_cleaned_files_give_a_hard_bounce() {
    let csv = "Email Address,LEID,EUID,LAST_CHANGED,CLEAN_TIME,CLEAN_CAMPAIGN_ID\nx@example.com,1,e9,2024-01-01 00:00:00,2024-03-04 05:06:07,cc1\n";
    let out = mailchimp(MailchimpStatus::Cleaned, csv.as_bytes());
    let e = &ok(&out)[0].events[0];
    assert_eq!(
        (e.kind.clone(), e.at, e.prop_str("type"), e.prop_str("campaign")),
        (EventKind::EmailBounce, ms("2024-03-04 05:06:07"), Some("hard"), Some("cc1"))
    );
    assert!(e.id.starts_with("mailchimp-export:email_bounce:"));
    assert!(!e.id.contains('@'), "no email in event ids");
}

#[test]
fn semicolon_and_tab_delimiters_are_detected_from_the_header() {
    for delim in [";", "\t"] {
        let csv =
            format!("Email Address{d}First Name{d}LEID{d}EUID\nann@example.com{d}\"Ann, Jr\"{d}1{d}e1\n", d = delim);
        let out = mailchimp(MailchimpStatus::Subscribed, csv.as_bytes());
        let r = ok(&out)[0];
        assert_eq!((r.email.as_str(), str_field(r, "first_name")), ("ann@example.com", Some("Ann, Jr")), "{delim:?}");
    }
    assert_eq!(delimiter(b"a;b,c;d"), b';');
    assert_eq!(delimiter(b"\"a;b;c\",d"), b',', "delimiters inside quotes do not count");
    assert_eq!(delimiter(b"email"), b',');
}

#[test]
fn a_utf8_bom_is_stripped_and_utf16_is_refused() {
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(b"Email Address,LEID\nann@example.com,1\n");
    let out = mailchimp(MailchimpStatus::Subscribed, &bom);
    assert_eq!(ok(&out).len(), 1, "the BOM is not part of the first header");
    assert_eq!(detect(&bom), Some(VendorKind::Mailchimp));
    let utf16: Vec<u8> = "Email Address,LEID\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    for bytes in [[b"\xFF\xFE".as_slice(), &utf16].concat(), utf16.clone()] {
        let err = decode("contacts.csv", Vendor::Klaviyo, &bytes).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::ImportInvalid);
        assert_eq!(err.path().as_deref(), Some("contacts.csv:1"));
        assert!(err.to_string().contains("UTF-16"), "{err}");
    }
}

#[test]
fn latin1_bytes_are_read_as_windows_1252_and_said_once() {
    let csv = b"Email,First Name,City\nzoe@example.com,Zo\xEB,K\xF6ln\nli@example.com,\x80uro \x93q\x94,Malm\xF6\n";
    let out = decode("contacts.csv", Vendor::Klaviyo, csv).unwrap();
    let rows = ok(&out);
    assert_eq!((str_field(rows[0], "first_name"), str_field(rows[0], "city")), (Some("Zoë"), Some("Köln")));
    assert_eq!(str_field(rows[1], "first_name"), Some("€uro “q”"));
    let notes: Vec<_> = out.warnings.iter().map(|w| (w.diagnostic.at.as_str(), w.diagnostic.code)).collect();
    assert_eq!(notes, [("contacts.csv:2", "decoded_as_windows_1252")]);
}

#[test]
fn quoted_fields_keep_newlines_and_rows_keep_their_starting_line() {
    let csv = "Email,Notes,Last Active\r\n\
               a@example.com,\"line one\r\nline two, with comma\r\nand \"\"quotes\"\"\",2024-01-01 00:00:00\r\n\
               \r\n\
               not-an-email,x,2024-01-01 00:00:00\r\n\
               c@example.com,y,yesterday\r\n\
               d@example.com,only two\r\n";
    let out = decode("contacts.csv", Vendor::Klaviyo, csv.as_bytes()).unwrap();
    let rows = ok(&out);
    assert_eq!(str_field(rows[0], "notes"), Some("line one\r\nline two, with comma\r\nand \"quotes\""));
    assert_eq!(rows[0].line, 2);
    assert_eq!(errs(&out), [("contacts.csv:6:1", "invalid_email"), ("contacts.csv:8", "column_count")]);
    // An unreadable informational date keeps the row, as text, with a warning at its cell.
    assert_eq!((rows[1].line, str_field(rows[1], "last_active")), (7, Some("yesterday")));
    let w: Vec<_> = out.warnings.iter().map(|w| (w.diagnostic.at.as_str(), w.diagnostic.code)).collect();
    assert_eq!(w, [("contacts.csv:7:3", "bad_timestamp")]);
    let bad = out.rows.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!((bad.line, bad.column, bad.field.as_deref()), (6, Some(1), Some("Email")));
    assert!(!bad.diagnostic.message.contains("not-an-email"), "emails are masked: {}", bad.diagnostic.message);
}

#[test]
fn a_quote_never_closed_rejects_its_row_and_every_line_it_swallowed() {
    let csv = "Email,First Name,City\n\
               a@example.com,Ann,Oslo\n\
               b@example.com,\"Bob,Rome\n\
               c@example.com,Cy,Lima\n\
               d@example.com,Di,Kyiv\n";
    let out = decode("contacts.csv", Vendor::Klaviyo, csv.as_bytes()).unwrap();
    assert_eq!(ok(&out).len(), 1);
    let codes = errs(&out);
    assert_eq!(
        codes,
        [
            ("contacts.csv:3", "unclosed_quote"),
            ("contacts.csv:4", "unclosed_quote"),
            ("contacts.csv:5", "unclosed_quote")
        ]
    );
    let first = out.rows.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(
        first.diagnostic.message.contains("lines 3–5 (3 lines) were read as one row of 2"),
        "{}",
        first.diagnostic.message
    );
    // Opened in the last column, the field runs to the end of the file with the right column count.
    let last = "Email,City\na@example.com,Oslo\nb@example.com,\"Rome\nc@example.com,Lima\r\n";
    for size in [1, 5, last.len()] {
        let out = chunked(&Vendor::Klaviyo, last.as_bytes(), size).unwrap();
        assert_eq!(ok(&out).len(), 1, "chunks of {size}");
        assert_eq!(errs(&out), [("contacts.csv:3", "unclosed_quote"), ("contacts.csv:4", "unclosed_quote")]);
        let first = out.rows.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(first.diagnostic.message.contains("(2 lines, to the end of the file)"), "{}", first.diagnostic.message);
    }
    // A quoted field holding line breaks that closes is a row like any other.
    let fine = "Email,Notes\na@example.com,\"two\nlines\"\n";
    assert!(errs(&decode("contacts.csv", Vendor::Klaviyo, fine.as_bytes()).unwrap()).is_empty());
}

#[test]
fn feeding_byte_by_byte_gives_the_same_rows_as_feeding_whole() {
    let files = [
        (Vendor::Mailchimp(MailchimpStatus::Subscribed), fixture("mailchimp-export-subscribed.csv")),
        (Vendor::Hubspot(Box::new(HubspotLabels::english())), fixture("hubspot-contacts-described.csv")),
        (Vendor::Klaviyo, fixture("klaviyo-profiles-described.csv")),
    ];
    for (vendor, bytes) in files {
        let whole = chunked(&vendor, &bytes, bytes.len()).unwrap();
        for size in [1, 2, 3, 7, 64] {
            assert_eq!(chunked(&vendor, &bytes, size).unwrap(), whole, "{vendor:?} in chunks of {size}");
        }
    }
}

#[test]
fn the_hubspot_file_maps_ids_dates_stages_and_unsubscribes() {
    let out = decode(
        "hubspot.csv",
        Vendor::Hubspot(Box::new(HubspotLabels::english())),
        &fixture("hubspot-contacts-described.csv"),
    )
    .unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let rows = ok(&out);
    assert_eq!(rows.len(), 3);
    let ada = rows[0];
    assert_eq!(
        (ada.email.as_str(), ada.id.as_deref(), ada.created_at),
        ("ada.lovelace@example.com", Some("51"), Some(ms("2024-03-12 09:14")))
    );
    assert_eq!(str_field(ada, "last_activity_date"), Some("2024-03-15T14:30:00Z"));
    assert_eq!(str_field(ada, "lifecycle_stage"), Some("Marketing Qualified Lead"));
    assert_eq!(str_field(ada, "opted_out_of_email_newsletter"), Some("false"));
    assert_eq!(field(ada, "marketing_emails_opened"), Some(&Scalar::Num(12.0)));
    assert!(ada.events.is_empty());
    let jan = &rows[1].events;
    assert_eq!(jan.len(), 1);
    assert_eq!((jan[0].kind.clone(), jan[0].at), (EventKind::Unsubscribe, ms("2024-05-20 16:45")));
}

#[test]
fn hubspot_labels_are_an_input_so_a_polish_export_reads_too() {
    let labels = HubspotLabels {
        record_id: vec!["Identyfikator rekordu".into()],
        email: vec!["E-mail".into()],
        create_date: vec!["Data utworzenia".into()],
        unsubscribed_from_all: vec!["Wypisany ze wszystkich e-maili".into()],
        yes: vec!["tak".into()],
        no: vec!["nie".into()],
        ..HubspotLabels::english()
    };
    let csv = "Identyfikator rekordu;E-mail;Data utworzenia;Wypisany ze wszystkich e-maili;Miasto\n7;Ola@Example.pl;2024-01-05 10:00;TAK;Łódź\n8;ewa@example.pl;2024-01-06 10:00;może;Kraków\n";
    let out = decode("pl.csv", Vendor::Hubspot(Box::new(labels)), csv.as_bytes()).unwrap();
    let rows = ok(&out);
    assert_eq!((rows[0].id.as_deref(), rows[0].events[0].kind.clone()), (Some("7"), EventKind::Unsubscribe));
    assert_eq!(str_field(rows[0], "miasto"), Some("Łódź"));
    let w: Vec<_> = out.warnings.iter().map(|w| (w.diagnostic.at.as_str(), w.diagnostic.code)).collect();
    assert_eq!(w, [("pl.csv:3:4", "unknown_value")]);
    let err = decode("en.csv", Vendor::Hubspot(Box::new(HubspotLabels::english())), csv.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("no \"Email\" column"), "{err}");
}

#[test]
fn the_klaviyo_file_maps_consent_suppressions_and_rejects_redacted_profiles() {
    let out = decode("klaviyo.csv", Vendor::Klaviyo, &fixture("klaviyo-profiles-described.csv")).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let rows = ok(&out);
    assert_eq!(rows.len(), 3);
    let kinds = |r: &ContactRecord| r.events.iter().map(|e| (e.kind.to_string(), e.at)).collect::<Vec<_>>();
    assert_eq!(kinds(rows[0]), [("consent".to_string(), ms("2023-02-01 10:05:00"))]);
    assert_eq!(rows[0].id.as_deref(), Some("01HZX5Y6ABCDEF0123456789AB"));
    assert_eq!(rows[0].created_at, Some(ms("2023-02-01 10:00:00")));
    assert_eq!(kinds(rows[1]), [("unsubscribe".to_string(), ms("2024-01-02 11:00:00"))], "one unsubscribe, not two");
    assert_eq!(kinds(rows[2]), [("email_bounce".to_string(), ms("2023-08-08 08:08:00"))]);
    assert_eq!(str_field(rows[2], "country"), Some("SG"));
    assert_eq!(errs(&out), [("klaviyo.csv:5:1", "redacted_email")]);
}

#[test]
fn headers_name_their_vendor() {
    assert_eq!(detect(&fixture("mailchimp-export-subscribed.csv")), Some(VendorKind::Mailchimp));
    assert_eq!(detect(&fixture("hubspot-contacts-described.csv")), Some(VendorKind::Hubspot));
    assert_eq!(detect(&fixture("klaviyo-profiles-described.csv")), Some(VendorKind::Klaviyo));
    assert_eq!(detect(b"$email;$first_name\n"), Some(VendorKind::Klaviyo));
    assert_eq!(detect(b"email,id,created_at\n"), None);
    assert_eq!(detect(b""), None);
}

#[test]
fn unusable_files_are_one_error() {
    for (bytes, want) in [
        (&b""[..], "empty file"),
        (b"First Name,LEID\nAnn,1\n", "no \"Email Address\" column"),
        (b"Email Address,LEID\n\"a@example.com,1\n", "unterminated"),
    ] {
        let big;
        let bytes = if want == "unterminated" {
            big = [bytes, &vec![b'x'; MAX_RECORD + 10]].concat();
            &big[..]
        } else {
            bytes
        };
        let err = decode("c.csv", Vendor::Mailchimp(MailchimpStatus::Subscribed), bytes).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }
    // A header only is fine: no rows.
    assert_eq!(mailchimp(MailchimpStatus::Subscribed, b"Email Address,LEID").rows.len(), 0);
}

#[test]
fn labels_become_snake_case_field_names() {
    let cases = [
        ("First Name", "first_name"),
        ("MEMBER_RATING", "member_rating"),
        ("Opted out of email: Newsletter", "opted_out_of_email_newsletter"),
        ("$email", "email"),
        ("firstName", "first_name"),
        (" Miasto (PL) ", "miasto_pl"),
        ("---", ""),
    ];
    for (label, name) in cases {
        assert_eq!(snake_case(label), name, "{label}");
    }
}

#[test]
fn vendor_dates_are_read_as_utc() {
    let t = |s: &str| vendor_time(s).map(rfc3339);
    assert_eq!(t("2015-03-16 14:40:47").as_deref(), Some("2015-03-16T14:40:47Z"));
    assert_eq!(t("2024-03-12 09:14").as_deref(), Some("2024-03-12T09:14:00Z"));
    assert_eq!(t("2024-03-12").as_deref(), Some("2024-03-12T00:00:00Z"));
    assert_eq!(t("3/15/2024 2:30 PM").as_deref(), Some("2024-03-15T14:30:00Z"));
    assert_eq!(t("12/1/2024 12:05 am").as_deref(), Some("2024-12-01T00:05:00Z"));
    assert_eq!(t("2024-03-12T09:14:00+02:00").as_deref(), Some("2024-03-12T07:14:00Z"));
    assert_eq!(t("1710234840000").as_deref(), Some("2024-03-12T09:14:00Z"));
    for bad in ["yesterday", "2024-02-30 00:00", "13/15/2024", "3/15/2024 13:00 PM", "2024-03-12 9"] {
        assert_eq!(t(bad), None, "{bad}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic_and_chunking_never_changes_the_result(
        body in prop::collection::vec(prop_oneof![
            Just(b','), Just(b';'), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'@'), Just(0xE9u8), Just(0u8),
            any::<u8>(), b'a'..=b'z',
        ], 0..300),
        header in prop_oneof![Just("Email Address,LEID,EUID,OPTIN_TIME\n"), Just("Email;Klaviyo ID;Suppressions\n"), Just("")],
        size in 1usize..17,
        vendor in prop_oneof![
            Just(Vendor::Mailchimp(MailchimpStatus::Subscribed)),
            Just(Vendor::Hubspot(Box::new(HubspotLabels::english()))),
            Just(Vendor::Klaviyo),
        ],
    ) {
        let bytes = [header.as_bytes(), &body].concat();
        let whole = chunked(&vendor, &bytes, bytes.len());
        let pieces = chunked(&vendor, &bytes, size);
        prop_assert_eq!(whole.as_ref().map_err(ToString::to_string), pieces.as_ref().map_err(ToString::to_string));
        let _ = detect(&bytes);
    }
}

#[test]
fn an_empty_chunk_in_the_middle_of_a_file_changes_nothing() {
    // Found by the import_contacts fuzz target's review: csv-core reads an empty input as end of file.
    let body = b"Email,Klaviyo ID\na@example.com,1\nb@example.com,2\n";
    let whole = decode("contacts.csv", Vendor::Klaviyo, body).unwrap();
    let mut d = ContactDecoder::new("contacts.csv", Vendor::Klaviyo);
    let mut out = ContactBatch::default();
    for chunk in [&body[..20], &b""[..], &body[20..], &b""[..]] {
        d.feed(chunk, &mut out).unwrap();
    }
    d.finish(&mut out).unwrap();
    assert_eq!(ok(&out).len(), ok(&whole).len());
    assert_eq!(ok(&out).len(), 2);
}

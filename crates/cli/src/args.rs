//! Command-line arguments (clap derive). Every `--help` ends with examples that run against `examples/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// rekindle: decide what to say to each lead or customer, and when — with the reasons.
#[derive(Parser)]
#[command(name = "rekindle", version, about)]
#[command(
    after_help = "Exit codes: 0 done; 1 I/O or internal failure; 2 usage error; 3 unusable input (invalid playbook or \
                  events, a contacts file without an email column); 4 done, but some rows were rejected"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands (verbs).
#[derive(Subcommand)]
pub enum Command {
    /// Validate a playbook and list every problem with its path.
    #[command(
        after_help = "Examples:\n  rekindle check --playbook examples/playbooks/saas.json\n  rekindle check --playbook examples/playbooks/saas.yaml"
    )]
    Check {
        /// The playbook: JSON, or YAML when the file name ends in .yaml or .yml.
        #[arg(long)]
        playbook: PathBuf,
        /// Read the playbook as json or yaml whatever its file name (a pipe, a template).
        #[arg(long, value_enum, value_name = "FORMAT")]
        playbook_format: Option<PlaybookFormat>,
    },
    /// Validate a playbook and write it compiled (the bytes the browser and edge builds read: `new Engine(bytes)`).
    #[command(
        after_help = "Examples:\n  rekindle compile --playbook examples/playbooks/saas.json --out www/saas.rkp\n  rekindle compile --playbook saas.yaml > saas.rkp\n\nThe file is read by the same rekindle version that wrote it: compile again after upgrading."
    )]
    Compile {
        /// The playbook: JSON, or YAML when the file name ends in .yaml or .yml.
        #[arg(long)]
        playbook: PathBuf,
        /// Read the playbook as json or yaml whatever its file name (a pipe, a template).
        #[arg(long, value_enum, value_name = "FORMAT")]
        playbook_format: Option<PlaybookFormat>,
        /// Where to write the compiled playbook (written whole or not at all); stdout when absent.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Fold one contact's events and print the decision (scores, readiness, stage, reasons) as JSON.
    #[command(
        after_help = "Example:\n  rekindle decide --playbook examples/playbooks/saas.json \\\n    --events examples/data/contact-events.json --now 2026-11-26T12:00:00Z --pretty"
    )]
    Decide(DecideArgs),
    /// Plan a re-engagement campaign: fold every contact's events, decide at --now, write the plan to --out.
    Plan(PlanArgs),
    /// Sign an RFC 8058 one-click-unsubscribe (or preference-center) token for one contact (docs/tokens.md).
    UnsubscribeToken(crate::token_cmd::SignArgs),
    /// Check a token and print its fields as JSON; exit 3 when it is refused.
    VerifyToken(crate::token_cmd::VerifyArgs),
}

/// How a playbook file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlaybookFormat {
    /// JSON (the default).
    Json,
    /// YAML 1.2 (the default for a file ending in .yaml or .yml).
    Yaml,
}

impl PlaybookFormat {
    /// The format given, else YAML for a `.yaml` / `.yml` file (any case), else JSON.
    pub fn of(path: &std::path::Path, given: Option<PlaybookFormat>) -> PlaybookFormat {
        let yaml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        given.unwrap_or(if yaml { PlaybookFormat::Yaml } else { PlaybookFormat::Json })
    }
}

/// Machine-readable summary on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object.
    Json,
    /// `key,value` rows: the same figures, keys snake_case and dotted by section (`nps.2026-11.nps`), instants
    /// RFC 3339 (`crate::report::summary_csv`).
    Csv,
}

/// Arguments of `rekindle plan`.
#[derive(clap::Args)]
#[command(after_help = PLAN_HELP)]
pub struct PlanArgs {
    /// The playbook: JSON, or YAML when the file name ends in .yaml or .yml.
    #[arg(long)]
    pub playbook: PathBuf,
    /// Read the playbook as json or yaml whatever its file name (a pipe, a template).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub playbook_format: Option<PlaybookFormat>,
    /// Contacts CSV: a header row with an `email` column (any case); optional `id` and `created_at` (RFC 3339 or
    /// epoch ms); every other column is a profile field. Or a Mailchimp, HubSpot or Klaviyo export as is.
    #[arg(long)]
    pub contacts: PathBuf,
    /// The contacts file's format. Default: from its header (`Email Address` + `LEID` → mailchimp, `Record ID`
    /// → hubspot, `Klaviyo ID` or `$email` → klaviyo, else generic).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub contacts_format: Option<crate::adapter::vendor_csv::ContactsFormat>,
    /// The country calling code of national phone numbers in the contacts file (48, +48 or 1): contacts are
    /// deduplicated by phone in E.164 as well as by email (D22), and Meta's audience gets their numbers. Without
    /// it only numbers written with + or 00 are placed.
    #[arg(long, value_name = "CODE", value_parser = rekindle_core::import::phone::CallingCode::parse)]
    pub default_calling_code: Option<rekindle_core::import::phone::CallingCode>,
    /// Which file of a Mailchimp export ZIP --contacts is: unsubscribed rows get an unsubscribe, cleaned rows a
    /// hard bounce. Default: the file its header names (UNSUB_TIME: unsubscribed, CLEAN_TIME: cleaned, else
    /// subscribed); a status the header contradicts is refused.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub mailchimp_status: Option<crate::adapter::vendor_csv::MailchimpStatusArg>,
    /// Events, one JSON object per line: {"contact": "<email or id>", "at", "kind", "props"}. Repeatable;
    /// optional (a run on a contacts export alone, or with webhook logs, needs none). NPS answers and referrals
    /// are events too: kind custom:nps with props.score 0-10, custom:referral with props.referred (the new
    /// contact's email or id).
    #[arg(long)]
    pub events: Vec<PathBuf>,
    /// Webhook log as <vendor>:<file>, vendor one of sendgrid, mailgun, postmark, mailchimp, ses. Repeatable.
    ///
    /// The file holds one webhook body per line, exactly as the vendor POSTed it: sendgrid — a JSON array of
    /// events; mailgun — {"signature", "event-data"}; postmark — one object with RecordType; mailchimp — one
    /// form-urlencoded body (type=unsubscribe&data%5Bemail%5D=…); ses — an SNS envelope or a bare SES record.
    /// Events are matched to contacts by email; the same (vendor, event id, contact) is folded once across all
    /// files (later copies are counted as duplicates); a bad body or record is reported with file:line and the
    /// record's path; records rekindle does not fold (delivered, processed, …) are counted per vendor kind.
    /// A line may also be an envelope {"received_at", "headers", "body": "<raw body>"} keeping the signature
    /// headers; see --webhook-key.
    #[arg(long, value_name = "VENDOR:FILE", value_parser = crate::adapter::webhooks::WebhookLog::parse)]
    pub webhooks: Vec<crate::adapter::webhooks::WebhookLog>,
    /// Verify every delivery of a vendor's logs with its key: sendgrid:<file> holds the Event Webhook
    /// Verification Key as SendGrid shows it (base64, or PEM); mailgun:<file> the HTTP webhook signing key.
    ///
    /// SendGrid deliveries must then be envelopes carrying the X-Twilio-Email-Event-Webhook-Signature and
    /// -Timestamp headers; Mailgun bodies carry their own signature. A delivery that does not verify (forged,
    /// tampered with, unsigned, another key) or whose signed timestamp lies more than --signature-tolerance from
    /// its envelope's received_at is rejected whole, with file, line and reason. Repeatable, one per vendor.
    #[arg(long = "webhook-key", value_name = "VENDOR:FILE", value_parser = crate::adapter::webhooks::signed::KeyArg::parse)]
    pub webhook_keys: Vec<crate::adapter::webhooks::signed::KeyArg>,
    /// How far a signed webhook timestamp may lie from the envelope's received_at, either way (s, min, h).
    #[arg(long, default_value = "5min", value_parser = tolerance)]
    pub signature_tolerance: rekindle_core::Span,
    /// Decide as of this instant (RFC 3339 or epoch ms). Required: the same input and --now give the same bytes.
    /// Epoch seconds (date +%s) are refused: read as ms they are January 1970.
    #[arg(long)]
    pub now: String,
    /// Output directory (created if needed). Every file is replaced atomically; manifest.json is written last.
    #[arg(long)]
    pub out: PathBuf,
    /// Print a summary on stdout: json (one object) or csv (key,value rows). Default: nothing on stdout.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// The salt for erasure tombstones (at least 16 characters). Default: DIR/salt.txt, else the --previous
    /// plan's salt.txt when that plan was hashed with it, else generated.
    #[arg(long)]
    pub salt_file: Option<PathBuf>,
    /// The previous plan's output directory, to carry on from it: each contact's state as that plan knew it
    /// (archived, suppressed, last engaged: events that left the rolled-over logs still count) and its
    /// tombstones (an erased address re-imported is erased again) and suppression list (a bounced, complaining or
    /// unsubscribed address absent from an export is suppressed again when it comes back). Needs the --salt-file
    /// that plan used.
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
    /// Start the re-engagement campaign now (playbooks with lifecycle.reactivation_entry: manual, D11): every
    /// contact cold at --now whose email the send policy does not deny enters soft reactivation at --now (a
    /// reactivation_started is folded and kept in state.csv, so the next --previous run continues the campaign).
    /// The summary says how many were picked and, by reason, why the others were not. Refused for on_cold
    /// playbooks, whose contacts enter on their own.
    #[arg(long)]
    pub start_reactivation: bool,
    /// The edge Worker's https:// origin, like https://www.example.com (examples/cloudflare-worker): the audience
    /// CSVs gain each contact's signed links, unsubscribe_url (<URL>/unsubscribe?t=…, RFC 8058 one-click: put it in
    /// List-Unsubscribe), preferences_url (/preferences?t=…) and, in break_up.csv, keep_me_url (/keep?t=…, D8).
    /// Needs --link-keys. Without it the audience CSVs are unchanged.
    #[arg(long, value_name = "URL", value_parser = crate::token_cmd::links_base, requires = "link_keys")]
    pub links: Option<String>,
    /// The key file that signs --links: kid:hexkey lines, the last (newest) one signs, as the Worker's
    /// REKINDLE_KEYS and unsubscribe-token's --key-file (docs/tokens.md).
    #[arg(long, value_name = "FILE", requires = "links")]
    pub link_keys: Option<PathBuf>,
    /// How long the --links work, from --now, like 60d (the default). Unsubscribe links must keep working 30 days
    /// after the send (CAN-SPAM): shorter is warned.
    #[arg(long, value_name = "SPAN", value_parser = rekindle_core::Span::parse_str, requires = "links")]
    pub link_ttl: Option<rekindle_core::Span>,
    /// Write the plan back in the import format of hubspot, mailchimp or klaviyo (none: no such files). Default:
    /// the contacts export's vendor (--contacts-format, else detected); a generic CSV gets none.
    #[arg(long, value_enum, value_name = "SYSTEM")]
    pub write_back: Option<crate::writeback::WriteBack>,
    /// Sync these segments to the ad platforms (D35): per segment, audiences/segment-<id>.meta_custom_audience.csv,
    /// .google_customer_match.csv and .linkedin_matched_audience.csv (the retargeting files' format: SHA-256 of
    /// normalised identifiers) with its members at --now minus anyone ads exclude (erased, unsubscribed,
    /// complained, bounced, ads consent withdrawn or missing, open deal), and a _remove.csv per platform.
    /// Repeatable or comma-separated; an unknown segment is refused (exit 2) before anything is written.
    #[arg(long = "ad-audience", value_name = "SEGMENT", value_delimiter = ',')]
    pub ad_audience: Vec<String>,
    /// What your ESP bills per contact and month, for report.html's estimate of the cleanup's saving (D3).
    #[arg(long, default_value = "0.01", value_parser = cost_per_contact)]
    pub cost_per_contact: f64,
    /// What your ESP bills per email sent (D3: SendGrid, Mailgun, SES and others bill per send), for a second
    /// estimate beside the per-contact one: the removed contacts mailed at the list's rate of the last 30 days.
    #[arg(long, value_parser = cost_per_send)]
    pub cost_per_send: Option<f64>,
    /// The currency of --cost-per-contact and --cost-per-send: an ISO 4217 code.
    #[arg(long, default_value = "USD", value_parser = currency)]
    pub currency: String,
    /// The sends each variant of an A/B test needs before report.html names a winner (D26: 500–1,000).
    #[arg(long, default_value = "1000", value_parser = clap::value_parser!(u64).range(1..))]
    pub ab_min_sends: u64,
}

fn tolerance(text: &str) -> Result<rekindle_core::Span, String> {
    rekindle_core::Span::parse_str(text)
}

fn cost_per_contact(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => {
            Err(format!("expected a price per contact and month like 0.01, got \"{}\"", crate::diagnostic::quote(text)))
        }
    }
}

fn cost_per_send(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(format!("expected a price per email sent like 0.0008, got \"{}\"", crate::diagnostic::quote(text))),
    }
}

fn currency(text: &str) -> Result<String, String> {
    match text.len() == 3 && text.chars().all(|c| c.is_ascii_alphabetic()) {
        true => Ok(text.to_ascii_uppercase()),
        false => Err(format!(
            "expected an ISO 4217 currency code like USD or EUR, got \"{}\"",
            crate::diagnostic::quote(text)
        )),
    }
}

const PLAN_HELP: &str = "\
Writes to DIR: plan.csv, plan.json, segments/<id>.csv, audiences/soft_reactivation.csv, audiences/break_up.csv,
archive.csv, erasure.json, tombstones.csv, state.csv (each contact's state, for the next run's --previous),
suppressed.csv (salted hashes of suppressed addresses with channel, reason and since),
deliveries.csv (the complaint rate's sends, deliveries and complaints per hour, for the next run's --previous),
handoff.csv, diagnostics.ndjson, rejects.csv, report.html (a self-contained page with charts, aggregates only),
manifest.json (last).
Repeated runs (next week, next quarter, on fresh exports whose logs have rolled over): pass the last plan's
directory as --previous and the same --salt-file. Without it, contacts archived, suppressed (hard bounce,
complaint) or last engaged in events that left the logs are planned as if that never happened, an erased
address a re-import brings back is planned with its email, and the complaint rate is a share of the mail still
in the logs. For example, next quarter:
  ... --now 2027-02-26T12:00:00Z --salt-file ~/secure/rekindle-salt.txt --previous plans/2026-q4 --out plans/2027-q1
Campaign (manual reactivation_entry, D11): --start-reactivation puts every contact cold at --now that may be
emailed into soft reactivation; run again with --previous inside the break-up window it prints, or the contacts are
archived unseen: a --previous run lists those in audiences/break_up_unseen.csv and warns (D8).
Retention (D36-D42, when contacts have purchase events): retention.csv (per customer: RFM, P(alive), CLV, churn
alert and its reasons, win-back priority) and a report.html section (RFM grid, P(alive), cohort heat map). With a
`retention` section in the playbook, each customer's findings (rfm_cell, churn_reason, winback_priority, ...) are
kept on the contact at --now before segments are decided (docs/retention.md).
NPS and referrals (D38, D42): custom:nps events (on the contact who answered, props.score a whole number 0-10)
and custom:referral events (on the referring contact, props.referred the new contact's email or id) in --events
give nps and referrals per month in the summary and manifest.json (--format csv: nps.<YYYY-MM>.<field> and
referrals.<YYYY-MM>.<field> rows) and a report.html section; a bad score or referred is rejected with file, line
and field (bad_nps_score, bad_referral). With --previous, npsChange and referralsChange (csv: nps_change.*,
referrals_change.*) compare them with the figures that plan published: its latest month against this one's, and
every month either has, previous and current side by side.
Retargeting audiences (D10, D35), SHA-256 of normalised identifiers only, for contacts leaving break-up without
reaction (no open deal, no spam complaint): audiences/meta_custom_audience.csv (EMAIL, PHONE when the contacts file
has a phone column; phones in E.164: written +48… or 0048…, or national with --default-calling-code), audiences/google_customer_match.csv
(Email), audiences/linkedin_matched_audience.csv (LinkedIn's contact template, email column only).
Segment audiences (--ad-audience SEGMENT[,SEGMENT...], D35): audiences/segment-<id>.<platform>.csv in the same
format, the segment's members minus anyone ads exclude, and a _remove.csv per platform.
Write-back (--write-back hubspot|mailchimp|klaviyo|none; default: the contacts export's vendor): hubspot —
hubspot_contacts_import.csv and hubspot_properties.json (create the rekindle_* properties first); mailchimp —
mailchimp_audience_import.csv (TAGS, RK_* merge fields) and mailchimp_tags_remove.csv; klaviyo —
klaviyo_profiles_import.csv and klaviyo_list_<segment>.csv. Erased contacts never; no subscription column.
Links (--links https://www.example.com --link-keys keys.txt [--link-ttl 60d]): soft_reactivation.csv and
break_up.csv gain unsubscribe_url and preferences_url, break_up.csv also keep_me_url: each a signed token for that
contact (its id), issued at --now, for the Worker's /unsubscribe, /preferences and /keep (docs/tokens.md).

Exit codes: 0 done; 1 I/O failure; 2 usage error; 3 unusable input (invalid playbook, no email column);
4 done, but some rows were rejected (see DIR/diagnostics.ndjson and DIR/rejects.csv).

Examples:
  rekindle plan --playbook examples/playbooks/saas.json --contacts examples/data/plan/contacts.csv \\
    --events examples/data/plan/events.ndjson --now 2026-11-26T12:00:00Z --out target/plan
  rekindle plan --playbook examples/playbooks/saas.json --contacts examples/data/plan/contacts.csv \\
    --events examples/data/plan/events.ndjson --now 1795694400000 --out target/plan --format json --quiet
  rekindle plan --playbook examples/playbooks/saas.json --contacts examples/data/b2b/hubspot-contacts.csv \\
    --webhooks sendgrid:examples/data/b2b/sendgrid-events.ndjson --webhooks mailgun:examples/data/b2b/mailgun-events.ndjson \\
    --webhook-key mailgun:examples/data/b2b/mailgun-webhook-signing.key --events examples/data/b2b/site-events.ndjson \\
    --default-calling-code 1 --now 2026-11-26T12:00:00Z --out target/plan-b2b";

/// Arguments of `rekindle decide`.
#[derive(clap::Args)]
pub struct DecideArgs {
    /// The playbook: JSON, or YAML when the file name ends in .yaml or .yml.
    #[arg(long)]
    pub playbook: PathBuf,
    /// Read the playbook as json or yaml whatever its file name (a pipe, a template).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub playbook_format: Option<PlaybookFormat>,
    /// A JSON array of events for one contact.
    #[arg(long)]
    pub events: PathBuf,
    /// Decide as of this instant (RFC 3339 or epoch ms). Default: the system clock, read once and echoed.
    /// Epoch seconds (date +%s) are refused: read as ms they are January 1970.
    #[arg(long)]
    pub now: Option<String>,
    /// Indent the JSON output.
    #[arg(long)]
    pub pretty: bool,
    /// Write instants as RFC 3339 UTC strings (`2026-11-27T13:00:00Z`) instead of epoch milliseconds, for reading:
    /// every `…At`, `at`, `since`, `until` and `validUntil`.
    #[arg(long)]
    pub rfc3339: bool,
}

//! Mailchimp audience exports (`--contacts-format mailchimp`): the core decoder
//! (`rekindle_core::import::contacts::mailchimp`) with the file's role from `--mailchimp-status`, else the one its
//! header names, read by [`super::vendor_csv::VendorCsv`].

use rekindle_core::import::contacts::{MailchimpStatus, Vendor};

use super::vendor_csv::MailchimpStatusArg;

/// The core vendor input for a Mailchimp file: the role asked for, else `named` (the header's).
pub fn vendor(status: Option<MailchimpStatusArg>, named: MailchimpStatus) -> Vendor {
    Vendor::Mailchimp(match status {
        None => named,
        Some(MailchimpStatusArg::Subscribed) => MailchimpStatus::Subscribed,
        Some(MailchimpStatusArg::Unsubscribed) => MailchimpStatus::Unsubscribed,
        Some(MailchimpStatusArg::Cleaned) => MailchimpStatus::Cleaned,
    })
}

//! HubSpot contacts exports (`--contacts-format hubspot`): the core decoder
//! (`rekindle_core::import::contacts::hubspot`) with HubSpot's English labels, read by
//! [`super::vendor_csv::VendorCsv`]. Exports in another language need their labels (core's `HubspotLabels`);
//! the CLI has no option for them yet: export in English or with internal names.

use rekindle_core::import::contacts::{HubspotLabels, Vendor};

/// The core vendor input for an English HubSpot export.
pub fn vendor() -> Vendor {
    Vendor::Hubspot(Box::new(HubspotLabels::english()))
}

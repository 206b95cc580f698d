//! Klaviyo profile exports (`--contacts-format klaviyo`): the core decoder
//! (`rekindle_core::import::contacts::klaviyo`), read by [`super::vendor_csv::VendorCsv`].

use rekindle_core::import::contacts::Vendor;

/// The core vendor input for a Klaviyo export.
pub fn vendor() -> Vendor {
    Vendor::Klaviyo
}

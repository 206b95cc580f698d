//! Shared by the ad-audience test files (tests/ad_audiences.rs, tests/segment_ad_audiences.rs), included with
//! `#[path]`: the platforms' upload headers, the hashes the files must hold, and a reader of each platform's
//! audience and removal file.
#![allow(dead_code)]

use std::path::Path;

use sha2::{Digest, Sha256};

/// Each platform's file name and header, as the plan writes them.
pub const PLATFORMS: [(&str, &str); 3] = [
    ("meta_custom_audience", "EMAIL"),
    ("google_customer_match", "Email"),
    ("linkedin_matched_audience", "email,firstname,lastname,jobtitle,employeecompany,country,googleaid"),
];

pub fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The hashes of `people`, sorted as the files are.
pub fn hashed(people: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = people.iter().map(|p| sha256(p)).collect();
    h.sort();
    h
}

/// Each platform's (audience, removal) first cells — `audiences/<prefix><platform>.csv` and `…_remove.csv` —
/// after checking both headers and that they hold hashes only.
pub fn platform_files(out: &Path, prefix: &str) -> Vec<(Vec<String>, Vec<String>)> {
    PLATFORMS
        .iter()
        .map(|(name, header)| {
            let read = |rel: String| {
                let text = std::fs::read_to_string(out.join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
                let mut lines = text.lines();
                assert_eq!(lines.next(), Some(*header), "{rel}");
                assert!(!text.contains('@'), "{rel} holds hashes only");
                lines.map(|l| l.split(',').next().unwrap_or_default().to_string()).collect::<Vec<String>>()
            };
            (read(format!("audiences/{prefix}{name}.csv")), read(format!("audiences/{prefix}{name}_remove.csv")))
        })
        .collect()
}

//! The reader of `manifest.toml`, shared by the three test binaries that check the
//! samples against it (`shared/sense/triggers/tests/fixtures.rs`,
//! `functions/event/tests/sample_events.rs`, `cli/tests/cli/event_cli.rs`), each with
//! `#[path = ".../events/manifest.rs"] mod manifest;`. It sits beside the data because
//! those crates share no test dependency, and a reader written three times drifts.

use std::collections::BTreeMap;
use std::path::Path;

/// `file -> expected` from `events/manifest.toml` in `events_dir`; panics (the test
/// stops) when it cannot be read (the including tests allow `expect`).
pub fn expected(events_dir: &Path) -> BTreeMap<String, String> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        expected: BTreeMap<String, String>,
    }
    let text =
        std::fs::read_to_string(events_dir.join("manifest.toml")).expect("events/manifest.toml");
    toml::from_str::<Manifest>(&text)
        .expect("events/manifest.toml is TOML with an [expected] table")
        .expected
}

//! Parts of a stored snapshot re-read after a sweep began reading.
//!
//! Why: the worker's whole-account read can take minutes. An event handled meanwhile
//! re-reads the part it touched and saves it into the stored snapshot; if the sweep
//! then judged and saved what *it* read earlier, it would resolve the event's finding
//! and put the stale policy back, a missed grant until the next event or night. So the
//! sweep re-reads such parts before its pass (see [`crate::sweep_account`]).

use accessdrift_primitives::Time;
use accessdrift_snapshot::{Part, Stamps};

/// When a snapshot's read began (its top-level `collectedAt`), if it says.
pub(crate) fn read_began(snapshot: &str) -> Option<String> {
    Stamps::read(snapshot)?.collected_at
}

/// Whether `stored`'s whole read began after `since`: another sweep of the account
/// (a redelivered message) read and kept it after this one began.
pub(crate) fn whole_read_after(stored: &str, since: &str) -> bool {
    let at = |t: &str| Time::parse(t).ok();
    match (read_began(stored).as_deref().and_then(at), at(since)) {
        (Some(theirs), Some(ours)) => theirs > ours,
        _ => false,
    }
}

/// The parts of `stored` stamped later than `since` (when the fresh read began), as
/// [`Stamps::parts_newer_than`] tells; nothing when either is unreadable (there is
/// nothing in an unreadable store worth keeping over a fresh read).
pub fn parts_newer_than(stored: &str, since: &str) -> Vec<Part> {
    let Ok(since) = Time::parse(since) else {
        return Vec::new();
    };
    Stamps::read(stored).map_or_else(Vec::new, |s| s.parts_newer_than(since))
}

#[cfg(test)]
mod tests {
    //! What the stamps say is tested in `accessdrift_snapshot::stamps`; here only what
    //! these wrappers add: times as text, and an unreadable store as nothing.
    use super::*;
    use serde_json::json;

    const SINCE: &str = "2026-11-24T02:00:00.000Z";

    fn doc(resource_at: &str) -> String {
        json!({
            "accountId": "111111111111", "collectedAt": "2026-11-23T02:00:00Z",
            "resources": [{"arn": "arn:aws:s3:::x", "collectedAt": resource_at}]
        })
        .to_string()
    }

    #[test]
    fn a_whole_read_kept_after_ours_began_is_newer() {
        let stored = doc("2026-11-24T01:00:00Z");
        assert!(whole_read_after(&stored, "2026-11-22T00:00:00Z"));
        assert!(!whole_read_after(&stored, SINCE));
        assert!(!whole_read_after("{}", SINCE));
        assert!(!whole_read_after(&stored, "not a time"));
    }

    #[test]
    fn an_unparsable_stamp_counts_as_newer_and_an_unreadable_store_as_nothing() {
        let parts = parts_newer_than(&doc("yesterday-ish"), SINCE);
        assert_eq!(parts, vec![Part::Resource("arn:aws:s3:::x".into())]);
        assert!(parts_newer_than(&doc("2026-11-24T01:00:00Z"), SINCE).is_empty());
        assert!(parts_newer_than("{not json", SINCE).is_empty());
        assert!(parts_newer_than("{}", SINCE).is_empty());
    }
}

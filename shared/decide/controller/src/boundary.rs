//! The Organization's boundary: which accounts the functions may read.
//!
//! What it is for: every account id the functions act on arrives from outside. An
//! event names it in a request parameter (a KMS grant on another account's key, a
//! topic or a role given as a full ARN, an `AttachPolicy` target), and a sweep
//! message names it in its body, which anyone able to send to the queue writes. An
//! account outside the Organization can create a role with the read role's name;
//! reading it would let that account supply every collected byte, and its tags would
//! pick the owners of real notices. So each account is checked with
//! [`Organization::is_member`] before anything is read from it or queued for it.
//! What it is not for: logging (the pure controller returns the refused accounts as
//! data; the handlers log them) or caching (the runtime's `Organization` answers
//! from the planner's account list).
//!
//! Key design choice: "cannot tell" is an error, never "outside" nor "inside". The
//! invocation fails and is retried; nothing is read meanwhile.

use std::collections::{BTreeMap, BTreeSet};

use accessdrift_primitives::Time;

use accessdrift_snapshot::Part;

use crate::ports::{Organization, PortError, Ports, SweepRequest};
use crate::{AccountSweep, Settings, SweepError, sweep_account};

/// Removes the accounts outside the Organization from `parts` (accounts whose parts
/// an event re-reads) and `whole` (accounts queued for a whole sweep); returns them.
pub async fn keep_members<O: Organization>(
    org: &O,
    parts: &mut BTreeMap<String, BTreeSet<Part>>,
    whole: &mut BTreeSet<String>,
) -> Result<Vec<String>, PortError> {
    let named: BTreeSet<String> = parts.keys().chain(whole.iter()).cloned().collect();
    let mut outside = Vec::new();
    for account in named {
        if !org.is_member(&account).await? {
            outside.push(account);
        }
    }
    // INVARIANT: after this, every account in `parts` and `whole` is a member; the
    // reader is only ever given these.
    for account in &outside {
        parts.remove(account);
        whole.remove(account);
    }
    Ok(outside)
}

/// What a sweep message led to.
#[derive(Debug)]
pub enum Swept {
    /// The account was swept.
    Done(Box<AccountSweep>),
    /// The message names an account outside the Organization (a forged message, or
    /// an account that left since it was queued): nothing was read.
    OutsideOrganization,
}

/// Sweeps the account of `request` if it is a member of the Organization.
pub async fn sweep_member<P: Ports>(
    request: &SweepRequest,
    ports: &P,
    settings: &Settings,
    now: Time,
) -> Result<Swept, SweepError> {
    let account = request.account.as_str();
    if !ports.org().is_member(account).await? {
        return Ok(Swept::OutsideOrganization);
    }
    let sweep = sweep_account(account, ports, settings, now).await?;
    Ok(Swept::Done(Box::new(sweep)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{MemoryOrganization, MemoryPorts, block_on};
    use crate::ports::SweepReason;

    fn at(text: &str) -> accessdrift_primitives::Time {
        accessdrift_primitives::Time::parse(text).unwrap()
    }

    const ACCOUNT: &str = include_str!("../../../../examples/credit-account.json");
    const MEMBER: &str = "111111111111";
    const OUTSIDE: &str = "999999999999";

    fn ports() -> MemoryPorts {
        let ports = MemoryPorts {
            org: MemoryOrganization {
                accounts: vec![MEMBER.into()],
                ..MemoryOrganization::default()
            },
            ..MemoryPorts::default()
        };
        ports.accounts.set(MEMBER, ACCOUNT);
        // The outside account answers too, as one that created the read role would.
        ports
            .accounts
            .set(OUTSIDE, &ACCOUNT.replace(MEMBER, OUTSIDE));
        ports
    }

    fn request(account: &str) -> SweepRequest {
        SweepRequest {
            account: account.into(),
            reason: SweepReason::Event,
            requested_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn a_forged_sweep_message_for_an_account_outside_the_organization_reads_nothing() {
        let ports = ports();
        let swept = block_on(sweep_member(
            &request(OUTSIDE),
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        assert!(matches!(swept, Swept::OutsideOrganization), "{swept:?}");
        assert!(ports.accounts.reads().is_empty(), "never read");
        assert!(ports.snapshots.get(OUTSIDE).is_none());
        assert!(ports.store.items.lock().unwrap().is_empty());
        assert!(ports.notifier.sent.lock().unwrap().is_empty());

        let member = block_on(sweep_member(
            &request(MEMBER),
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap();
        assert!(matches!(member, Swept::Done(_)), "{member:?}");
        assert_eq!(ports.accounts.reads(), [MEMBER]);
    }

    #[test]
    fn a_sweep_whose_membership_cannot_be_checked_fails_and_reads_nothing() {
        let mut ports = ports();
        ports.org.unreachable = true;
        let err = block_on(sweep_member(
            &request(MEMBER),
            &ports,
            &Settings::default(),
            at("2026-01-01T01:00:00Z"),
        ))
        .unwrap_err();
        assert!(matches!(err, SweepError::Port(_)), "{err}");
        assert!(ports.accounts.reads().is_empty());
    }

    #[test]
    fn keep_members_drops_outside_accounts_from_parts_and_sweeps() {
        let org = MemoryOrganization {
            accounts: vec![MEMBER.into()],
            ..MemoryOrganization::default()
        };
        let mut parts: BTreeMap<String, BTreeSet<Part>> = BTreeMap::new();
        parts.entry(MEMBER.into()).or_default().insert(Part::Iam);
        parts.entry(OUTSIDE.into()).or_default().insert(Part::Iam);
        let mut whole: BTreeSet<String> = ["888888888888".to_string()].into();
        let outside = block_on(keep_members(&org, &mut parts, &mut whole)).unwrap();
        assert_eq!(outside, ["888888888888", OUTSIDE]);
        assert_eq!(parts.keys().collect::<Vec<_>>(), [MEMBER]);
        assert!(whole.is_empty());
    }
}

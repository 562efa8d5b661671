//! AWS account ids.
//!
//! AWS Account Management Reference Guide, "View AWS account identifiers": an account id
//! is a 12-digit number (leading zeros are part of it, so it is text, not an integer).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Twelve ASCII digits: the only shape of an AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// An account id known to have the right shape (see [`is_account_id`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// `Some` when `text` is twelve digits; account text is hostile, so nothing is trimmed
    /// or guessed.
    pub fn parse(text: &str) -> Option<AccountId> {
        is_account_id(text).then(|| AccountId(text.to_string()))
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for AccountId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AccountId, D::Error> {
        let text = String::deserialize(d)?;
        AccountId::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not an AWS account id (12 digits)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_and_nothing_else() {
        assert!(is_account_id("000000000001"));
        for bad in [
            "",
            "11111111111",
            "1111111111111",
            "11111111111a",
            " 11111111111",
            "１１１１１１１１１１１１",
        ] {
            assert!(!is_account_id(bad), "{bad:?}");
        }
        assert_eq!(
            AccountId::parse("012345678901")
                .map(|a| a.to_string())
                .as_deref(),
            Some("012345678901")
        );
        assert!(AccountId::parse("12345").is_none());
    }

    #[test]
    fn deserializing_refuses_a_bad_id() {
        let ok: AccountId = serde_json::from_str("\"111111111111\"").unwrap();
        assert_eq!(ok.as_str(), "111111111111");
        let err = serde_json::from_str::<AccountId>("\"1111\"").unwrap_err();
        assert!(err.to_string().contains("not an AWS account id"), "{err}");
    }
}

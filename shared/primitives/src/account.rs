//! AWS account ids.
//!
//! AWS Account Management Reference Guide, "View AWS account identifiers": an account id
//! is a 12-digit number (leading zeros are part of it, so it is text, not an integer).

/// Twelve ASCII digits: the only shape of an AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
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
    }
}

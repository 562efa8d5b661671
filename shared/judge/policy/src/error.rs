//! The one error type of policy parsing.

/// Why a policy document could not be read. Messages are short, lowercase and say
/// where: the statement (1-based) and the element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON.
    #[error("policy is not valid JSON: {0}")]
    Json(String),
    /// URL-encoded text that does not decode to UTF-8.
    #[error("policy text is URL-encoded but does not decode to UTF-8")]
    Encoding,
    /// A document-level element is wrong.
    #[error("`{field}` {problem}")]
    Document {
        /// The element (`Version`, `Statement`, ...).
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// An element of one statement is wrong.
    #[error("statement {statement}: `{field}` {problem}")]
    Statement {
        /// 1-based statement index.
        statement: usize,
        /// The element (`Effect`, `Action`, `Condition`, ...).
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

//! `make demo` (placeholder until the story is written below).
fn main() {}

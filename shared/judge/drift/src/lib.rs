//! Judging, as pure logic: drift (actual effective access versus the intent read by
//! `accessdrift-desired`), severity, the findings lifecycle (what a pass changes in what
//! is stored) and the text of the notices the owning team receives.
//!
//! What it is for: deciding *what* differs and *what to say*. What it is not for:
//! storing findings, sending notices or deciding when to judge: `accessdrift-controller`
//! does that, through its ports.
//!
//! Key design choice: findings carry a stable id derived from what they are about, so
//! the same drift found on the next sweep is recognised as the same finding and never
//! notified twice.

pub mod model;

pub use model::*;
pub mod drift;
pub mod events;
pub mod lifecycle;
pub mod notice;
pub mod severity;

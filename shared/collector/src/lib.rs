//! The AWS collector (work in progress): builds the account snapshot of
//! `shared/spec/snapshot.md` from live AWS APIs.

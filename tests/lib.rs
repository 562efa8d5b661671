//! End-to-end tests of accessdrift as a whole live beside this file, one per concern
//! (the deployment template, the loop on the AWS emulator); each is a `[[test]]` of
//! this crate. Tests of one crate live next to that crate's code.

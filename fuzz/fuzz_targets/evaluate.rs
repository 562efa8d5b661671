//! Parse + evaluate never panic: arbitrary bytes go through the whole `simulate` path
//! (case parsing, policy parsing, evaluation in Strict and Discovery modes, rendering).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = accessdrift_simulate::run_batch(text, accessdrift_simulate::Options { explain: true });
    }
});

//! Fuzz target `idx`: see `checks::idx` for what it reads and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::idx(data));

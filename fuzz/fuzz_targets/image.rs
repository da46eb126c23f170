//! Fuzz target `image`: see `checks::image` for what it reads and asserts.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::image(data));

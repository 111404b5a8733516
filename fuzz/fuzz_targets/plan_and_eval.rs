#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    spelunk_fuzz::plan_and_eval(data);
});

//! The checkpoint reader: any bytes load or give an error, never a panic or an allocation of
//! a size the file merely declares.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("w2v-fuzz-ckpt-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let _ = w2v::Checkpoint::load(&path);
});

//! Finds the shared evaluation data that lives beside the project (`../shared/data`), so that
//! the tests which need it are reported as ignored, with the reason, when it is absent.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(w2v_shared_data)");
    println!("cargo::rerun-if-changed=build.rs");
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let data = Path::new(&dir).join("../shared/data");
    if data.is_dir() {
        println!("cargo::rerun-if-changed={}", data.display());
    }
    if data.join("enwiki_text8style_100M.gz").is_file() {
        println!("cargo::rustc-cfg=w2v_shared_data");
    }
}

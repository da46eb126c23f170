//! Tells the examples how optimised this build is, so that one built without
//! optimisations can say why it trains slowly (examples/common).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let level = std::env::var("OPT_LEVEL").unwrap_or_default();
    println!("cargo:rustc-env=LENET_BUILD_OPT_LEVEL={level}");
}

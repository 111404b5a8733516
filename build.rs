// The built-in content pack is embedded with include_dir; rebuild when any of it changes
// (cargo scans a directory given to rerun-if-changed for any modification).
fn main() {
    println!("cargo:rerun-if-changed=content");
    println!("cargo:rerun-if-changed=macros");
}

// Links the image with link.ld (load address 1 MiB, Multiboot header first, .bss inside the
// file, __payload after everything) and rebuilds when the script changes.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/link.ld");
    // No RELRO segment: nothing here maps pages read-only after relocation.
    println!("cargo:rustc-link-arg-bins=-znorelro");
    println!("cargo:rerun-if-changed=link.ld");
}

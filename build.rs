//! A new folder in `templates/i18n/` is a new language: the Fluent loader embeds the files it finds at
//! compile time and tracks only those, so cargo is told to rebuild when the folder itself changes.
fn main() {
    println!("cargo:rerun-if-changed=templates/i18n");
}

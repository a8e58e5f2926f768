//! Folders the crate embeds whole at compile time, so cargo is told to rebuild when they change: a new
//! folder in `templates/i18n/` is a new language (the Fluent loader tracks only the files it found), and a
//! new directory in `migrations/` is a new migration (`embed_migrations!` reads it when the crate compiles).
fn main() {
    println!("cargo:rerun-if-changed=templates/i18n");
    println!("cargo:rerun-if-changed=migrations");
}

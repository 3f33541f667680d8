//! Prints a file of the npm package made from the Rust definitions: `types` (types.d.ts) or
//! `limits` (limits.js). scripts/build.sh runs it.
fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("types") => print!("{}", oauth_token_core::package::declarations()),
        Some("limits") => print!("{}", oauth_token_core::package::limits_module()),
        _ => {
            eprintln!("usage: package-file types|limits");
            std::process::exit(2);
        }
    }
}

//! Prints a file made from the Rust definitions: `types` (the package's types.d.ts), `facts`
//! (its facts.js), or `errors` (each code with what it means and its common hint, as JSON, for
//! scripts/check-docs.mjs).
use oauth_token_core::error::Error;
use oauth_token_core::package;
use serde_json::json;

fn facts() -> String {
    let mut out = String::from("// Made by oauth-token-core's package module from the Rust definitions.\n\n");
    for (name, value, doc) in package::copy_limits() {
        out.push_str(&format!("/** {doc} */\nexport const {name} = {value};\n"));
    }
    let e = package::WASM_LOAD;
    let load = json!({ "code": e.code, "message": e.message, "hint": e.hint });
    out.push_str("\n/** The error a failed .wasm load raises: `message` with {url} and {detail} filled in. */\n");
    out.push_str(&format!("export const WASM_LOAD = {};\n", serde_json::to_string_pretty(&load).unwrap()));
    out
}

fn errors() -> String {
    let list: Vec<_> = package::common_hints()
        .into_iter()
        .map(|(code, hint)| {
            let meaning = Error::CODES.iter().find(|(c, _)| *c == code).map_or("", |(_, m)| m);
            json!({ "code": code, "meaning": meaning, "hint": hint })
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap()
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("types") => print!("{}", package::declarations()),
        Some("facts") => print!("{}", facts()),
        Some("errors") => println!("{}", errors()),
        _ => {
            eprintln!("usage: package-file types|facts|errors");
            std::process::exit(2);
        }
    }
}

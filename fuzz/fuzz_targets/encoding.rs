//! Basic and form encoding round-trip: each value form-decodes back to itself, and the Basic
//! header base64-decodes and splits at the first ':' into the form-encoded id and secret
//! (RFC 6749 §2.3.1), or into the raw pair for basicEncoding "none".
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use oauth_token_core::config::BasicEncoding;
use oauth_token_core::request::{basic_authorization, form_encode};
use oauth_token_core::secret::ClientSecret;

fn form_decode(s: &str) -> String {
    // A lone value: decode it as the value of a pair.
    let pairs: Vec<(String, String)> = form_urlencoded::parse(["x=", s].concat().as_bytes()).into_owned().collect();
    assert_eq!(pairs.len(), 1);
    pairs.into_iter().next().unwrap().1
}

// Input: the client id, a NUL, the secret (no NUL: no secret at all).
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (id, secret, has_secret) = match text.split_once('\0') {
        Some((id, secret)) => (id.to_owned(), secret.to_owned(), true),
        None => (text.into_owned(), String::new(), false),
    };
    let secret = if has_secret { Some(ClientSecret::new(secret)) } else { None };
    let expected_secret = secret.as_ref().map(ClientSecret::expose).unwrap_or_default();

    let enc = form_encode(&id);
    assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._+%".contains(&b)), "{enc}");
    assert_eq!(form_decode(&enc), id);

    let header = basic_authorization(&id, secret.as_ref(), BasicEncoding::Form);
    let b64 = header.strip_prefix("Basic ").expect("Basic scheme");
    let pair = base64::engine::general_purpose::STANDARD.decode(b64).expect("valid base64");
    let pair = String::from_utf8(pair).expect("ASCII");
    let (user, pass) = pair.split_once(':').expect("a ':'");
    assert_eq!(form_decode(user), id);
    assert_eq!(form_decode(pass), expected_secret);

    if !id.contains(':') {
        let header = basic_authorization(&id, secret.as_ref(), BasicEncoding::None);
        let pair = base64::engine::general_purpose::STANDARD
            .decode(header.strip_prefix("Basic ").unwrap())
            .unwrap();
        let mut expected = id.clone().into_bytes();
        expected.push(b':');
        expected.extend_from_slice(expected_secret.as_bytes());
        assert_eq!(pair, expected);
    }
});

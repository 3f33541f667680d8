//! PEM private keys and certificates from arbitrary text (what `privateKey`, `certificate` and a
//! service account's `private_key` accept): never panics; a key it accepts is PKCS#8 that reads
//! back as the same key; a refusal is one of the short fixed sentences.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use oauth_token_core::pem;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match pem::private_key(text) {
        Ok(key) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&key.pkcs8);
            let again = pem::private_key(&["-----BEGIN PRIVATE KEY-----\n", &b64, "\n-----END PRIVATE KEY-----\n"].concat())
                .expect("its own PKCS#8 reads back");
            assert_eq!((again.key_type, &again.pkcs8), (key.key_type, &key.pkcs8));
        }
        // A refusal is one of the module's fixed sentences (a `&'static str`): it cannot quote
        // the input, which may even be one of those sentences.
        Err(reason) => assert!(!reason.is_empty() && reason.len() < 100),
    }
    if let Err(reason) = pem::certificate(text) {
        assert!(reason.len() < 100);
    }
});

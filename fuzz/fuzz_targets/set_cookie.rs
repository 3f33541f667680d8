//! Set-Cookie checking: never panics; one warning at most per cookie, none when the policy is
//! ignored, and every warning has the contract's shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth_token_core::cookies;

// Input: the endpoint host on the first line, then one Set-Cookie value per line; a first byte
// of '!' sets ignoreCookiesPolicy.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (ignore, text) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, &*text),
    };
    let mut lines = text.split('\n');
    let host = lines.next().unwrap_or_default().to_owned();
    let set_cookies: Vec<String> = lines.map(str::to_owned).collect();
    let warnings = cookies::check(&set_cookies, &host, ignore);
    if ignore {
        assert!(warnings.is_empty());
    }
    assert!(warnings.len() <= set_cookies.len());
    for w in &warnings {
        assert!(w.starts_with("Cookie rejected: Illegal 'domain' attribute \""), "{w}");
        assert!(w.ends_with('"'));
    }
    let host = host.to_ascii_lowercase();
    assert!(cookies::domain_matches(&host, &host));
    for c in &set_cookies {
        if let Some(d) = cookies::domain_attribute(c) {
            assert!(!d.is_empty());
            // A cookie whose Domain is the host itself never warns.
            let own = cookies::check(&[c.clone()], &d, false);
            assert!(own.is_empty(), "{own:?}");
        }
    }
});

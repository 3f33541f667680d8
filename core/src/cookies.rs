//! The "ignore cookies policy" setting: Set-Cookie headers whose Domain attribute does not
//! domain-match the token endpoint's host are rejected with a warning (RFC 6265 §5.3 step 6).
//! The token is returned anyway.
//!
//! Browsers hide `Set-Cookie` from scripts (fetch's forbidden response header), so this check
//! runs where the host exposes `Headers.getSetCookie()`: Node.js, Deno, Bun, Workers.

#[allow(unused_imports)]
use crate::prelude::*;

/// The warnings for a response's Set-Cookie values (none when the policy is ignored).
pub fn check(set_cookies: &[String], host: &str, ignore_policy: bool) -> Vec<String> {
    if ignore_policy || set_cookies.is_empty() {
        return Vec::new();
    }
    let host = host.to_ascii_lowercase();
    set_cookies
        .iter()
        .filter_map(|c| domain_attribute(c))
        .filter(|d| !domain_matches(&host, d))
        .map(|d| {
            crate::concat(&[
                "Cookie rejected: Illegal 'domain' attribute \"",
                &crate::text::clean(&d),
                "\". Domain of origin: \"",
                &host,
                "\"",
            ])
        })
        .collect()
}

/// RFC 6265 §5.2.3: the last Domain attribute's value, leading dot removed, lower-cased; an
/// empty value is ignored. None when the cookie has no (non-empty) Domain attribute.
pub fn domain_attribute(set_cookie: &str) -> Option<String> {
    let mut domain = None;
    // §5.2: attributes follow the first ';'; the whitespace trimmed is ASCII (WSP).
    for attr in set_cookie.split(';').skip(1) {
        let (name, value) = attr.split_once('=').unwrap_or((attr, ""));
        if name.trim_ascii().eq_ignore_ascii_case("domain") {
            let v = value.trim_ascii();
            let v = v.strip_prefix('.').unwrap_or(v);
            if !v.is_empty() {
                domain = Some(v.to_ascii_lowercase());
            }
        }
    }
    domain
}

/// RFC 6265 §5.1.3 domain-match (both already lower-case).
pub fn domain_matches(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
        && !is_ip_address(host)
}

fn is_ip_address(host: &str) -> bool {
    host.starts_with('[') || (!host.is_empty() && host.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warn(cookies: &[&str], host: &str) -> Vec<String> {
        let v: Vec<String> = cookies.iter().map(|c| (*c).to_owned()).collect();
        check(&v, host, false)
    }

    #[test]
    fn foreign_domain_warns_with_the_contract_text() {
        assert_eq!(
            warn(&["sid=1; Domain=evil.example; Path=/"], "127.0.0.1"),
            vec![r#"Cookie rejected: Illegal 'domain' attribute "evil.example". Domain of origin: "127.0.0.1""#]
        );
    }

    #[test]
    fn matching_domains_pass() {
        assert!(warn(&["a=1; Domain=example.com"], "auth.example.com").is_empty());
        assert!(warn(&["a=1; Domain=.Example.COM"], "auth.example.com").is_empty());
        assert!(warn(&["a=1; domain=auth.example.com; Secure"], "Auth.Example.com").is_empty());
        assert!(warn(&["a=1; Path=/", "b=2", "c=3; Domain="], "auth.example.com").is_empty());
    }

    #[test]
    fn suffix_without_dot_or_on_ip_does_not_match() {
        assert_eq!(warn(&["a=1; Domain=ample.com"], "example.com").len(), 1);
        assert_eq!(warn(&["a=1; Domain=0.0.1"], "127.0.0.1").len(), 1);
        assert_eq!(warn(&["a=1; Domain=sub.example.com"], "example.com").len(), 1);
        assert!(warn(&["a=1; Domain=127.0.0.1"], "127.0.0.1").is_empty());
    }

    #[test]
    fn last_domain_attribute_wins_and_ignore_policy_silences() {
        assert!(warn(&["a=1; Domain=evil.example; Domain=example.com"], "example.com").is_empty());
        let c = vec!["a=1; Domain=evil.example".to_owned()];
        assert!(check(&c, "example.com", true).is_empty());
        // A value containing "domain=" is not an attribute.
        assert!(warn(&["a=domain=evil.example"], "example.com").is_empty());
    }
}

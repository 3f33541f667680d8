//! oauth-token-connection: an OAuth 2.0 token client for browsers, Node.js and Cloudflare Workers.
//!
//! The crate is split in two, as quinn-proto and rustls do:
//! - a pure core ([`config`], [`connection`], [`cache`], [`request`], [`response`], [`cookies`], [`error`], [`secret`],
//!   [`value`]) that performs no I/O and never reads the clock: it validates a configuration,
//!   describes the HTTP request to send and interprets the HTTP response it is handed;
//! - a thin wasm adapter (`wasm`, compiled for wasm32 only) that converts JavaScript values,
//!   calls the host's global `fetch` and turns core errors into JavaScript errors.
//!
//! The core never formats with `format!`/`Debug` on the paths the adapter uses: that keeps the
//! float and Debug formatting machinery out of the shipped `.wasm`.

pub mod cache;
pub mod config;
pub mod connection;
pub mod cookies;
pub mod error;
pub mod preview;
pub mod request;
pub mod response;
pub mod secret;
pub mod value;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests;

pub use error::Error;

/// Concatenates string pieces without `format!` (keeps core::fmt off the wasm path).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Decimal digits of an unsigned integer, without `format!`.
pub(crate) fn decimal(mut n: u64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    buf[i..].iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_digits() {
        assert_eq!(super::decimal(0), "0");
        assert_eq!(super::decimal(401), "401");
        assert_eq!(super::decimal(u64::MAX), u64::MAX.to_string());
    }
}

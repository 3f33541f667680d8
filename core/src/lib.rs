//! oauth-token-core: every decision of oauth-token-connection's OAuth 2.0 token exchange, with no
//! I/O, no clock and no JavaScript.
//!
//! - [`config`] validates the settings (plain data the host copied) into a [`config::Config`];
//! - [`exchange::Exchange`] is the exchange as a sans-IO state machine: the host feeds it
//!   [`exchange::Event`]s (a response, a failed fetch, a cache answer, a digest) with the time,
//!   and it answers the next [`exchange::Step`] (fetch this request, read or write the cache,
//!   done with a token, failed with an error);
//! - [`request`], [`response`], [`cookies`], [`cache`], [`coordinator`] and [`connection`] hold
//!   the rules the machine applies; [`error`] the one error type with stable codes and hints.
//!
//! Nothing here formats with `format!` or `Debug` on the paths the wasm module uses: that keeps
//! float and Debug formatting out of the shipped `.wasm`.
#![cfg_attr(not(any(test, feature = "testing")), no_std)]

extern crate alloc;

/// What std's prelude gives, for the no_std build (each module imports it).
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

pub mod assertion;
pub mod cache;
pub mod config;
pub mod connection;
pub mod cookies;
pub mod coordinator;
pub mod discovery;
pub mod error;
pub mod exchange;
pub mod json;
#[cfg(feature = "jwt")]
pub mod jws;
pub mod package;
#[cfg(feature = "jwt")]
pub mod pem;
pub mod preview;
pub mod request;
pub mod response;
pub mod retry;
pub mod secret;
pub mod text;
pub mod value;

#[cfg(test)]
mod proptests;

pub use error::Error;
#[allow(unused_imports)]
use prelude::*;

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

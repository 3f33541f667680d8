// The shipped .wasm is no_std: std's panic and formatting machinery stays out of it (a panic
// traps; nothing here panics by design). Native builds and all tests keep std.
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]
//! oauth-token-connection: an OAuth 2.0 token client for browsers, Node.js and Cloudflare Workers.
//!
//! The crate is split in two, as quinn-proto and rustls do:
//! - a pure core ([`config`], [`connection`], [`cache`], [`request`], [`response`], [`cookies`], [`error`], [`secret`],
//!   [`value`]) that performs no I/O and never reads the clock: it validates a configuration,
//!   describes the HTTP request to send and interprets the HTTP response it is handed;
//! - a synchronous wasm adapter (`wasm`, compiled for wasm32 only) that converts JavaScript
//!   values and drives the core as a step machine (`RawConnection`): it says what to fetch or
//!   read from the cache and interprets what the host hands back. The package's `api.js` does the
//!   I/O (fetch, the bounded body read, timeout and abort, the cache, SHA-256), the single-flight
//!   promise, and builds the `OAuthTokenError` from the fields the core gives.
//!
//! The core never formats with `format!`/`Debug` on the paths the adapter uses: that keeps the
//! float and Debug formatting machinery out of the shipped `.wasm`.

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

/// Talc instead of std's dlmalloc in the .wasm: 2.5 KB smaller gzipped (bench/SIZE.md).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// In the no_std .wasm a panic traps (`unreachable`), as `panic = "abort"` did under std.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

//! The WebAssembly module of oauth-token-connection: it converts, and decides nothing. A
//! [`Exchange`] wraps the core's state machine (`oauth_token_core::exchange`); each core `Step`
//! leaves as a plain JavaScript object with named fields (`{ kind: 'fetch', url, init, timeoutMs,
//! maxBytes }`), and each event comes back as one (`{ kind: 'response', status, body, ... }`).
//! The package's api.js drives it with one `switch (step.kind)` loop and does the I/O.
//!
//! Only plain data crosses: api.js copies the caller's config once, in JavaScript, and every
//! event is an object api.js made, so no caller code (a getter, a Proxy trap, a `toString`) runs
//! inside a wasm frame. Nothing here may panic (a panic traps and kills the instance).
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

extern crate alloc;

#[cfg(any(target_arch = "wasm32", test))]
mod zeroing;

#[cfg(target_arch = "wasm32")]
mod adapter;

/// Every block of wasm memory is zeroed before it is freed (see [`zeroing`]); talc underneath is
/// smaller than std's dlmalloc, and its grow-and-claim source (a new heap per `memory.grow`
/// rather than extending the last) smaller than its default one.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: zeroing::ZeroOnFree<talc::cell::TalcSyncCell<talc::wasm::WasmGrowAndClaim, talc::wasm::WasmBinning>> =
    zeroing::ZeroOnFree(talc::cell::TalcSyncCell::new_wasm(talc::wasm::WasmGrowAndClaim));

/// In the no_std .wasm a panic traps (`unreachable`), as `panic = "abort"` would under std.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

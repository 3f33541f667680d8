//! A global allocator wrapper that zeroes every block before it is freed or moved: whatever held
//! a secret in wasm memory (a client secret, a password, a form body, a Basic header, a token, a
//! response body, a string wasm-bindgen's glue copied in) is gone once it is dropped. Wasm memory
//! is never returned to the host, so without this a freed secret stays readable until reused.

use core::alloc::{GlobalAlloc, Layout};
use zeroize::Zeroize;

pub struct ZeroOnFree<A>(pub A);

// SAFETY: every call is forwarded to the inner allocator with the layout it was given; the
// wrapper only writes zeros into a block the caller owns before handing it back.
unsafe impl<A: GlobalAlloc> GlobalAlloc for ZeroOnFree<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.0.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        core::slice::from_raw_parts_mut(ptr, layout.size()).zeroize();
        self.0.dealloc(ptr, layout)
    }

    /// A move leaves no copy behind: allocate, copy, then zero and free the old block.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let new = self.0.alloc(new_layout);
        if !new.is_null() {
            core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::alloc::System;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The system allocator, checking that every block it gets back is all zeros.
    struct Checking {
        freed: AtomicUsize,
        dirty: AtomicUsize,
    }

    unsafe impl GlobalAlloc for Checking {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            self.freed.fetch_add(1, Ordering::Relaxed);
            if std::slice::from_raw_parts(ptr, layout.size()).iter().any(|&b| b != 0) {
                self.dirty.fetch_add(1, Ordering::Relaxed);
            }
            System.dealloc(ptr, layout)
        }
    }

    #[test]
    fn blocks_are_zero_when_freed_and_when_moved() {
        let a = ZeroOnFree(Checking { freed: AtomicUsize::new(0), dirty: AtomicUsize::new(0) });
        unsafe {
            let layout = Layout::from_size_align(16, 1).unwrap();
            let p = a.alloc(layout);
            p.copy_from(b"client-secret-xx".as_ptr(), 16);
            let q = a.realloc(p, layout, 64);
            assert_eq!(std::slice::from_raw_parts(q, 16), b"client-secret-xx", "the contents moved");
            a.dealloc(q, Layout::from_size_align(64, 1).unwrap());
        }
        assert_eq!(a.0.freed.load(Ordering::Relaxed), 2);
        assert_eq!(a.0.dirty.load(Ordering::Relaxed), 0);
    }
}

//! The connection's adapter: keeps a core [`Session`], the last result and the one in-flight
//! renewal, reads the clock and calls fetch. The decisions are the session's. The public
//! `Connection` (token(), fetch(), invalidate(), lastResult) is the JS wrapper in api.js.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{date_now, entries, exchange, get, parse_url, to_js_error};
use crate::config::{self, Config, ConnectionOptions};
use crate::connection::{authorization_value, Plan, Session};

struct Inner {
    config: Config,
    options: ConnectionOptions,
    error_class: Function,
    state: RefCell<State>,
}

struct State {
    session: Session,
    /// The last `TokenResult`, or `undefined`.
    last: JsValue,
    /// The renewal every caller waits on (single-flight), while one runs.
    pending: Option<Promise>,
}

/// Used by api.js only.
#[wasm_bindgen(js_name = RawConnection, skip_typescript)]
pub struct RawConnection {
    inner: Rc<Inner>,
}

#[wasm_bindgen(js_class = RawConnection)]
impl RawConnection {
    /// Validates the configuration; throws an `error_class` error with ERR_INVALID_CONFIG.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, error_class: Function) -> Result<RawConnection, JsValue> {
        let parsed = entries(&config)
            .and_then(|e| config::parse_connection(&e, &parse_url).map_err(|e| (e, None)));
        let (config, options) = parsed.map_err(|(e, cause)| to_js_error(&error_class, &e, cause.as_ref()))?;
        let session = Session::new(&options);
        let state = RefCell::new(State { session, last: JsValue::UNDEFINED, pending: None });
        Ok(RawConnection { inner: Rc::new(Inner { config, options, error_class, state }) })
    }

    /// The held token while valid, else the one renewal in flight, else a new renewal.
    pub fn token(&self) -> Promise {
        let mut state = self.inner.state.borrow_mut();
        if state.session.plan(date_now()) == Plan::Reuse {
            return Promise::resolve(&state.last);
        }
        if let Some(p) = &state.pending {
            return p.clone();
        }
        // The future runs from the microtask queue, after `pending` is set below.
        let p = future_to_promise(renew(self.inner.clone()));
        state.pending = Some(p.clone());
        p
    }

    /// Drops the held token; with a token, only if it is still the held one.
    pub fn invalidate(&self, only: Option<String>) {
        self.inner.state.borrow_mut().session.invalidate(only.as_deref());
    }

    #[wasm_bindgen(getter, js_name = lastResult)]
    pub fn last_result(&self) -> JsValue {
        self.inner.state.borrow().last.clone()
    }

    #[wasm_bindgen(getter, js_name = headerName)]
    pub fn header_name(&self) -> String {
        self.inner.options.header_name.clone()
    }

    /// The header value for a token result (RFC 6750 §2.1).
    pub fn header(&self, result: &JsValue) -> String {
        let token_type = get(result, "tokenType").as_string().unwrap_or_default();
        let access_token = get(result, "accessToken").as_string().unwrap_or_default();
        authorization_value(&token_type, &access_token, self.inner.options.header_prefix.as_deref())
    }
}

/// One renewal: the session's choice first (a held refresh token, §6), then what it says to try
/// after a failure. Every waiter gets this promise's outcome, the same error object included.
async fn renew(inner: Rc<Inner>) -> Result<JsValue, JsValue> {
    let mut renewal = inner.state.borrow().session.renewal();
    loop {
        let req = inner.state.borrow().session.request(&inner.config, &renewal);
        let outcome = exchange(&inner.config, &req).await;
        let mut state = inner.state.borrow_mut();
        match outcome {
            Ok(x) => {
                let result = x.result_object();
                state.session.accept(&x.token, &renewal);
                state.last = result.clone();
                state.pending = None;
                return Ok(result);
            }
            Err((e, cause)) => match state.session.after_failure(&inner.config, &renewal, &e) {
                Some(next) => renewal = next,
                None => {
                    state.pending = None;
                    return Err(to_js_error(&inner.error_class, &e, cause.as_ref()));
                }
            },
        }
    }
}

//! The connection's adapter: keeps a core [`Session`], the last result and the one in-flight
//! renewal, reads the clock and calls fetch. The decisions are the session's. The public
//! `Connection` (token(), fetch(), invalidate(), lastResult) is the JS wrapper in api.js.

#[allow(unused_imports)]
use crate::prelude::*;

use core::cell::RefCell;
use alloc::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::{date_now, entries, exchange, get, parse_url, spawn, to_js_error};
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
        let p = spawn(Box::pin(renew(self.inner.clone())));
        state.pending = Some(p.clone());
        p
    }

    /// Drops the held token.
    pub fn invalidate(&self) {
        self.inner.state.borrow_mut().session.invalidate(None);
    }

    /// After a REST call's first attempt: drops the token on a 401 and says whether to retry.
    #[wasm_bindgen(js_name = retryAfter)]
    pub fn retry_after(&self, status: u16, replayable: bool, access_token: &str) -> bool {
        self.inner.state.borrow_mut().session.retry_after(status, replayable, access_token)
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

/// Adapter tests under Node.js with an in-process stub fetch: single-flight, one error object
/// for every waiter, recovery, refresh first. Real servers are in tests/node/connection.test.mjs.
#[cfg(test)]
mod tests {
    use super::*;
    use js_sys::Array;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen(inline_js = r#"
        export class ConnError extends Error {}
        export function connErrorClass() { return ConnError; }
        export function stubTokenEndpoint(mode) {
          const state = globalThis.__tokenEndpoint = { mode, bodies: [], n: 0 };
          globalThis.fetch = async (url, init) => {
            state.bodies.push(init.body);
            await new Promise((r) => setTimeout(r, 5));
            if (state.mode === 'down') throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
            const params = new URLSearchParams(init.body);
            if (state.mode === 'refresh-refused' && params.get('grant_type') === 'refresh_token') {
              return new Response('{"error":"invalid_grant"}', { status: 400, headers: { 'content-type': 'application/json' } });
            }
            state.n += 1;
            const body = { access_token: 'tok-' + state.n, token_type: 'bearer', expires_in: 3600, refresh_token: 'rt-' + state.n };
            return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
          };
        }
        export function setMode(mode) { globalThis.__tokenEndpoint.mode = mode; }
        export function bodies() { return globalThis.__tokenEndpoint.bodies.slice(); }
        export function connConfig() {
          return { tokenEndpoint: 'https://auth.example.com/token', clientId: 'c', clientSecret: 's' };
        }
    "#)]
    extern "C" {
        #[wasm_bindgen(js_name = connErrorClass)]
        fn conn_error_class() -> Function;
        #[wasm_bindgen(js_name = stubTokenEndpoint)]
        fn stub_token_endpoint(mode: &str);
        #[wasm_bindgen(js_name = setMode)]
        fn set_mode(mode: &str);
        fn bodies() -> Array;
        #[wasm_bindgen(js_name = connConfig)]
        fn conn_config() -> JsValue;
    }

    fn connection() -> RawConnection {
        RawConnection::new(conn_config(), conn_error_class()).unwrap()
    }

    async fn settle(promises: &[Promise]) -> Vec<Result<JsValue, JsValue>> {
        let mut out = Vec::new();
        for p in promises {
            out.push(JsFuture::from(p.clone()).await);
        }
        out
    }

    fn access_token(result: &JsValue) -> String {
        get(result, "accessToken").as_string().unwrap_or_default()
    }

    #[wasm_bindgen_test]
    async fn concurrent_callers_share_one_request_and_then_the_cache() {
        stub_token_endpoint("ok");
        let conn = connection();
        assert!(conn.last_result().is_undefined());
        let calls: Vec<Promise> = (0..25).map(|_| conn.token()).collect();
        let results = settle(&calls).await;
        assert_eq!(bodies().length(), 1);
        let first = results[0].as_ref().unwrap();
        assert!(results.iter().all(|r| r.as_ref().unwrap() == first), "one result object for all");
        assert_eq!(access_token(first), "tok-1");
        assert_eq!(conn.header(first), "Bearer tok-1");
        // Cached: no request.
        let again = JsFuture::from(conn.token()).await.unwrap();
        assert_eq!(&again, first);
        assert_eq!(bodies().length(), 1);
        assert_eq!(&conn.last_result(), first);
        // A late 401 for an older token keeps the held one; a 401 for it renews with the
        // refresh token (§6).
        assert!(conn.retry_after(401, true, "tok-0"));
        assert_eq!(access_token(&JsFuture::from(conn.token()).await.unwrap()), "tok-1");
        assert!(!conn.retry_after(401, false, "tok-1"));
        assert_eq!(access_token(&JsFuture::from(conn.token()).await.unwrap()), "tok-2");
        assert_eq!(bodies().get(1).as_string().unwrap(), "grant_type=refresh_token&refresh_token=rt-1");
    }

    #[wasm_bindgen_test]
    async fn a_failed_renewal_rejects_every_waiter_with_one_error_and_the_next_call_retries() {
        stub_token_endpoint("down");
        let conn = connection();
        let calls: Vec<Promise> = (0..10).map(|_| conn.token()).collect();
        let results = settle(&calls).await;
        let first = results[0].as_ref().unwrap_err();
        assert!(first.is_instance_of::<js_sys::Error>());
        assert_eq!(get(first, "code").as_string().unwrap(), "ERR_NETWORK");
        assert!(results.iter().all(|r| r.as_ref().unwrap_err() == first), "the same error object");
        assert_eq!(bodies().length(), 1);
        set_mode("ok");
        assert_eq!(access_token(&JsFuture::from(conn.token()).await.unwrap()), "tok-1");
    }

    #[wasm_bindgen_test]
    async fn a_refused_refresh_token_falls_back_within_one_renewal() {
        stub_token_endpoint("ok");
        let conn = connection();
        JsFuture::from(conn.token()).await.unwrap();
        set_mode("refresh-refused");
        conn.invalidate();
        let r = JsFuture::from(conn.token()).await.unwrap();
        assert_eq!(access_token(&r), "tok-2");
        let sent: Vec<String> = bodies().iter().filter_map(|b| b.as_string()).collect();
        assert_eq!(
            sent,
            [
                "grant_type=client_credentials",
                "grant_type=refresh_token&refresh_token=rt-1",
                "grant_type=client_credentials"
            ]
        );
    }

    #[wasm_bindgen_test]
    fn invalid_config_throws_the_given_class() {
        let mut bad = conn_config();
        js_sys::Reflect::set(&bad, &"headerName".into(), &"Bad Name".into()).unwrap();
        let e = RawConnection::new(bad.clone(), conn_error_class()).err().unwrap();
        assert_eq!(get(&e, "code").as_string().unwrap(), "ERR_INVALID_CONFIG");
        bad = JsValue::NULL;
        assert!(RawConnection::new(bad, conn_error_class()).is_err());
    }
}

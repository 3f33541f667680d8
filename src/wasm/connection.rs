//! The connection's adapter: keeps a core [`Session`], the last result and the one in-flight
//! renewal, reads the clock, calls fetch and the shared cache. The decisions are the session's
//! and src/cache.rs's. The public `Connection` (token(), fetch(), invalidate(), lastResult) is
//! the JS wrapper in api.js, which also supplies the cache's I/O (digest, bounded get and put).

#[allow(unused_imports)]
use crate::prelude::*;

use core::cell::RefCell;
use alloc::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{date_now, entries, exchange, get, members, parse_url, result_object, set, spawn, to_js_error, value};
use crate::cache;
use crate::config::{self, Config, ConnectionOptions};
use crate::connection::{authorization_value, Plan, Session};
use crate::error::Error;

#[wasm_bindgen]
extern "C" {
    /// api.js's cache I/O. Each call settles within its bound and never rejects: `digest`
    /// resolves a SHA-256 `ArrayBuffer` or `undefined`; `get` and `put` resolve `{ value }` or
    /// `{ failed: reason }`, the reason being the host's error name or the timeout.
    type CacheIo;
    #[wasm_bindgen(method, catch)]
    fn digest(this: &CacheIo, input: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = get)]
    fn get_entry(this: &CacheIo, store: &JsValue, key: &str, timeout_ms: u32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_name = put)]
    fn put_entry(
        this: &CacheIo,
        store: &JsValue,
        key: &str,
        value: &str,
        ttl_seconds: f64,
        timeout_ms: u32,
    ) -> Result<Promise, JsValue>;
}

/// The configured `cache` (e.g. a Workers KV namespace) and how to reach it.
struct Cache {
    store: JsValue,
    io: CacheIo,
    key_input: String,
}

struct Inner {
    config: Config,
    options: ConnectionOptions,
    error_class: Function,
    cache: Option<Cache>,
    state: RefCell<State>,
}

struct State {
    session: Session,
    /// The last `TokenResult`, or `undefined`.
    last: JsValue,
    /// The renewal every caller waits on (single-flight), while one runs.
    pending: Option<Promise>,
    /// The cache key once derived; `Some(None)`: the host has no digest.
    key: Option<Option<String>>,
}

/// Used by api.js only.
#[wasm_bindgen(js_name = RawConnection, skip_typescript)]
pub struct RawConnection {
    inner: Rc<Inner>,
}

#[wasm_bindgen(js_class = RawConnection)]
impl RawConnection {
    /// Validates the configuration; throws an `error_class` error with ERR_INVALID_CONFIG.
    /// `cache_io` is api.js's cache I/O, used when the config has a `cache`.
    #[wasm_bindgen(constructor)]
    pub fn new(raw: JsValue, error_class: Function, cache_io: JsValue) -> Result<RawConnection, JsValue> {
        let parsed = entries(&raw).and_then(|e| {
            let (config, options) = config::parse_connection(&e, &parse_url).map_err(|e| (e, None))?;
            let cache = cache_binding(&raw, &config, cache_io).map_err(|e| (e, None))?;
            Ok((config, options, cache))
        });
        let (config, options, cache) =
            parsed.map_err(|(e, cause)| to_js_error(&error_class, &e, cause.as_ref()))?;
        let session = Session::new(&options);
        let state = RefCell::new(State { session, last: JsValue::UNDEFINED, pending: None, key: None });
        Ok(RawConnection { inner: Rc::new(Inner { config, options, error_class, cache, state }) })
    }

    /// The renewal in flight (it may be storing its token in the cache), else the held token
    /// while valid, else a new renewal.
    pub fn token(&self) -> Promise {
        let mut state = self.inner.state.borrow_mut();
        if let Some(p) = &state.pending {
            return p.clone();
        }
        if state.session.plan(date_now()) == Plan::Reuse {
            return Promise::resolve(&state.last);
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

    /// The cache key (`otc:v1:<hex SHA-256>`), or `undefined` without a cache or a digest.
    #[wasm_bindgen(js_name = cacheKey)]
    pub fn cache_key(&self) -> Promise {
        let inner = self.inner.clone();
        spawn(Box::pin(async move {
            Ok(cache_key(&inner).await.map(JsValue::from).unwrap_or(JsValue::UNDEFINED))
        }))
    }

    #[wasm_bindgen(getter, js_name = lastResult)]
    pub fn last_result(&self) -> JsValue {
        self.inner.state.borrow().last.clone()
    }

    /// Epoch ms until which `token()` reuses `lastResult` (the session's `reuse_until`): api.js
    /// answers the cached path from it without a call into the .wasm.
    #[wasm_bindgen(getter, js_name = reuseUntil)]
    pub fn reuse_until(&self) -> f64 {
        self.inner.state.borrow().session.reuse_until()
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

/// One renewal: a valid entry of the shared cache first, then the session's choice (a held
/// refresh token, §6), then what it says to try after a failure; a new token is stored in the
/// cache. Every waiter gets this promise's outcome, the same error object included. A cache
/// failure never fails it: it becomes a warning of the result.
async fn renew(inner: Rc<Inner>) -> Result<JsValue, JsValue> {
    let mut notes: Vec<String> = Vec::new();
    let mut cached = None;
    if let Some(cache) = &inner.cache {
        match cache_key(&inner).await {
            Some(key) => cached = Some((cache, key)),
            None => notes.push(cache::NO_DIGEST.into()),
        }
    }
    if let Some((cache, key)) = &cached {
        match read(cache, key).await {
            Read::Miss => {}
            Read::Failed(reason) => notes.push(cache::read_failed(&reason)),
            Read::Value(v) => {
                if let Some(result) = adopt(&inner, &v, &mut notes) {
                    let mut state = inner.state.borrow_mut();
                    state.last = result.clone();
                    state.pending = None;
                    return Ok(result);
                }
            }
        }
    }

    let mut renewal = inner.state.borrow().session.renewal();
    loop {
        let req = inner.state.borrow().session.request(&inner.config, &renewal);
        let outcome = exchange(&inner.config, &req).await;
        match outcome {
            Ok(x) => {
                let result = x.result_object();
                let ttl = {
                    let mut state = inner.state.borrow_mut();
                    state.session.accept(&x.token, &renewal);
                    state.last = result.clone();
                    state.session.cache_ttl(&x.token, date_now())
                };
                if let (Some((cache, key)), Some(ttl)) = (&cached, ttl) {
                    if let Some(reason) = write(cache, key, &entry_text(&result), ttl).await {
                        notes.push(cache::write_failed(&reason));
                    }
                }
                let warnings: Array = get(&result, "warnings").unchecked_into();
                for n in &notes {
                    warnings.push(&JsValue::from_str(n));
                }
                inner.state.borrow_mut().pending = None;
                return Ok(result);
            }
            Err((e, cause)) => {
                let mut state = inner.state.borrow_mut();
                match state.session.after_failure(&inner.config, &renewal, &e) {
                    Some(next) => renewal = next,
                    None => {
                        state.pending = None;
                        return Err(to_js_error(&inner.error_class, &e, cause.as_ref()));
                    }
                }
            }
        }
    }
}

/// The configured `cache`, checked: an object with `get` and `put` functions (methods of a
/// Workers KV binding live on its prototype, which is why this is checked here and not in
/// config.rs), and a grant it can serve.
fn cache_binding(raw: &JsValue, config: &Config, io: JsValue) -> Result<Option<Cache>, Error> {
    let store = get(raw, "cache");
    if store.is_undefined() || store.is_null() {
        return Ok(None);
    }
    let has_methods = store.is_object() && get(&store, "get").is_function() && get(&store, "put").is_function();
    let kind = if store.is_object() { "an object without get and put methods" } else { value(&store, 0).kind() };
    cache::check(config, has_methods, kind)?;
    Ok(Some(Cache { store, io: io.unchecked_into(), key_input: cache::key_input(config) }))
}

/// The cache key, derived once by the host's SHA-256; `None` without a cache or a digest.
async fn cache_key(inner: &Inner) -> Option<String> {
    let cache = inner.cache.as_ref()?;
    if let Some(known) = &inner.state.borrow().key {
        return known.clone();
    }
    let digest = match cache.io.digest(&cache.key_input) {
        Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    };
    let bytes = if digest.is_object() { Uint8Array::new(&digest).to_vec() } else { Vec::new() };
    let key = (bytes.len() == 32).then(|| cache::key(&bytes));
    inner.state.borrow_mut().key = Some(key.clone());
    key
}

enum Read {
    Miss,
    Value(JsValue),
    Failed(String),
}

/// Settles `{ value }` / `{ failed }` from api.js's bounded I/O; anything else is a failure.
async fn io_outcome(call: Result<Promise, JsValue>) -> Result<JsValue, String> {
    let settled = match call {
        Ok(p) => JsFuture::from(p).await,
        Err(e) => Err(e),
    };
    let o = settled.map_err(|_| String::from("an exception"))?;
    match get(&o, "failed").as_string() {
        Some(reason) => Err(reason),
        None => Ok(get(&o, "value")),
    }
}

async fn read(cache: &Cache, key: &str) -> Read {
    match io_outcome(cache.io.get_entry(&cache.store, key, cache::TIMEOUT_MS)).await {
        Err(reason) => Read::Failed(reason),
        Ok(v) if v.is_undefined() || v.is_null() => Read::Miss,
        Ok(v) => Read::Value(v),
    }
}

/// Stores an entry; the failure's reason, if it failed.
async fn write(cache: &Cache, key: &str, text: &str, ttl_seconds: u64) -> Option<String> {
    io_outcome(cache.io.put_entry(&cache.store, key, text, ttl_seconds as f64, cache::TIMEOUT_MS)).await.err()
}

/// A cached value, as the result object, if the session takes it (still valid with its skew,
/// not a token it dropped). An unreadable value adds a note.
fn adopt(inner: &Inner, stored: &JsValue, notes: &mut Vec<String>) -> Option<JsValue> {
    let parsed = stored
        .as_string()
        .and_then(|t| js_sys::JSON::parse(&t).ok())
        .filter(|v| v.is_object() && !Array::is_array(v));
    let entry = parsed.as_ref().and_then(|v| cache::read_entry(&members(v, 1)));
    let (Some(parsed), Some(entry)) = (parsed, entry) else {
        notes.push(cache::UNREADABLE.into());
        return None;
    };
    if !inner.state.borrow_mut().session.adopt(&entry.token, date_now()) {
        return None;
    }
    Some(result_object(&entry.token, &get(&parsed, "json"), &entry.warnings))
}

/// The entry stored for a result: its JSON without `refreshToken` and without the members of
/// `json` that are not stored (`refresh_token`). Copied with `Object.fromEntries`, which keeps
/// every own member as it is (a `__proto__` member included).
fn entry_text(result: &JsValue) -> String {
    let entry = without(result, &["refreshToken"]);
    set(&entry, "json", &without(&get(result, "json"), cache::NOT_STORED));
    js_sys::JSON::stringify(&entry).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

fn without(object: &JsValue, omit: &[&str]) -> JsValue {
    if !object.is_object() {
        return object.clone();
    }
    let kept: Array = Object::entries(object.unchecked_ref())
        .iter()
        .filter(|pair| {
            let name = Array::from(pair).get(0).as_string().unwrap_or_default();
            !omit.contains(&name.as_str())
        })
        .collect();
    Object::from_entries(&kept).map(JsValue::from).unwrap_or_else(|_| Object::new().into())
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
        // A KV-shaped store and an I/O like api.js's (without its timer).
        export function memoryCache() {
          const store = { map: new Map(), gets: 0, puts: [] };
          store.get = async (key) => { store.gets += 1; return store.map.get(key) ?? null; };
          store.put = async (key, value, options) => { store.puts.push({ key, value, options }); store.map.set(key, value); };
          return store;
        }
        export function cacheIo(withDigest) {
          const settle = (op) => Promise.resolve().then(op).then((value) => ({ value }), (e) => ({ failed: e.name }));
          return {
            digest: async (input) => withDigest ? crypto.subtle.digest('SHA-256', new TextEncoder().encode(input)) : undefined,
            get: (cache, key) => settle(() => cache.get(key)),
            put: (cache, key, value, expirationTtl) => settle(() => cache.put(key, value, { expirationTtl })),
          };
        }
        export function cachedConfig(cache) { return Object.assign(connConfig(), { cache }); }
        export function storeStats(store) { return [store.gets, store.puts.length]; }
        export function lastPut(store) { return store.puts.at(-1); }
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
        #[wasm_bindgen(js_name = memoryCache)]
        fn memory_cache() -> JsValue;
        #[wasm_bindgen(js_name = cacheIo)]
        fn cache_io(with_digest: bool) -> JsValue;
        #[wasm_bindgen(js_name = cachedConfig)]
        fn cached_config(cache: &JsValue) -> JsValue;
        #[wasm_bindgen(js_name = storeStats)]
        fn store_stats(store: &JsValue) -> Vec<u32>;
        #[wasm_bindgen(js_name = lastPut)]
        fn last_put(store: &JsValue) -> JsValue;
    }

    fn connection() -> RawConnection {
        RawConnection::new(conn_config(), conn_error_class(), JsValue::UNDEFINED).unwrap()
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
    async fn a_shared_cache_serves_a_second_connection_without_a_request() {
        stub_token_endpoint("ok");
        let store = memory_cache();
        let a = RawConnection::new(cached_config(&store), conn_error_class(), cache_io(true)).unwrap();
        let calls: Vec<Promise> = (0..25).map(|_| a.token()).collect();
        let first = settle(&calls).await.remove(0).unwrap();
        assert_eq!(access_token(&first), "tok-1");
        assert_eq!(bodies().length(), 1);
        assert_eq!(store_stats(&store), vec![1, 1], "one get and one put for 25 callers");
        let put = last_put(&store);
        let key = get(&put, "key").as_string().unwrap();
        assert!(key.starts_with("otc:v1:") && key.len() == 71, "{key}");
        assert_eq!(JsFuture::from(a.cache_key()).await.unwrap().as_string().unwrap(), key);
        assert_eq!(get(&get(&put, "options"), "expirationTtl").as_f64(), Some(3600.0));
        let stored = get(&put, "value").as_string().unwrap();
        assert!(stored.contains("tok-1") && !stored.contains("rt-1"), "no refresh token is stored");

        let b = RawConnection::new(cached_config(&store), conn_error_class(), cache_io(true)).unwrap();
        let r = JsFuture::from(b.token()).await.unwrap();
        assert_eq!(access_token(&r), "tok-1");
        assert_eq!(get(&r, "expiresAt"), get(&first, "expiresAt"), "the original expiry");
        assert!(get(&r, "refreshToken").is_undefined());
        assert_eq!(bodies().length(), 1);

        // b drops tok-1 (a 401): the cache still holds it, b requests a new one and stores it.
        assert!(!b.retry_after(401, false, "tok-1"));
        assert_eq!(access_token(&JsFuture::from(b.token()).await.unwrap()), "tok-2");
        assert_eq!(bodies().length(), 2);
        assert!(get(&last_put(&store), "value").as_string().unwrap().contains("tok-2"));
    }

    #[wasm_bindgen_test]
    async fn without_a_digest_the_cache_is_skipped_with_a_warning() {
        stub_token_endpoint("ok");
        let store = memory_cache();
        let conn = RawConnection::new(cached_config(&store), conn_error_class(), cache_io(false)).unwrap();
        let r = JsFuture::from(conn.token()).await.unwrap();
        assert_eq!(access_token(&r), "tok-1");
        assert_eq!(store_stats(&store), vec![0, 0]);
        let warnings: Vec<String> = Array::from(&get(&r, "warnings")).iter().filter_map(|w| w.as_string()).collect();
        assert_eq!(warnings, [cache::NO_DIGEST]);
        assert!(JsFuture::from(conn.cache_key()).await.unwrap().is_undefined());
    }

    #[wasm_bindgen_test]
    fn a_cache_without_get_and_put_is_refused() {
        for bad in [JsValue::from_str("kv"), Object::new().into(), JsValue::from(1)] {
            let e = RawConnection::new(cached_config(&bad), conn_error_class(), cache_io(true)).err().unwrap();
            assert_eq!(get(&e, "code").as_string().unwrap(), "ERR_INVALID_CONFIG");
            assert!(get(&e, "message").as_string().unwrap().starts_with("cache must be an object"));
        }
    }

    #[wasm_bindgen_test]
    fn invalid_config_throws_the_given_class() {
        let mut bad = conn_config();
        js_sys::Reflect::set(&bad, &"headerName".into(), &"Bad Name".into()).unwrap();
        let e = RawConnection::new(bad.clone(), conn_error_class(), JsValue::UNDEFINED).err().unwrap();
        assert_eq!(get(&e, "code").as_string().unwrap(), "ERR_INVALID_CONFIG");
        bad = JsValue::NULL;
        assert!(RawConnection::new(bad, conn_error_class(), JsValue::UNDEFINED).is_err());
    }
}

//! `RawConnection`: one token exchange (`requestToken`) or a connection's session, as a
//! synchronous step machine. Each method takes what the host did (a response's facts, a fetch
//! failure, a cache answer, a digest) and answers the next step as `{ t, ... }`:
//!
//! | step                                   | api.js does                                        |
//! |----------------------------------------|----------------------------------------------------|
//! | the result (an object, not an array)   | resolves with the token result                     |
//! | `[1, fields]`                          | throws `OAuthTokenError` (`cause`: the host's error)|
//! | `[2, input]`                           | SHA-256 of the cache key's input → `digest(bytes)`, then `start()` again |
//! | `[3, key, ms]`                         | `cache.get` bounded by `ms` → `got(parsed(value), failed)` |
//! | `[4, key, result, ttl, ms]`            | `cache.put` of the result's entry (api.js's `entry`) bounded by `ms` → `stored(failed)` |
//! | `[5, request, ms, max]`                | fetch with an `ms` timeout, read ≤ `max` bytes → `response`, `failure` or `tooLarge` |
//!
//! Arrays and one packed string for the request: every key or string that crosses into
//! JavaScript costs a call and a UTF-8 decode, and this is the per-call path. `request` is
//! `url, method, body, redirect, credentials, cache, name, value, …` joined by `\n` (none of them
//! can hold one: a parsed URL, fixed values, a form-encoded body, header values checked by the
//! core).
//!
//! The decisions are the session's (src/connection.rs), src/cache.rs's and src/response.rs's.
//! api.js holds the single-flight promise and the public `Connection`.

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{Host, date_now, entries, failure_facts, fields, get, parse_json, parse_url, result_object, strings};
#[cfg(feature = "full")]
use crate::cache;
use crate::config::{self, Config, ConnectionOptions};
use crate::connection::{authorization_value, Plan, Renewal, Session};
use crate::cookies;
use crate::error::{classify_fetch_failure, Error};
use crate::request;
use crate::response::{self, HttpResponse};

/// Used by api.js only.
#[wasm_bindgen(js_name = RawConnection, skip_typescript)]
pub struct RawConnection {
    config: Config,
    /// `None` for `requestToken`'s single exchange.
    options: Option<ConnectionOptions>,
    session: Session,
    /// The cache key's digest input, when the config has a `cache`.
    #[cfg(feature = "full")]
    key_input: Option<String>,
    /// The cache key once derived; `Some(None)`: the host has no digest.
    #[cfg(feature = "full")]
    key: Option<Option<String>>,
    renewal: Renewal,
    /// Cache notes for the result being made.
    #[cfg(feature = "full")]
    notes: Vec<String>,
    /// The last token result, or `undefined`.
    last: JsValue,
    /// api.js's `host`: `result` makes a result object from its members, `pick` reads the
    /// members the core needs from a parsed response.
    host: Host,
}

fn step(t: u32, items: &[JsValue]) -> JsValue {
    let a = Array::of1(&JsValue::from(t));
    for item in items {
        a.push(item);
    }
    a.into()
}

fn done(t: u32, v: &JsValue) -> JsValue {
    Array::of2(&JsValue::from(t), v).into()
}

#[wasm_bindgen(js_class = RawConnection)]
impl RawConnection {
    /// Validates `requestToken`'s config (`connection` false) or `createConnection`'s; throws the
    /// error fields (ERR_INVALID_CONFIG and the like). `host`: api.js's `{ result, pick }`; `result`
    /// makes every token result object from its members (see `result_object` in src/wasm.rs).
    #[wasm_bindgen(constructor)]
    pub fn new(raw: JsValue, connection: bool, host: JsValue) -> Result<RawConnection, JsValue> {
        let parsed = entries(&raw).and_then(|e| {
            if !connection {
                return Ok((config::parse(&e, &parse_url)?, None, None));
            }
            let (config, options) = config::parse_connection(&e, &parse_url)?;
            let key_input = cache_binding(&raw, &config)?;
            Ok((config, Some(options), key_input))
        });
        let (config, options, key_input) = parsed.map_err(|e| fields(&e))?;
        let session = Session::new(options.as_ref().unwrap_or(&ConnectionOptions {
            refresh_skew_ms: 0.0,
            header_name: String::new(),
            header_prefix: None,
        }));
        #[cfg(not(feature = "full"))]
        let _ = key_input;
        Ok(RawConnection {
            config,
            options,
            session,
            #[cfg(feature = "full")]
            key_input,
            #[cfg(feature = "full")]
            key: None,
            renewal: Renewal::Configured,
            #[cfg(feature = "full")]
            notes: Vec::new(),
            last: JsValue::UNDEFINED,
            host: host.unchecked_into(),
        })
    }

    /// The first step of a renewal (or of the exchange): the digest, the cache read or the fetch.
    pub fn start(&mut self) -> JsValue {
        #[cfg(feature = "full")]
        if let Some(input) = &self.key_input {
            let Some(key) = &self.key else { return done(2, &JsValue::from_str(input)) };
            self.notes.clear();
            match key {
                Some(k) => return step(3, &[JsValue::from_str(k), JsValue::from(cache::TIMEOUT_MS)]),
                None => self.notes.push(cache::NO_DIGEST.into()),
            }
        }
        self.first_fetch()
    }




    /// A response: `status` as the host gave it (anything but a number in 0..=65535 is 0, which
    /// the core refuses), the body as read within the limit, `received_at` the clock at receipt.
    pub fn response(
        &mut self,
        status: JsValue,
        opaque_redirect: bool,
        content_type: Option<String>,
        set_cookies: JsValue,
        body: &[u8],
        received_at: f64,
    ) -> JsValue {
        let status = status.as_f64().filter(|s| (0.0..=65535.0).contains(s)).unwrap_or(0.0) as u16;
        let mut parsed = (JsValue::UNDEFINED, JsValue::UNDEFINED);
        let http = HttpResponse { status, opaque_redirect, content_type: content_type.as_deref(), body };
        let host = &self.host;
        let token = match response::interpret(&http, &mut |text| parse_json(text, host, &mut parsed), received_at) {
            Ok(t) => t,
            Err(e) => return self.failed(e),
        };
        let warnings =
            cookies::check(&strings(&set_cookies), self.config.token_endpoint.host(), self.config.ignore_cookies_policy);
        let result = result_object(&self.host, &token, &parsed.0, Some(&parsed.1), &warnings);
        if self.options.is_none() {
            // requestToken: no session to keep (api.js reuses this exchange for the next call
            // with the same config, so nothing of this one may stay behind).
            return result;
        }
        self.session.accept(&token, &self.renewal);
        self.last = result.clone();
        #[cfg(feature = "full")]
        if let (Some(Some(key)), Some(ttl)) = (&self.key, self.session.cache_ttl(&token, date_now())) {
            return step(4, &[JsValue::from_str(key), result, JsValue::from_f64(ttl as f64), JsValue::from(cache::TIMEOUT_MS)]);
        }
        self.finish()
    }

    /// The fetch or the body read failed: the rejection, whether the caller's signal had aborted,
    /// whether the timeout had fired, whether this is a page (`'document' in globalThis`).
    pub fn failure(&mut self, cause: JsValue, aborted: bool, timed_out: bool, in_page: bool) -> JsValue {
        let facts = failure_facts(&cause, aborted, timed_out, in_page, self.config.timeout_ms);
        self.failed(classify_fetch_failure(facts))
    }

    /// `Content-Length` (`declared`) or the bytes read so far against the limit: the next step
    /// when the response is refused, else `undefined`.
    #[wasm_bindgen(js_name = tooLarge)]
    pub fn too_large(&mut self, declared: Option<String>, read: f64) -> JsValue {
        let limit = self.config.max_response_bytes;
        match response::check_declared_length(declared.as_deref(), limit)
            .and_then(|()| response::check_body_length(read as u64, limit))
        {
            Ok(()) => JsValue::UNDEFINED,
            Err(e) => self.failed(e),
        }
    }

    /// Whether the held token is still valid (the session's plan).
    pub fn reuses(&self) -> bool {
        self.session.plan(date_now()) == Plan::Reuse
    }

    /// Drops the held token.
    pub fn invalidate(&mut self) {
        self.session.invalidate(None);
    }

    /// After a REST call's first attempt: drops the token on a 401 and says whether to retry.
    #[wasm_bindgen(js_name = retryAfter)]
    pub fn retry_after(&mut self, status: u16, replayable: bool, access_token: &str) -> bool {
        self.session.retry_after(status, replayable, access_token)
    }



    #[wasm_bindgen(getter, js_name = lastResult)]
    pub fn last_result(&self) -> JsValue {
        self.last.clone()
    }

    /// Epoch ms until which `token()` reuses `lastResult` (the session's `reuse_until`): api.js
    /// answers the cached path from it without a call into the .wasm.
    #[wasm_bindgen(getter, js_name = reuseUntil)]
    pub fn reuse_until(&self) -> f64 {
        self.session.reuse_until()
    }

    #[wasm_bindgen(getter, js_name = headerName)]
    pub fn header_name(&self) -> JsValue {
        JsValue::from_str(self.options.as_ref().map_or("", |o| o.header_name.as_str()))
    }

    /// The header value for a token result (RFC 6750 §2.1).
    pub fn header(&self, result: &JsValue) -> JsValue {
        let token_type = get(result, "tokenType").as_string().unwrap_or_default();
        let access_token = get(result, "accessToken").as_string().unwrap_or_default();
        let prefix = self.options.as_ref().and_then(|o| o.header_prefix.as_deref());
        JsValue::from_str(&authorization_value(&token_type, &access_token, prefix))
    }
}

/// The shared cache's steps (the `full` build: `oauth-token-connection/full`).
#[cfg(feature = "full")]
#[wasm_bindgen(js_class = RawConnection)]
impl RawConnection {
    /// The host's SHA-256 of the digest input (32 bytes), or `undefined` without one.
    pub fn digest(&mut self, bytes: Option<Vec<u8>>) {
        if self.key.is_none() {
            self.key = Some(bytes.filter(|b| b.len() == 32).map(|b| cache::key(&b)));
        }
    }
    /// The cache's answer, as api.js's `parsed` hands it over: the stored JSON text parsed (an
    /// entry is an object; `null` or `undefined` for none; anything else is unreadable), or the
    /// reason it failed.
    pub fn got(&mut self, stored: JsValue, failed: Option<String>) -> JsValue {
        if let Some(reason) = failed {
            self.notes.push(cache::read_failed(&reason));
        } else if !stored.is_undefined() && !stored.is_null() {
            if let Some(result) = self.adopt(&stored) {
                self.last = result.clone();
                return result;
            }
        }
        self.first_fetch()
    }
    /// The entry was stored, or not (`failed`: the reason).
    pub fn stored(&mut self, failed: Option<String>) -> JsValue {
        if let Some(reason) = failed {
            self.notes.push(cache::write_failed(&reason));
        }
        self.finish()
    }
    /// The digest input of the cache key; `undefined` without a cache.
    #[wasm_bindgen(getter, js_name = keyInput)]
    pub fn key_input(&self) -> JsValue {
        self.key_input.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str)
    }
    /// The cache key (`otc:v1:<hex SHA-256>`); `null` once known to be unavailable (no digest),
    /// `undefined` before it is derived or without a cache.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> JsValue {
        match &self.key {
            Some(Some(k)) => JsValue::from_str(k),
            Some(None) => JsValue::NULL,
            None => JsValue::UNDEFINED,
        }
    }
}

impl RawConnection {
    /// The session's first choice (a held refresh token, §6, else the configured grant).
    fn first_fetch(&mut self) -> JsValue {
        self.renewal = self.session.renewal();
        self.fetch()
    }

    /// The request, packed (see the module's table); api.js adds the signal.
    fn fetch(&self) -> JsValue {
        let req = self.session.request(&self.config, &self.renewal);
        let mut packed = String::with_capacity(req.url.len() + req.body.len() + 200);
        let mut add = |s: &str| {
            packed.push_str(s);
            packed.push('\n');
        };
        add(&req.url);
        add(req.method);
        add(&req.body);
        for (_, value) in request::FETCH_OPTIONS {
            add(value);
        }
        for (name, value) in &req.headers {
            add(name);
            add(value);
        }
        packed.pop();
        let ms = JsValue::from_f64(self.config.timeout_ms as f64);
        step(5, &[JsValue::from_str(&packed), ms, JsValue::from_f64(self.config.max_response_bytes as f64)])
    }

    /// An exchange failed: what the session says to try next (a refused refresh token falls
    /// back to the configured grant), else the error.
    fn failed(&mut self, e: Error) -> JsValue {
        if let Some(next) = self.session.after_failure(&self.config, &self.renewal, &e) {
            self.renewal = next;
            return self.fetch();
        }
        done(1, &fields(&e))
    }

    /// The result with the cache's notes among its warnings (the `full` build's; none without).
    #[cfg(not(feature = "full"))]
    fn finish(&mut self) -> JsValue {
        self.last.clone()
    }

    /// The result with the cache's notes among its warnings.
    #[cfg(feature = "full")]
    fn finish(&mut self) -> JsValue {
        if let Ok(warnings) = get(&self.last, "warnings").dyn_into::<Array>() {
            for n in self.notes.drain(..) {
                warnings.push(&JsValue::from_str(&n));
            }
        }
        self.last.clone()
    }

    #[cfg(feature = "full")]
    /// A cached entry (parsed by api.js), as the result object, if the session takes it (still valid with its
    /// skew, not a token it dropped). An unreadable value adds a note.
    fn adopt(&mut self, stored: &JsValue) -> Option<JsValue> {
        let parsed = Some(stored.clone()).filter(|v| v.is_object() && !Array::is_array(v));
        let entry = parsed.as_ref().and_then(|v| cache::read_entry(&super::members(v, 1, false)));
        let (Some(parsed), Some(entry)) = (parsed, entry) else {
            self.notes.push(cache::UNREADABLE.into());
            return None;
        };
        if !self.session.adopt(&entry.token, date_now()) {
            return None;
        }
        Some(result_object(&self.host, &entry.token, &get(&parsed, "json"), None, &entry.warnings))
    }
}

/// The configured `cache`, checked: an object with `get` and `put` functions (methods of a
/// Workers KV binding live on its prototype, which is why this is checked here and not in
/// config.rs), and a grant it can serve. Its key's digest input, when there is one.
#[cfg(feature = "full")]
fn cache_binding(raw: &JsValue, config: &Config) -> Result<Option<String>, Error> {
    let store = get(raw, "cache");
    if store.is_undefined() || store.is_null() {
        return Ok(None);
    }
    let has_methods = store.is_object() && get(&store, "get").is_function() && get(&store, "put").is_function();
    let kind = if store.is_object() { "an object without get and put methods" } else { super::value(&store, 0, false).kind() };
    cache::check(config, has_methods, kind)?;
    Ok(Some(cache::key_input(config)))
}

/// Without the `full` build, a configured `cache` is refused by name (its code is not in this
/// module: the default entry stays small).
#[cfg(not(feature = "full"))]
fn cache_binding(raw: &JsValue, _config: &Config) -> Result<Option<String>, Error> {
    let store = get(raw, "cache");
    if store.is_undefined() || store.is_null() {
        return Ok(None);
    }
    Err(Error::InvalidConfig(String::from(
        "cache is an option of oauth-token-connection/full: import createConnection from there",
    )))
}

/// Adapter tests under Node.js (wasm-bindgen-test), driving the step machine by hand with the
/// facts api.js would gather: argument conversion, the request description, the result and
/// error shapes, odd host answers, the session's steps (refresh first, fallback) and the cache
/// steps. What api.js does with the steps (fetch, causes, single-flight, bounded cache I/O) is
/// tested in tests/node/adapter.test.mjs; real servers are in the other tests/node files.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::set;
    use js_sys::Object;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen(inline_js = r#"
        export function config(extra) {
          return Object.assign({ tokenEndpoint: 'https://auth.example.com/token', clientId: 'aaa/;&', clientSecret: 'bbb/;&' }, extra);
        }
        // api.js's host (result() and pick()), as the tests' host.
        export function host() {
          const names = ['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token', 'error', 'error_description', 'error_uri'];
          return {
            result(m, expiresIn, expiresAt, scope, refreshToken, json, warnings) {
              const r = { accessToken: m[0], tokenType: m[1] };
              if (expiresIn !== undefined) r.expiresIn = expiresIn;
              if (expiresAt !== undefined) r.expiresAt = expiresAt;
              if (scope) r.scope = m[3];
              if (refreshToken) r.refreshToken = m[4];
              r.json = json;
              r.warnings = warnings;
              return r;
            },
            pick: (o) => names.map((n) => (Object.hasOwn(o, n) ? o[n] : undefined)),
          };
        }
        // api.js's entry(), as the tests' host.
        export function entry(result) {
          const { refreshToken, ...e } = result;
          const { refresh_token, ...json } = result.json;
          e.json = json;
          return JSON.stringify(e);
        }
        export function memoryCache() { return { get() {}, put() {} }; }
        export function tlsError() {
          const cause = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
          return new TypeError('fetch failed', { cause });
        }
    "#)]
    extern "C" {
        fn config(extra: JsValue) -> JsValue;
        fn host() -> JsValue;
        fn entry(result: &JsValue) -> String;
        #[wasm_bindgen(js_name = memoryCache)]
        fn memory_cache() -> JsValue;
        #[wasm_bindgen(js_name = tlsError)]
        fn tls_error() -> JsValue;
    }

    fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
        let o = Object::new();
        for (k, v) in pairs {
            set(&o, k, v);
        }
        o.into()
    }

    fn s(v: &JsValue, key: &str) -> String {
        get(v, key).as_string().unwrap_or_default()
    }

    /// A step's kind; a result (the end) counts as 0, and `at(result, 1)` is the result itself.
    fn t(step: &JsValue) -> f64 {
        if !Array::is_array(step) {
            return 0.0;
        }
        at(step, 0).as_f64().unwrap_or(-1.0)
    }

    fn at(step: &JsValue, i: u32) -> JsValue {
        if !Array::is_array(step) && i == 1 {
            return step.clone();
        }
        step.unchecked_ref::<Array>().get(i)
    }

    /// The fetch step's packed request: url, method, body, the fetch options, header pairs.
    fn request(step: &JsValue) -> Vec<String> {
        at(step, 1).as_string().unwrap_or_default().split('\n').map(String::from).collect()
    }

    fn body(step: &JsValue) -> String {
        request(step).remove(2)
    }

    fn exchange(extra: JsValue) -> RawConnection {
        RawConnection::new(config(extra), false, host()).unwrap()
    }

    fn connection(extra: JsValue) -> RawConnection {
        RawConnection::new(config(extra), true, host()).unwrap()
    }

    fn json_cookies(cookie: Option<&str>) -> JsValue {
        let a = Array::new();
        if let Some(c) = cookie {
            a.push(&JsValue::from_str(c));
        }
        a.into()
    }

    fn respond(raw: &mut RawConnection, status: u16, body: &str, cookie: Option<&str>) -> JsValue {
        raw.response(
            JsValue::from(status),
            false,
            Some("application/json".into()),
            json_cookies(cookie),
            body.as_bytes(),
            date_now(),
        )
    }

    const TOKEN: &str = r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":"3599","scope":"read","nested":{"a":[1,2]}}"#;

    #[wasm_bindgen_test]
    fn the_fetch_step_describes_the_request() {
        let mut raw = exchange(obj(&[("scope", "read  write".into()), ("timeoutSeconds", 2.5.into())]));
        let step = raw.start();
        assert_eq!(t(&step), 5.0);
        assert_eq!(at(&step, 2).as_f64(), Some(2500.0));
        assert_eq!(at(&step, 3).as_f64(), Some(1048576.0));
        assert_eq!(
            request(&step),
            [
                "https://auth.example.com/token",
                "POST",
                "grant_type=client_credentials&scope=read+write",
                "manual",
                "omit",
                "no-store",
                "Content-Type",
                "application/x-www-form-urlencoded;charset=UTF-8",
                "Accept",
                "application/json",
                "Authorization",
                "Basic YWFhJTJGJTNCJTI2OmJiYiUyRiUzQiUyNg==",
            ]
        );
    }

    #[wasm_bindgen_test]
    fn result_object_shape() {
        let mut raw = exchange(JsValue::UNDEFINED);
        raw.start();
        let step = respond(&mut raw, 200, TOKEN, Some("sid=1; Domain=evil.example"));
        assert_eq!(t(&step), 0.0);
        let r = at(&step, 1);
        assert_eq!(s(&r, "accessToken"), "tok-1");
        assert_eq!(s(&r, "tokenType"), "Bearer");
        assert_eq!(get(&r, "expiresIn").as_f64().unwrap(), 3599.0);
        let expires_at = get(&r, "expiresAt").as_f64().unwrap();
        assert!((expires_at - date_now() - 3_599_000.0).abs() < 60_000.0);
        assert_eq!(s(&r, "scope"), "read");
        assert!(get(&r, "refreshToken").is_undefined());
        // json is the endpoint's object verbatim, nested members included.
        let json = get(&r, "json");
        assert_eq!(js_sys::JSON::stringify(&json).unwrap().as_string().unwrap(), TOKEN);
        let warnings = Array::from(&get(&r, "warnings"));
        assert_eq!(warnings.length(), 1);
        assert_eq!(
            warnings.get(0).as_string().unwrap(),
            r#"Cookie rejected: Illegal 'domain' attribute "evil.example". Domain of origin: "auth.example.com""#
        );
        let mut quiet = exchange(obj(&[("ignoreCookiesPolicy", true.into())]));
        quiet.start();
        let r = at(&respond(&mut quiet, 200, TOKEN, Some("sid=1; Domain=evil.example")), 1);
        assert_eq!(Array::from(&get(&r, "warnings")).length(), 0);
    }

    #[wasm_bindgen_test]
    fn config_errors_are_thrown_as_fields() {
        for bad in [JsValue::NULL, JsValue::from(5), Array::new().into(), JsValue::from_str("x")] {
            let e = RawConnection::new(bad, false, host()).err().unwrap();
            assert_eq!(s(&e, "code"), "ERR_INVALID_CONFIG");
            assert!(s(&e, "message").starts_with("config must be an object"));
        }
        let e = RawConnection::new(config(obj(&[("clientSecert", "x".into())])), false, host()).err().unwrap();
        assert!(s(&e, "message").contains("clientSecert"));
        let e = RawConnection::new(config(obj(&[("timeoutSeconds", "30".into())])), false, host()).err().unwrap();
        assert_eq!(s(&e, "code"), "ERR_INVALID_CONFIG");
        let e = RawConnection::new(config(obj(&[("sslMode", "off".into())])), false, host()).err().unwrap();
        assert_eq!(s(&e, "code"), "ERR_UNSUPPORTED_SSL_MODE");
        let e = RawConnection::new(config(obj(&[("tokenEndpoint", "http://auth.example.com/t".into())])), false, host());
        assert_eq!(s(&e.err().unwrap(), "code"), "ERR_INSECURE_ENDPOINT");
        let e = RawConnection::new(config(obj(&[("headerName", "Bad Name".into())])), true, host()).err().unwrap();
        assert_eq!(s(&e, "code"), "ERR_INVALID_CONFIG");
        // headerName is a connection option, not requestToken's.
        assert!(RawConnection::new(config(obj(&[("headerName", "X-Token".into())])), false, host()).is_err());
    }

    #[wasm_bindgen_test]
    fn oauth_error_fields() {
        let mut raw = exchange(JsValue::UNDEFINED);
        raw.start();
        let step = respond(&mut raw, 400, r#"{"error":"invalid_scope","error_description":"nope","error_uri":"https://e.example/x"}"#, None);
        assert_eq!(t(&step), 1.0);
        let e = at(&step, 1);
        assert_eq!(s(&e, "code"), "ERR_OAUTH");
        assert_eq!(get(&e, "status").as_f64(), Some(400.0));
        assert_eq!(s(&e, "error"), "invalid_scope");
        assert_eq!(s(&e, "errorDescription"), "nope");
        assert_eq!(s(&e, "errorUri"), "https://e.example/x");
        assert!(s(&e, "message").contains("invalid_scope"));
    }

    #[wasm_bindgen_test]
    fn odd_host_answers_end_in_errors_and_the_instance_survives() {
        let mut raw = exchange(obj(&[("maxResponseBytes", 1024.into())]));
        raw.start();
        let e = at(&raw.failure(JsValue::from_str("gave up"), false, false, false), 1);
        assert_eq!(s(&e, "code"), "ERR_NETWORK");
        assert!(s(&e, "message").contains("gave up"));
        let e = at(&raw.failure(tls_error(), false, false, false), 1);
        assert_eq!(s(&e, "code"), "ERR_TLS");
        assert!(s(&e, "message").contains("UNABLE_TO_VERIFY_LEAF_SIGNATURE"));
        assert_eq!(s(&at(&raw.failure(JsValue::UNDEFINED, true, false, false), 1), "code"), "ERR_ABORTED");
        assert_eq!(s(&at(&raw.failure(tls_error(), false, true, false), 1), "code"), "ERR_TIMEOUT");
        // No status (42 or {} from a stub fetch), or a status that is not a number.
        for status in [JsValue::UNDEFINED, JsValue::from_str("200"), JsValue::from(70000)] {
            let step = raw.response(status, false, None, JsValue::NULL, b"", date_now());
            assert_eq!(s(&at(&step, 1), "code"), "ERR_INVALID_RESPONSE");
        }
        assert_eq!(s(&at(&raw.response(JsValue::from(0), true, None, JsValue::NULL, b"", 0.0), 1), "code"), "ERR_UNEXPECTED_REDIRECT");
        // The size bound: a declared length or the bytes read.
        assert!(raw.too_large(Some("1024".into()), 0.0).is_undefined());
        assert!(raw.too_large(Some(" nonsense ".into()), 0.0).is_undefined());
        assert!(raw.too_large(None, 1024.0).is_undefined());
        for step in [raw.too_large(Some("2048".into()), 0.0), raw.too_large(None, 1025.0)] {
            assert_eq!(s(&at(&step, 1), "code"), "ERR_RESPONSE_TOO_LARGE");
        }
        assert_eq!(t(&respond(&mut raw, 200, TOKEN, None)), 0.0);
    }

    #[wasm_bindgen_test]
    fn the_session_renews_with_its_refresh_token_and_falls_back_when_it_is_refused() {
        let mut raw = connection(JsValue::UNDEFINED);
        assert!(raw.last_result().is_undefined() && !raw.reuses());
        assert_eq!(body(&raw.start()), "grant_type=client_credentials");
        let step = respond(&mut raw, 200, r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600,"refresh_token":"rt-1"}"#, None);
        let first = at(&step, 1);
        assert_eq!(raw.last_result(), first);
        assert!(raw.reuses() && raw.reuse_until() > date_now());
        assert_eq!(raw.header(&first).as_string().unwrap(), "Bearer tok-1");
        // A late 401 for an older token keeps the held one; a 401 for it drops it.
        assert!(raw.retry_after(401, true, "tok-0"));
        assert!(raw.reuses());
        assert!(!raw.retry_after(401, false, "tok-1"));
        assert!(!raw.reuses());
        let step = raw.start();
        assert_eq!(body(&step), "grant_type=refresh_token&refresh_token=rt-1");
        // Refused: the configured grant, within the same renewal.
        let step = respond(&mut raw, 400, r#"{"error":"invalid_grant"}"#, None);
        assert_eq!(t(&step), 5.0);
        assert_eq!(body(&step), "grant_type=client_credentials");
        let r = at(&respond(&mut raw, 200, r#"{"access_token":"tok-2","token_type":"bearer","expires_in":3600}"#, None), 1);
        assert_eq!(s(&r, "accessToken"), "tok-2");
        raw.invalidate();
        assert!(!raw.reuses());
        assert_eq!(body(&raw.start()), "grant_type=client_credentials");
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn the_cache_steps_store_and_serve_a_token_without_its_refresh_token() {
        let cached = || config(obj(&[("cache", memory_cache())]));
        let mut a = RawConnection::new(cached(), true, host()).unwrap();
        assert!(a.key().is_undefined());
        let step = a.start();
        assert_eq!(t(&step), 2.0);
        assert_eq!(at(&step, 1).as_string().unwrap(), a.key_input().as_string().unwrap());
        a.digest(Some(vec![0xab; 32]));
        let key = a.key().as_string().unwrap();
        assert!(key.starts_with("otc:v1:abab") && key.len() == 71, "{key}");
        let step = a.start();
        assert_eq!((t(&step), at(&step, 1).as_string().unwrap(), at(&step, 2).as_f64()), (3.0, key.clone(), Some(2000.0)));
        assert_eq!(t(&a.got(JsValue::NULL, None)), 5.0);
        let body = r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600,"refresh_token":"rt-1"}"#;
        let put = respond(&mut a, 200, body, None);
        assert_eq!((t(&put), at(&put, 1).as_string().unwrap(), at(&put, 3).as_f64()), (4.0, key.clone(), Some(3600.0)));
        let stored = entry(&at(&put, 2));
        assert!(stored.contains("tok-1") && !stored.contains("rt-1"), "no refresh token is stored");
        let first = at(&a.stored(Some("TypeError".into())), 1);
        let warnings: Vec<String> = Array::from(&get(&first, "warnings")).iter().filter_map(|w| w.as_string()).collect();
        assert_eq!(warnings, [cache::write_failed("TypeError")]);

        let mut b = RawConnection::new(cached(), true, host()).unwrap();
        b.digest(Some(vec![0xab; 32]));
        assert_eq!(t(&b.start()), 3.0);
        let r = at(&b.got(js_sys::JSON::parse(&stored).unwrap(), None), 1);
        assert_eq!(s(&r, "accessToken"), "tok-1");
        assert_eq!(get(&r, "expiresAt"), get(&first, "expiresAt"), "the original expiry");
        assert!(get(&r, "refreshToken").is_undefined());
        assert!(b.reuses());
        // An unreadable entry or a failed read: a note, and the endpoint.
        b.invalidate();
        b.start();
        assert_eq!(t(&b.got(Object::new().into(), None)), 5.0);
        let put = respond(&mut b, 200, body, None);
        assert!(t(&put) == 4.0 && entry(&at(&put, 2)).contains(r#""warnings":[]"#), "the stored entry has no notes");
        let r = at(&b.stored(None), 1);
        let warnings: Vec<String> = Array::from(&get(&r, "warnings")).iter().filter_map(|w| w.as_string()).collect();
        assert_eq!(warnings, [cache::UNREADABLE]);
        b.invalidate();
        b.start();
        assert_eq!(t(&b.got(JsValue::UNDEFINED, Some("no answer within 2000 ms".into()))), 5.0);
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn without_a_digest_the_cache_is_skipped_with_a_warning() {
        let mut raw = RawConnection::new(config(obj(&[("cache", memory_cache())])), true, host()).unwrap();
        raw.digest(None);
        assert!(raw.key().is_null());
        assert_eq!(t(&raw.start()), 5.0);
        let r = at(&respond(&mut raw, 200, TOKEN, None), 1);
        let warnings: Vec<String> = Array::from(&get(&r, "warnings")).iter().filter_map(|w| w.as_string()).collect();
        assert_eq!(warnings, [cache::NO_DIGEST]);
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn a_cache_without_get_and_put_is_refused() {
        for bad in [JsValue::from_str("kv"), Object::new().into(), JsValue::from(1)] {
            let e = RawConnection::new(config(obj(&[("cache", bad)])), true, host()).err().unwrap();
            assert_eq!(s(&e, "code"), "ERR_INVALID_CONFIG");
            assert!(s(&e, "message").starts_with("cache must be an object"));
        }
        assert!(RawConnection::new(config(JsValue::UNDEFINED), true, host()).unwrap().key_input().is_undefined());
    }

    /// The default build has no cache code: a configured cache is refused by name, pointing to
    /// the full build; none (or `null`) is fine.
    #[cfg(not(feature = "full"))]
    #[wasm_bindgen_test]
    fn the_default_build_refuses_a_cache_by_name() {
        for store in [memory_cache(), JsValue::from_str("kv")] {
            let e = RawConnection::new(config(obj(&[("cache", store)])), true, host()).err().unwrap();
            assert_eq!(s(&e, "code"), "ERR_INVALID_CONFIG");
            assert!(s(&e, "message").contains("oauth-token-connection/full"), "{}", s(&e, "message"));
        }
        assert!(RawConnection::new(config(obj(&[("cache", JsValue::NULL)])), true, host()).is_ok());
    }
}

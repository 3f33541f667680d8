//! `RawConnection`: one token exchange (`requestToken`) or a connection's session, as a
//! synchronous step machine. Each method takes what the host did (a response's facts, a fetch
//! failure, a cache answer, a digest) and answers the next step as `{ t, ... }`:
//!
//! | t | step                              | api.js does                                        |
//! |---|-----------------------------------|----------------------------------------------------|
//! | 0 | `v`: the token result             | resolves with it                                   |
//! | 1 | `v`: error fields                 | throws `OAuthTokenError` (`cause`: the host's error)|
//! | 2 | `v`: the cache key's digest input | SHA-256 → `digest(bytes)`, then `start()` again   |
//! | 3 | `k`, `ms`: read the cache entry       | bounded `cache.get` → `got(value, failed)`         |
//! | 4 | `k`, `v`, `ttl`, `ms`: store it | bounded `cache.put` → `stored(failed)`             |
//! | 5 | `url`, `init`, `ms`, `max`: fetch | fetch with a timeout, read ≤ max bytes → `response`, `failure` or `tooLarge` |
//!
//! The decisions are the session's (src/connection.rs), src/cache.rs's and src/response.rs's.
//! api.js holds the single-flight promise and the public `Connection`.

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{date_now, entries, failure_facts, fields, get, members, parse_json, parse_url, result_object, set, strings, value};
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
    key_input: Option<String>,
    /// The cache key once derived; `Some(None)`: the host has no digest.
    key: Option<Option<String>>,
    renewal: Renewal,
    /// Cache notes for the result being made.
    notes: Vec<String>,
    /// The last token result, or `undefined`.
    last: JsValue,
}

fn step(t: u32) -> Object {
    let o = Object::new();
    set(&o, "t", &JsValue::from(t));
    o
}

fn done(t: u32, v: &JsValue) -> JsValue {
    let o = step(t);
    set(&o, "v", v);
    o.into()
}

#[wasm_bindgen(js_class = RawConnection)]
impl RawConnection {
    /// Validates `requestToken`'s config (`connection` false) or `createConnection`'s; throws the
    /// error fields (ERR_INVALID_CONFIG and the like).
    #[wasm_bindgen(constructor)]
    pub fn new(raw: JsValue, connection: bool) -> Result<RawConnection, JsValue> {
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
        Ok(RawConnection {
            config,
            options,
            session,
            key_input,
            key: None,
            renewal: Renewal::Configured,
            notes: Vec::new(),
            last: JsValue::UNDEFINED,
        })
    }

    /// The first step of a renewal (or of the exchange): the digest, the cache read or the fetch.
    pub fn start(&mut self) -> JsValue {
        if let Some(input) = &self.key_input {
            let Some(key) = &self.key else { return done(2, &JsValue::from_str(input)) };
            self.notes.clear();
            match key {
                Some(k) => {
                    let o = step(3);
                    set(&o, "k", &JsValue::from_str(k));
                    set(&o, "ms", &JsValue::from(cache::TIMEOUT_MS));
                    return o.into();
                }
                None => self.notes.push(cache::NO_DIGEST.into()),
            }
        }
        self.first_fetch()
    }

    /// The host's SHA-256 of the digest input (32 bytes), or `undefined` without one.
    pub fn digest(&mut self, bytes: Option<Vec<u8>>) {
        if self.key.is_none() {
            self.key = Some(bytes.filter(|b| b.len() == 32).map(|b| cache::key(&b)));
        }
    }

    /// The cache's answer: a stored value (a string, `null` or `undefined` for none) or the
    /// reason it failed.
    pub fn got(&mut self, stored: JsValue, failed: Option<String>) -> JsValue {
        if let Some(reason) = failed {
            self.notes.push(cache::read_failed(&reason));
        } else if !stored.is_undefined() && !stored.is_null() {
            if let Some(result) = self.adopt(&stored) {
                self.last = result.clone();
                return done(0, &result);
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
        let mut json = JsValue::UNDEFINED;
        let http = HttpResponse { status, opaque_redirect, content_type: content_type.as_deref(), body };
        let token = match response::interpret(&http, &mut |text| parse_json(text, &mut json), received_at) {
            Ok(t) => t,
            Err(e) => return self.failed(e),
        };
        let warnings =
            cookies::check(&strings(&set_cookies), self.config.token_endpoint.host(), self.config.ignore_cookies_policy);
        let result = result_object(&token, &json, &warnings);
        self.session.accept(&token, &self.renewal);
        self.last = result.clone();
        let ttl = self.session.cache_ttl(&token, date_now());
        if let (Some(Some(key)), Some(ttl), Some(_)) = (&self.key, ttl, &self.options) {
            let o = step(4);
            set(&o, "k", &JsValue::from_str(key));
            set(&o, "v", &JsValue::from_str(&entry_text(&result)));
            set(&o, "ttl", &JsValue::from_f64(ttl as f64));
            set(&o, "ms", &JsValue::from(cache::TIMEOUT_MS));
            return o.into();
        }
        self.finish()
    }

    /// The fetch or the body read failed: the rejection, whether the caller's signal had aborted,
    /// whether the timeout had fired.
    pub fn failure(&mut self, cause: JsValue, aborted: bool, timed_out: bool) -> JsValue {
        let facts = failure_facts(&cause, aborted, timed_out, self.config.timeout_ms);
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

    /// The digest input of the cache key; `undefined` without a cache.
    #[wasm_bindgen(getter, js_name = keyInput)]
    pub fn key_input(&self) -> Option<String> {
        self.key_input.clone()
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
    pub fn header_name(&self) -> String {
        self.options.as_ref().map(|o| o.header_name.clone()).unwrap_or_default()
    }

    /// The header value for a token result (RFC 6750 §2.1).
    pub fn header(&self, result: &JsValue) -> String {
        let token_type = get(result, "tokenType").as_string().unwrap_or_default();
        let access_token = get(result, "accessToken").as_string().unwrap_or_default();
        let prefix = self.options.as_ref().and_then(|o| o.header_prefix.as_deref());
        authorization_value(&token_type, &access_token, prefix)
    }
}

impl RawConnection {
    /// The session's first choice (a held refresh token, §6, else the configured grant).
    fn first_fetch(&mut self) -> JsValue {
        self.renewal = self.session.renewal();
        self.fetch()
    }

    /// The request as fetch's `(url, init)`; api.js adds the signal.
    fn fetch(&self) -> JsValue {
        let req = self.session.request(&self.config, &self.renewal);
        // A plain object as RequestInit.
        let init = Object::new();
        set(&init, "method", &JsValue::from_str(req.method));
        let headers = Object::new();
        for (name, value) in &req.headers {
            set(&headers, name, &JsValue::from_str(value));
        }
        set(&init, "headers", &headers);
        set(&init, "body", &JsValue::from_str(&req.body));
        for (name, value) in request::FETCH_OPTIONS {
            set(&init, name, &JsValue::from_str(value));
        }
        let o = step(5);
        set(&o, "url", &JsValue::from_str(&req.url));
        set(&o, "init", &init);
        set(&o, "ms", &JsValue::from_f64(self.config.timeout_ms as f64));
        set(&o, "max", &JsValue::from_f64(self.config.max_response_bytes as f64));
        o.into()
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

    /// The result with the cache's notes among its warnings.
    fn finish(&mut self) -> JsValue {
        if let Ok(warnings) = get(&self.last, "warnings").dyn_into::<Array>() {
            for n in self.notes.drain(..) {
                warnings.push(&JsValue::from_str(&n));
            }
        }
        done(0, &self.last)
    }

    /// A cached value, as the result object, if the session takes it (still valid with its
    /// skew, not a token it dropped). An unreadable value adds a note.
    fn adopt(&mut self, stored: &JsValue) -> Option<JsValue> {
        let parsed = stored
            .as_string()
            .and_then(|t| js_sys::JSON::parse(&t).ok())
            .filter(|v| v.is_object() && !Array::is_array(v));
        let entry = parsed.as_ref().and_then(|v| cache::read_entry(&members(v, 1)));
        let (Some(parsed), Some(entry)) = (parsed, entry) else {
            self.notes.push(cache::UNREADABLE.into());
            return None;
        };
        if !self.session.adopt(&entry.token, date_now()) {
            return None;
        }
        Some(result_object(&entry.token, &get(&parsed, "json"), &entry.warnings))
    }
}

/// The configured `cache`, checked: an object with `get` and `put` functions (methods of a
/// Workers KV binding live on its prototype, which is why this is checked here and not in
/// config.rs), and a grant it can serve. Its key's digest input, when there is one.
fn cache_binding(raw: &JsValue, config: &Config) -> Result<Option<String>, Error> {
    let store = get(raw, "cache");
    if store.is_undefined() || store.is_null() {
        return Ok(None);
    }
    let has_methods = store.is_object() && get(&store, "get").is_function() && get(&store, "put").is_function();
    let kind = if store.is_object() { "an object without get and put methods" } else { value(&store, 0).kind() };
    cache::check(config, has_methods, kind)?;
    Ok(Some(cache::key_input(config)))
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

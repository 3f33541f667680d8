//! Conversions between the core's types and plain JavaScript objects.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[cfg(feature = "full")]
use oauth_token_core::assertion::{KeyImport, Sign, Signed, Stage};
use oauth_token_core::config::{self, UrlParts};
#[cfg(feature = "full")]
use oauth_token_core::coordinator::Record;
use oauth_token_core::error::{Error, FetchFailure};
use oauth_token_core::exchange::{self, Event, Member, Response, Step, Token};
#[cfg(feature = "full")]
use oauth_token_core::exchange::{Answer, CacheRead};
use oauth_token_core::json::JsonObject;
#[cfg(feature = "full")]
use oauth_token_core::jws::WebCrypto;
use oauth_token_core::response::{self, MEMBERS};
use oauth_token_core::value::{Json, Value};

#[wasm_bindgen]
extern "C" {
    /// The host's WHATWG URL parser.
    #[wasm_bindgen(js_name = URL)]
    pub type Url;
    #[wasm_bindgen(constructor, catch, js_class = "URL")]
    fn new(input: &str) -> Result<Url, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn href(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn protocol(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn hostname(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn username(this: &Url) -> js_sys::JsString;
    #[wasm_bindgen(method, getter)]
    fn password(this: &Url) -> js_sys::JsString;

    /// `Reflect.get`; declared with `catch` although only objects of api.js's making are read.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &str, value: &JsValue) -> bool;
    #[cfg(test)]
    #[wasm_bindgen(js_namespace = Object, js_name = hasOwn)]
    fn has_own(target: &JsValue, key: &str) -> bool;
}

/// What every export that hands back a JavaScript value returns, `Ok` unless noted. Node 20's V8
/// inlines a JS-to-wasm call with a single externref result into optimized JavaScript, and a
/// lazy deoptimization during such a call aborts the process ("unreachable code" in
/// `Deoptimizer::DoComputeBuiltinContinuation`); a call with several results (a `Result`'s value,
/// error and flag) is never inlined.
type Out = Result<JsValue, JsValue>;

fn get(target: &JsValue, key: &str) -> JsValue {
    reflect_get(target, key).unwrap_or(JsValue::UNDEFINED)
}

/// Sets a member of an object this module made.
fn set(target: &JsValue, key: &str, value: &JsValue) {
    reflect_set(target, key, value);
}

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// An object for api.js: its members written as JSON text and parsed once (`JSON.parse`: one
/// crossing, where setting members one by one costs a crossing and a decoded name each), then
/// the members JSON cannot carry (bytes, the server's parsed JSON, a number that is not an exact
/// integer) set on the parsed object, at most one level down.
#[derive(Default)]
struct Plain {
    json: JsonObject,
    later: Vec<(Option<&'static str>, &'static str, JsValue)>,
}

impl Plain {
    /// A step: `{ kind, ... }`.
    fn step(kind: &str) -> Plain {
        let mut p = Plain::default();
        p.json.string("kind", kind);
        p
    }

    fn string(&mut self, name: &str, value: &str) {
        self.json.string(name, value);
    }

    fn integer(&mut self, name: &str, value: u64) {
        self.json.integer(name, value.min(i64::MAX as u64) as i64);
    }

    fn number(&mut self, name: &'static str, value: f64) {
        if !self.json.number(name, value) {
            self.value(name, JsValue::from_f64(value));
        }
    }

    #[cfg(feature = "full")]
    fn bytes(&mut self, name: &'static str, value: &[u8]) {
        self.value(name, Uint8Array::from(value).into());
    }

    fn value(&mut self, name: &'static str, value: JsValue) {
        self.later.push((None, name, value));
    }

    /// A member from JSON text (the server's, which the core's reader accepted, or
    /// `JSON.stringify`'s); undefined without one.
    fn json(&mut self, name: &'static str, json: Option<&str>) {
        match json {
            Some(text) => self.json.raw(name, text),
            None => self.value(name, JsValue::UNDEFINED),
        }
    }

    /// A member that is an object of its own (its later members one level down; no deeper).
    fn nest(&mut self, name: &'static str, inner: Plain) {
        debug_assert!(inner.later.iter().all(|(parent, ..)| parent.is_none()), "nested one level only");
        self.json.object(name, inner.json);
        self.later.extend(inner.later.into_iter().map(|(_, member, v)| (Some(name), member, v)));
    }

    fn into_js(self) -> JsValue {
        // The text is JSON by construction: JSON.parse cannot refuse it.
        let o = js_sys::JSON::parse(&self.json.finish()).unwrap_or(JsValue::UNDEFINED);
        for (parent, name, v) in self.later {
            let target = parent.map_or_else(|| o.clone(), |p| get(&o, p));
            set(&target, name, &v);
        }
        o
    }
}

/// The entries of api.js's copy of a config, two levels deep (for `extraParams`' arrays).
fn entries(copy: &JsValue) -> Result<Vec<(String, Value)>, Error> {
    if !copy.is_object() || Array::is_array(copy) || copy.is_function() {
        let kind = value(copy, 0).kind();
        return Err(Error::InvalidConfig(["config must be an object, got ", kind].concat()));
    }
    Ok(members(copy, 2))
}

/// `Object.entries(object)`, each value walked `depth` levels.
fn members(object: &JsValue, depth: u8) -> Vec<(String, Value)> {
    Object::entries(object.unchecked_ref())
        .iter()
        .map(|pair| {
            let pair: Array = pair.unchecked_into();
            (pair.get(0).as_string().unwrap_or_default(), value(&pair.get(1), depth))
        })
        .collect()
}

/// A JavaScript value for the core; arrays and objects keep their contents `depth` levels down.
fn value(v: &JsValue, depth: u8) -> Value {
    if let Some(s) = v.as_string() {
        Value::String(s)
    } else if let Some(n) = v.as_f64() {
        Value::Number(n)
    } else if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if v.is_undefined() {
        Value::Undefined
    } else if v.is_null() {
        Value::Null
    } else if v.is_function() {
        Value::Function
    } else if Array::is_array(v) {
        let items = match depth {
            0 => Vec::new(),
            _ => Array::from(v).iter().map(|item| value(&item, depth - 1)).collect(),
        };
        Value::Array(items)
    } else if v.is_object() {
        Value::Object(if depth == 0 { Vec::new() } else { members(v, depth - 1) })
    } else {
        Value::Other
    }
}

fn parse_url(input: &str) -> Option<UrlParts> {
    Url::new(input).ok().map(|u| url_parts(&u))
}

/// The parts of a URL the host has parsed that the core decides on.
fn url_parts(u: &Url) -> UrlParts {
    UrlParts {
        href: u.href(),
        protocol: u.protocol(),
        hostname: u.hostname(),
        has_credentials: u.username().length() > 0 || u.password().length() > 0,
    }
}

/// The members of a response's JSON text the core reads, by the core's reader (which picks
/// them without building the rest; numbers other than short integers are the host's
/// `parseFloat`, as `JSON.parse` converts them).
fn read_json(text: &str) -> Json {
    #[cfg(feature = "full")]
    let names: Vec<&str> = MEMBERS.iter().chain(oauth_token_core::discovery::MEMBERS.iter()).copied().collect();
    #[cfg(not(feature = "full"))]
    let names = MEMBERS;
    oauth_token_core::json::read(text, &names, response::MAX_NESTING, &js_sys::parse_float)
}

/// An error as the fields of api.js's `OAuthTokenError`.
fn error_fields(e: &Error) -> JsValue {
    described_fields(e, (e.message(), e.hint())).into_js()
}

/// The fields with the message and hint an exchange gave for its failure.
fn described_fields(e: &Error, (message, hint): (String, &str)) -> Plain {
    let mut o = Plain::default();
    o.string("code", e.code());
    o.string("message", &message);
    o.string("hint", hint);
    if let Some(s) = e.status() {
        o.integer("status", s.into());
    }
    if let Error::OAuth { error, error_description, error_uri, .. } = e {
        o.string("error", error);
        if let Some(d) = error_description {
            o.string("errorDescription", d);
        }
        if let Some(u) = error_uri {
            o.string("errorUri", u);
        }
    }
    o
}

/// The token result (its members as `oauth_token_core::package::RESULT` declares them), with
/// `json` the endpoint's JSON text.
fn result(token: &Token, json: Option<&str>) -> Plain {
    let mut o = Plain::default();
    for (name, member) in exchange::result_members(token) {
        match member {
            Member::Text(s) => o.string(name, s),
            Member::Number(n) => o.number(name, n),
            Member::Json => o.json(name, json),
            Member::Warnings(w) => o.json.strings(name, w.iter().map(String::as_str)),
        }
    }
    o
}

/// A token's cache entry: the result without its refresh token, and the endpoint's JSON without
/// the members that are not stored.
#[cfg(feature = "full")]
fn entry(token: &Token, json: Option<&str>) -> Plain {
    let stored = json.and_then(|j| js_sys::JSON::parse(j).ok()).filter(JsValue::is_object).and_then(|o| {
        for name in oauth_token_core::cache::NOT_STORED {
            let _ = js_sys::Reflect::delete_property(o.unchecked_ref::<Object>(), &text(name));
        }
        json_text(&o)
    });
    let mut token = token.clone();
    token.response.refresh_token = None;
    result(&token, stored.as_deref())
}

/// JSON text; `None` when it cannot be written (too deep for `JSON.stringify`).
#[cfg(feature = "full")]
fn json_text(value: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(value).ok()?.as_string()
}

/// A token's cache entry as JSON text.
#[cfg(feature = "full")]
fn entry_text(token: &Token, json: Option<&str>) -> Option<String> {
    json_text(&entry(token, json).into_js())
}

/// The coordinator's record as JSON text: `{ token: <entry>, refreshToken }`, each when present;
/// `Some(None)` for an empty record (deleted), `None` when it cannot be written.
#[cfg(feature = "full")]
fn record_text(record: &Record<Token>, json: Option<&str>) -> Option<Option<String>> {
    if record.token.is_none() && record.refresh_token.is_none() {
        return Some(None);
    }
    let mut o = Plain::default();
    if let Some(token) = &record.token {
        o.nest("token", entry(token, json));
    }
    if let Some(r) = &record.refresh_token {
        o.string("refreshToken", r.expose());
    }
    json_text(&o.into_js()).map(Some)
}

/// A WebCrypto algorithm object: `{ name, hash, namedCurve, saltLength }` as the algorithm has them.
#[cfg(feature = "full")]
fn webcrypto(a: WebCrypto) -> Plain {
    let mut o = Plain::default();
    o.string("name", a.name);
    if let Some(hash) = a.hash {
        o.string("hash", hash);
    }
    if let Some(curve) = a.named_curve {
        o.string("namedCurve", curve);
    }
    if let Some(salt) = a.salt_length {
        o.integer("saltLength", salt.into());
    }
    o
}

/// Where io.js's signing failed (`stage`).
#[cfg(feature = "full")]
fn stage(v: &JsValue) -> Stage {
    match v.as_string().as_deref() {
        Some("noWebCrypto") => Stage::NoWebCrypto,
        Some("import") => Stage::Import,
        Some("digest") => Stage::Digest,
        _ => Stage::Sign,
    }
}

fn failure_facts(event: &JsValue) -> FetchFailure {
    let flag = |name| get(event, name).as_bool().unwrap_or(false);
    let codes = get(event, "causeCodes");
    FetchFailure {
        aborted: flag("aborted"),
        timed_out: flag("timedOut"),
        in_browser: flag("inPage"),
        message: get(event, "message").as_string(),
        cause_message: get(event, "causeMessage").as_string(),
        after_response: flag("afterResponse"),
        cause_codes: if Array::is_array(&codes) {
            Array::from(&codes).iter().filter_map(|c| c.as_string()).collect()
        } else {
            Vec::new()
        },
        timeout_ms: 0,
    }
}

/// One token exchange (`requestToken`) or a connection's renewals, for api.js.
#[wasm_bindgen(skip_typescript)]
pub struct Exchange {
    inner: exchange::Exchange,
    /// The JSON text of the response (or the cache entry's `json`) the run in progress read.
    json: Option<String>,
    /// The error fields the coordinator answered, until the core ends the run with them.
    #[cfg(feature = "full")]
    relayed: JsValue,
}

#[wasm_bindgen]
impl Exchange {
    /// Validates api.js's copy of `requestToken`'s config (`connection` false) or of
    /// `createConnection`'s; throws the error's fields.
    #[wasm_bindgen(constructor)]
    pub fn new(copy: JsValue, connection: bool) -> Result<Exchange, JsValue> {
        let inner = entries(&copy)
            .and_then(|e| match connection {
                false => config::parse(&e, &parse_url).map(exchange::Exchange::request_token),
                true => config::parse_connection(&e, &parse_url).and_then(|(config, options)| {
                    if options.cache && !cfg!(feature = "full") {
                        return Err(Error::InvalidConfig(oauth_token_core::cache::NOT_IN_THIS_BUILD.into()));
                    }
                    if options.coordinator && !cfg!(feature = "full") {
                        return Err(Error::InvalidConfig(oauth_token_core::coordinator::NOT_IN_THIS_BUILD.into()));
                    }
                    Ok(exchange::Exchange::connection(config, options))
                }),
            })
            .map_err(|e| error_fields(&e))?;
        Ok(Exchange::wrap(inner))
    }

    /// The next step after `event` (an object api.js made), observed at `now` (epoch ms).
    pub fn step(&mut self, event: JsValue, now: f64) -> Out {
        let kind = get(&event, "kind").as_string().unwrap_or_default();
        let step = match kind.as_str() {
            "start" => {
                // The host's randomness for the retries' jitter: a number in [0, 1).
                #[cfg(feature = "full")]
                if let Some(r) = get(&event, "random").as_f64() {
                    self.inner.seed((r * 9_007_199_254_740_992.0) as u64);
                }
                self.inner.step(Event::Start, now)
            }
            #[cfg(feature = "full")]
            "waited" => self.inner.step(Event::Waited, now),
            #[cfg(feature = "full")]
            "digested" => {
                let digest = get(&event, "digest").dyn_into::<Uint8Array>().ok().map(|d| d.to_vec());
                self.inner.step(Event::Digested(digest.as_deref()), now)
            }
            #[cfg(feature = "full")]
            "cacheRead" => self.cache_read(&event, now),
            #[cfg(feature = "full")]
            "cacheWritten" => {
                let failed = get(&event, "failed").as_string();
                self.inner.step(Event::CacheWritten(failed.as_deref().map_or(Ok(()), Err)), now)
            }
            #[cfg(feature = "full")]
            "signed" => {
                let bytes = |name| get(&event, name).dyn_into::<Uint8Array>().ok().map(|b| b.to_vec());
                let (random, sha1, sha256, signature) =
                    (bytes("random"), bytes("sha1"), bytes("sha256"), bytes("signature"));
                let failed = get(&event, "failed").as_string();
                let signed = match (&failed, &signature, &random) {
                    (Some(name), ..) => Signed::Failed { stage: stage(&get(&event, "stage")), name },
                    (None, Some(signature), _) => Signed::Signature(signature),
                    (None, None, Some(random)) => {
                        Signed::Prepared { random, sha1: sha1.as_deref(), sha256: sha256.as_deref() }
                    }
                    (None, None, None) => return Ok(self.convert(Step::Failed(Error::Internal), now)),
                };
                self.inner.step(Event::Signed(signed), now)
            }
            #[cfg(feature = "full")]
            "answered" => self.answered(&event, now),
            #[cfg(feature = "full")]
            "loaded" => self.loaded(&event, now),
            #[cfg(feature = "full")]
            "saved" => {
                let failed = get(&event, "failed").as_string();
                self.inner.step(Event::Saved(failed.as_deref().map_or(Ok(()), Err)), now)
            }
            "response" => self.response(&event, now),
            "tooLarge" => self.inner.step(Event::TooLarge, now),
            "failed" => self.inner.step(Event::FetchFailed(failure_facts(&event)), now),
            _ => Step::Failed(Error::Internal),
        };
        Ok(self.convert(step, now))
    }

    /// The held token's REST header for a call to `target` (the host's parsed URL):
    /// `{ name, value, generation }`, or undefined without a held token. Throws the error's
    /// fields (ERR_FORBIDDEN_ORIGIN) where the token may not go.
    pub fn authorization(&self, target: &Url) -> Out {
        self.inner.may_send_to(&url_parts(target)).map_err(|e| error_fields(&e))?;
        Ok(match self.inner.authorization() {
            Some((name, generation, value)) => {
                let mut o = Plain::default();
                o.string("name", name);
                o.string("value", &value);
                o.integer("generation", generation.into());
                o.into_js()
            }
            None => JsValue::UNDEFINED,
        })
    }

    /// A REST call with the token of `generation` got `status`: whether to send it again.
    #[wasm_bindgen(js_name = restStatus)]
    pub fn rest_status(&mut self, status: u16, replayable: bool, generation: u32) -> bool {
        self.inner.rest_status(status, replayable, generation)
    }

    /// Drops the held token.
    pub fn invalidate(&mut self) {
        self.inner.invalidate();
    }

    /// The header name a connection's REST calls carry the token in.
    #[wasm_bindgen(getter, js_name = headerName)]
    pub fn header_name(&self) -> Out {
        Ok(self.inner.options().map_or(JsValue::UNDEFINED, |o| text(&o.header_name)))
    }

    /// Until when the held token is reused (epoch ms; -Infinity without one).
    #[wasm_bindgen(getter, js_name = reuseUntil)]
    pub fn reuse_until(&self) -> f64 {
        self.inner.reuse_until()
    }
}

/// The shared cache, the coordinator and discovery (the `full` build).
#[cfg(feature = "full")]
#[wasm_bindgen]
impl Exchange {
    /// The coordinator's object running one ask: api.js's copy of the asker's config, the token
    /// it dropped (if any), and whether it only drops. Throws the error's fields.
    pub fn object(copy: JsValue, drop: Option<String>, drop_only: bool) -> Result<Exchange, JsValue> {
        let (config, options) =
            entries(&copy).and_then(|e| config::parse_connection(&e, &parse_url)).map_err(|e| error_fields(&e))?;
        let drop = drop.map(oauth_token_core::secret::AccessToken::new);
        Ok(Exchange::wrap(exchange::Exchange::object(config, options, drop, drop_only)))
    }

    /// `discover()`'s exchange for api.js's copy of the issuer and options; it ends with
    /// `{ kind: 'discovered', metadata }`. Throws the error's fields for invalid options.
    pub fn discovery(copy: JsValue) -> Result<Exchange, JsValue> {
        let inner = entries(&copy)
            .and_then(|e| config::parse_discovery(e, &parse_url))
            .map(exchange::Exchange::discovery)
            .map_err(|e| error_fields(&e))?;
        Ok(Exchange::wrap(inner))
    }

    /// The shared key's HMAC, `{ secret, input }`, while the key is still to be derived.
    #[wasm_bindgen(getter, js_name = keyInput)]
    pub fn key_input(&self) -> Out {
        Ok(self.inner.key_input().map_or(JsValue::UNDEFINED, |(secret, input)| {
            let mut o = Plain::default();
            o.bytes("secret", secret.expose().as_bytes());
            o.string("input", input);
            o.into_js()
        }))
    }

    /// Derives the shared key from the host's HMAC of `keyInput` (undefined: none).
    pub fn digested(&mut self, digest: Option<Vec<u8>>) {
        self.inner.digested(digest.as_deref());
    }

    /// What `invalidate()` asks the coordinator to drop: `{ key, drop, timeoutMs }`, or
    /// undefined.
    #[wasm_bindgen(getter, js_name = dropAsk)]
    pub fn drop_ask(&self) -> Out {
        Ok(self.inner.drop_ask().map_or(JsValue::UNDEFINED, |(key, token, timeout_ms)| {
            let mut o = Plain::default();
            o.string("key", key);
            o.string("drop", token.expose());
            o.integer("timeoutMs", timeout_ms);
            o.into_js()
        }))
    }

    /// The cache key once derived.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> Out {
        Ok(self.inner.key().map_or(JsValue::UNDEFINED, text))
    }
}

impl Exchange {
    /// Every exchange gets the host's URL parser (a discovered token endpoint goes through it).
    fn wrap(inner: exchange::Exchange) -> Exchange {
        Exchange {
            inner: inner.parse_urls_with(parse_url),
            json: None,
            #[cfg(feature = "full")]
            relayed: JsValue::UNDEFINED,
        }
    }

    /// A stored JSON text (`value`) parsed into an object, or why not: `Err(Missing)` without
    /// one, `Err(Unreadable)` for anything else. A cache entry or an answer holds a token
    /// response one level down, a record two: nested deeper than `limit`, it is not one this
    /// package stored (and api.js freezes a result recursively).
    #[cfg(feature = "full")]
    fn stored_object(event: &JsValue, limit: usize) -> Result<JsValue, CacheRead<'static>> {
        let stored = get(event, "value");
        if stored.is_undefined() || stored.is_null() {
            return Err(CacheRead::Missing);
        }
        let parsed = stored
            .as_string()
            .filter(|s| !response::nests_deeper_than(s, limit))
            .and_then(|s| js_sys::JSON::parse(&s).ok());
        match parsed {
            Some(o) if o.is_object() && !Array::is_array(&o) => Ok(o),
            _ => Err(CacheRead::Unreadable),
        }
    }

    /// The coordinator's answer: `{ value }` (an entry's JSON text), `{ error }` (the fields of
    /// the object's error), or `{ failed }` (why it could not be asked).
    #[cfg(feature = "full")]
    fn answered(&mut self, event: &JsValue, now: f64) -> Step {
        if let Some(reason) = get(event, "failed").as_string() {
            return self.inner.step(Event::Answered(Answer::Failed(&reason)), now);
        }
        let error = get(event, "error");
        if error.is_object() && get(&error, "code").is_string() {
            self.relayed = error;
            return self.inner.step(Event::Answered(Answer::Refused), now);
        }
        match Exchange::stored_object(event, response::MAX_NESTING + 1) {
            Ok(entry) => {
                let members = members(&entry, 1);
                self.json = json_text(&get(&entry, "json"));
                self.inner.step(Event::Answered(Answer::Token(&members)), now)
            }
            Err(_) => self.inner.step(Event::Answered(Answer::Failed("an answer without a token")), now),
        }
    }

    /// The object's record: `{ value }` (its JSON text), nothing, or `{ failed }`.
    #[cfg(feature = "full")]
    fn loaded(&mut self, event: &JsValue, now: f64) -> Step {
        if let Some(reason) = get(event, "failed").as_string() {
            return self.inner.step(Event::Loaded(CacheRead::Failed(&reason)), now);
        }
        match Exchange::stored_object(event, response::MAX_NESTING + 2) {
            Ok(record) => {
                let members = members(&record, 2);
                self.json = json_text(&get(&get(&record, "token"), "json"));
                self.inner.step(Event::Loaded(CacheRead::Found(&members)), now)
            }
            Err(read) => self.inner.step(Event::Loaded(read), now),
        }
    }

    #[cfg(feature = "full")]
    fn cache_read(&mut self, event: &JsValue, now: f64) -> Step {
        if let Some(reason) = get(event, "failed").as_string() {
            return self.inner.step(Event::CacheRead(CacheRead::Failed(&reason)), now);
        }
        match Exchange::stored_object(event, response::MAX_NESTING + 1) {
            Ok(entry) => {
                let members = members(&entry, 1);
                self.json = json_text(&get(&entry, "json"));
                self.inner.step(Event::CacheRead(CacheRead::Found(&members)), now)
            }
            Err(read) => self.inner.step(Event::CacheRead(read), now),
        }
    }

    fn response(&mut self, event: &JsValue, now: f64) -> Step {
        // Anything but a number in 0..=65535 is 0, which the core refuses as no HTTP response.
        let status = get(event, "status").as_f64().filter(|s| (0.0..=65535.0).contains(s)).unwrap_or(0.0) as u16;
        let content_type = get(event, "contentType").as_string();
        #[cfg(feature = "full")]
        let retry_after = get(event, "retryAfter").as_string();
        #[cfg(not(feature = "full"))]
        let retry_after: Option<String> = None;
        let cookies = get(event, "setCookies");
        let set_cookies: Vec<String> = if Array::is_array(&cookies) {
            Array::from(&cookies).iter().filter_map(|c| c.as_string()).collect()
        } else {
            Vec::new()
        };
        let body = get(event, "body").dyn_into::<Uint8Array>().map(|b| b.to_vec()).unwrap_or_default();
        let text = response::json_text(&body, content_type.as_deref());
        let json = text.map_or(Json::Invalid, read_json);
        // Kept for the result's `json` (or the discovered metadata) when it is an object.
        self.json = text.filter(|_| matches!(json, Json::Object(_))).map(str::to_owned);
        let r = Response {
            status,
            opaque_redirect: get(event, "opaqueRedirect").as_bool().unwrap_or(false),
            content_type: content_type.as_deref(),
            set_cookies: &set_cookies,
            body: &body,
            json,
            retry_after: retry_after.as_deref(),
        };
        self.inner.step(Event::Response(r), now)
    }

    /// A core step as api.js's plain object (`now`: for a cache write that fails before it starts).
    #[cfg_attr(not(feature = "full"), allow(unused_variables))]
    fn convert(&mut self, step: Step, now: f64) -> JsValue {
        self.plain(step, now).into_js()
    }

    #[cfg_attr(not(feature = "full"), allow(unused_variables))]
    fn plain(&mut self, step: Step, now: f64) -> Plain {
        match step {
            Step::Fetch(f) => fetch_step("fetch", f),
            #[cfg(feature = "full")]
            Step::Discover(f) => fetch_step("discover", f),
            #[cfg(feature = "full")]
            Step::Wait { ms } => {
                let mut o = Plain::step("wait");
                o.integer("ms", ms);
                o
            }
            #[cfg(feature = "full")]
            Step::Discovered => {
                let mut o = Plain::step("discovered");
                o.json("metadata", self.json.take().as_deref());
                o
            }
            #[cfg(feature = "full")]
            Step::KeyedDigest { secret, input } => {
                let mut o = Plain::step("keyedDigest");
                o.bytes("secret", secret.expose().as_bytes());
                o.string("input", &input);
                o
            }
            #[cfg(feature = "full")]
            Step::Ask { key, drop, timeout_ms } => {
                let mut o = Plain::step("ask");
                o.string("key", &key);
                if let Some(d) = drop {
                    o.string("drop", d.expose());
                }
                o.integer("timeoutMs", timeout_ms);
                o
            }
            #[cfg(feature = "full")]
            Step::Relayed => {
                self.json = None;
                let mut o = Plain::step("failed");
                o.value("error", core::mem::replace(&mut self.relayed, JsValue::UNDEFINED));
                o
            }
            #[cfg(feature = "full")]
            Step::Load { key } => {
                let mut o = Plain::step("load");
                o.string("key", &key);
                o
            }
            #[cfg(feature = "full")]
            Step::Save { key, record } => match record_text(&record, self.json.as_deref()) {
                Some(value) => {
                    let mut o = Plain::step("save");
                    o.string("key", &key);
                    if let Some(v) = value {
                        o.string("value", &v);
                    }
                    o
                }
                None => {
                    let next = self.inner.step(Event::Saved(Err("the token response cannot be stored as JSON")), now);
                    self.plain(next, now)
                }
            },
            #[cfg(feature = "full")]
            Step::Answer(token) => {
                let json = self.json.take();
                let mut o = Plain::step("answer");
                if let Some(v) = token.and_then(|t| json_text(&entry(&t, json.as_deref()).into_js())) {
                    o.string("value", &v);
                }
                o
            }
            #[cfg(feature = "full")]
            Step::CacheGet { key, timeout_ms } => {
                let mut o = Plain::step("cacheGet");
                o.string("key", &key);
                o.integer("timeoutMs", timeout_ms.into());
                o
            }
            #[cfg(feature = "full")]
            Step::CachePut { key, token, ttl_seconds, timeout_ms } => match entry_text(&token, self.json.as_deref()) {
                Some(value) => {
                    let mut o = Plain::step("cachePut");
                    o.string("key", &key);
                    o.string("value", &value);
                    o.integer("expirationTtl", ttl_seconds);
                    o.integer("timeoutMs", timeout_ms.into());
                    o
                }
                // Not writable: the write failed before it began.
                None => {
                    let next =
                        self.inner.step(Event::CacheWritten(Err("the token response cannot be stored as JSON")), now);
                    self.plain(next, now)
                }
            },
            #[cfg(feature = "full")]
            Step::Sign(Sign::Prepare { key, algorithm, certificate, random_bytes }) => {
                let mut o = Plain::step("sign");
                o.nest("importAlgorithm", webcrypto(algorithm.import()));
                o.integer("randomBytes", random_bytes as u64);
                if let Some(key) = key {
                    let mut k = Plain::default();
                    match &key {
                        KeyImport::Pkcs8(der) => {
                            k.string("format", "pkcs8");
                            k.bytes("data", der);
                        }
                        KeyImport::Raw(bytes) => {
                            k.string("format", "raw");
                            k.bytes("data", bytes);
                        }
                        KeyImport::Jwk(members) => {
                            k.string("format", "jwk");
                            let mut jwk = JsonObject::default();
                            for (n, v) in members {
                                jwk.string(n, v);
                            }
                            k.json.object("data", jwk);
                        }
                    }
                    o.nest("key", k);
                }
                if let Some(der) = certificate {
                    o.bytes("certificate", &der);
                }
                o
            }
            #[cfg(feature = "full")]
            Step::Sign(Sign::Input { algorithm, input }) => {
                let mut o = Plain::step("sign");
                o.nest("algorithm", webcrypto(algorithm.sign()));
                o.bytes("input", input.as_bytes());
                o
            }
            Step::Done(token) => {
                // The response's JSON, or the cache entry's (the core's `token.source`).
                let json = self.json.take();
                let mut o = Plain::step("done");
                o.nest("result", result(&token, json.as_deref()));
                o.number("reuseUntil", token.reuse_until);
                o
            }
            Step::Failed(e) => {
                self.json = None;
                let mut o = Plain::step("failed");
                o.nest("error", described_fields(&e, self.inner.describe(&e)));
                o
            }
        }
    }
}

/// A fetch step (the token request, or a metadata request) as api.js's plain object.
fn fetch_step(kind: &str, f: exchange::Fetch) -> Plain {
    let r = f.request;
    let mut init = Plain::default();
    init.string("method", r.method);
    init.json.pairs("headers", r.headers.iter().map(|(n, v)| (*n, v.as_str())));
    if r.method != "GET" {
        init.string("body", &r.body);
    }
    for (k, v) in oauth_token_core::request::FETCH_OPTIONS {
        init.string(k, v);
    }
    let mut o = Plain::step(kind);
    o.string("url", &r.url);
    o.nest("init", init);
    o.integer("timeoutMs", f.timeout_ms);
    o.integer("maxBytes", f.max_bytes);
    o
}

/// The request `requestToken` would send for api.js's copy of a config, secrets masked; nothing
/// is sent. An invalid config throws the error's fields. In the `full` build only.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = previewRequest, skip_typescript)]
pub fn preview_request(copy: JsValue, now: f64) -> Out {
    let config = entries(&copy).and_then(|e| config::parse(&e, &parse_url)).map_err(|e| error_fields(&e))?;
    let p = oauth_token_core::preview::preview(&config);
    let mut o = Plain::default();
    o.string("method", p.method);
    o.string("url", &p.url);
    o.json.pairs("headers", p.headers.iter().map(|(n, v)| (*n, v.as_str())));
    o.string("body", &p.body);
    let mut fetch_options = Plain::default();
    for (k, v) in oauth_token_core::request::FETCH_OPTIONS {
        fetch_options.string(k, v);
    }
    o.nest("fetchOptions", fetch_options);
    o.json.strings("notes", p.notes.iter().map(String::as_str));
    // A signed assertion, decoded: the JSON the core wrote, parsed; the signature masked.
    if let Some((header, claims)) = oauth_token_core::assertion::preview(&config, now) {
        let parse = |json: &str| js_sys::JSON::parse(json).unwrap_or(JsValue::UNDEFINED);
        let mut assertion = Plain::default();
        assertion.value("header", parse(&header));
        assertion.value("claims", parse(&claims));
        assertion.string("signature", oauth_token_core::preview::MASK);
        o.nest("assertion", assertion);
    }
    Ok(o.into_js())
}

/// The error for a config api.js could not copy, from the copy's account of why: `threw` (the
/// error's name), `tooLarge`, or `loneSurrogate` (the field).
#[wasm_bindgen(js_name = copyFailed, skip_typescript)]
pub fn copy_failed(copy: JsValue) -> Out {
    let threw = get(&copy, "threw").as_string();
    let surrogate = get(&copy, "loneSurrogate").as_string();
    let failure = match (&threw, &surrogate) {
        (Some(name), _) => config::CopyFailure::Threw(name),
        (None, Some(field)) => config::CopyFailure::LoneSurrogate(field),
        (None, None) => config::CopyFailure::TooLarge,
    };
    Ok(error_fields(&config::copy_failed(failure)))
}

#[cfg(test)]
mod tests {
    //! The conversions, under wasm-bindgen-test: each step leaves as the plain object api.js
    //! reads, and each event object api.js makes arrives as the core's event.
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn object(members: &[(&str, JsValue)]) -> JsValue {
        let o: JsValue = Object::new().into();
        for (k, v) in members {
            set(&o, k, v);
        }
        o
    }

    fn copy(extra: &[(&str, JsValue)]) -> JsValue {
        let o = object(&[
            ("tokenEndpoint", text("https://auth.example.com/token")),
            ("clientId", text("aaa/;&")),
            ("clientSecret", text("bbb/;&")),
        ]);
        for (k, v) in extra {
            set(&o, k, v);
        }
        o
    }

    fn s(v: &JsValue, key: &str) -> String {
        get(v, key).as_string().unwrap_or_default()
    }

    fn body_event(status: u16, body: &str) -> JsValue {
        object(&[
            ("kind", text("response")),
            ("status", JsValue::from(status)),
            ("contentType", text("application/json")),
            ("setCookies", Array::of1(&text("sid=1; Domain=evil.example")).into()),
            ("body", Uint8Array::from(body.as_bytes()).into()),
        ])
    }

    fn start(ex: &mut Exchange) -> JsValue {
        ex.step(object(&[("kind", text("start"))]), 1_700_000_000_000.0).unwrap()
    }

    const TOKEN: &str = r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":"3599","refresh_token":"rt","nested":{"a":[1,2]}}"#;

    #[wasm_bindgen_test]
    fn the_fetch_step_has_named_fields() {
        let mut ex =
            Exchange::new(copy(&[("scope", text("read  write")), ("timeoutSeconds", 2.5.into())]), false).unwrap();
        let step = start(&mut ex);
        assert_eq!(s(&step, "kind"), "fetch");
        assert_eq!(s(&step, "url"), "https://auth.example.com/token");
        assert_eq!(get(&step, "timeoutMs").as_f64(), Some(2500.0));
        assert_eq!(get(&step, "maxBytes").as_f64(), Some(1_048_576.0));
        let init = get(&step, "init");
        assert_eq!(
            (s(&init, "method"), s(&init, "redirect"), s(&init, "credentials"), s(&init, "cache")),
            ("POST".into(), "manual".into(), "omit".into(), "no-store".into())
        );
        assert_eq!(s(&init, "body"), "grant_type=client_credentials&scope=read+write");
        let headers: Vec<String> = Array::from(&get(&init, "headers"))
            .iter()
            .map(|h| Array::from(&h).iter().filter_map(|x| x.as_string()).collect::<Vec<_>>().join(": "))
            .collect();
        assert_eq!(
            headers,
            [
                "Content-Type: application/x-www-form-urlencoded;charset=UTF-8",
                "Accept: application/json",
                "Authorization: Basic YWFhJTJGJTNCJTI2OmJiYiUyRiUzQiUyNg==",
            ]
        );
    }

    #[wasm_bindgen_test]
    fn the_done_step_carries_the_result() {
        let mut ex = Exchange::new(copy(&[]), false).unwrap();
        start(&mut ex);
        let step = ex.step(body_event(200, TOKEN), 1_000.0).unwrap();
        assert_eq!(s(&step, "kind"), "done");
        let r = get(&step, "result");
        assert_eq!(
            (s(&r, "accessToken"), s(&r, "tokenType"), s(&r, "refreshToken")),
            ("tok-1".into(), "Bearer".into(), "rt".into())
        );
        assert_eq!(get(&r, "expiresIn").as_f64(), Some(3599.0));
        assert_eq!(get(&r, "expiresAt").as_f64(), Some(1_000.0 + 3_599_000.0));
        assert!(get(&r, "scope").is_undefined() && !has_own(&r, "scope"));
        assert_eq!(js_sys::JSON::stringify(&get(&r, "json")).unwrap().as_string().unwrap(), TOKEN);
        let warnings = Array::from(&get(&r, "warnings"));
        assert_eq!(warnings.length(), 1);
        assert!(warnings.get(0).as_string().unwrap().starts_with("Cookie rejected"));
    }

    #[wasm_bindgen_test]
    fn failures_carry_code_message_and_hint() {
        let mut ex = Exchange::new(copy(&[]), false).unwrap();
        start(&mut ex);
        let step = ex.step(body_event(404, "{}"), 0.0).unwrap();
        let e = get(&step, "error");
        assert_eq!((s(&step, "kind"), s(&e, "code")), ("failed".into(), "ERR_HTTP_STATUS".into()));
        assert_eq!(get(&e, "status").as_f64(), Some(404.0));
        assert!(s(&e, "hint").contains("path"), "{}", s(&e, "hint"));

        let mut ex = Exchange::new(copy(&[]), false).unwrap();
        start(&mut ex);
        let failed = object(&[
            ("kind", text("failed")),
            ("message", text("fetch failed")),
            ("causeCodes", Array::of1(&text("UNABLE_TO_VERIFY_LEAF_SIGNATURE")).into()),
        ]);
        let e = get(&ex.step(failed, 0.0).unwrap(), "error");
        assert_eq!(s(&e, "code"), "ERR_TLS");
        // An event it cannot read is the driver's bug, said as such.
        let step = ex.step(object(&[("kind", text("nonsense"))]), 0.0).unwrap();
        assert_eq!(s(&get(&step, "error"), "code"), "ERR_INTERNAL");
    }

    #[wasm_bindgen_test]
    fn invalid_copies_throw_the_error_fields() {
        for bad in [JsValue::NULL, JsValue::from(5), Array::new().into(), text("x")] {
            let e = Exchange::new(bad, false).err().unwrap();
            assert_eq!(s(&e, "code"), "ERR_INVALID_CONFIG");
            assert!(s(&e, "message").starts_with("config must be an object"));
        }
        let e = Exchange::new(copy(&[("sslMode", text("trust"))]), false).err().unwrap();
        assert_eq!(s(&e, "code"), "ERR_UNSUPPORTED_SSL_MODE");
        assert!(!s(&e, "hint").is_empty());
        assert_eq!(s(&copy_failed(object(&[("threw", text("TypeError"))])).unwrap(), "code"), "ERR_INVALID_CONFIG");
    }

    #[wasm_bindgen_test]
    fn a_connection_hands_out_the_held_tokens_header() {
        let mut ex = Exchange::new(copy(&[("headerName", text("X-Token"))]), true).unwrap();
        let url = |href| Url::new(href).unwrap();
        let api = &url("https://api.example.com/v1");
        assert!(ex.authorization(api).unwrap().is_undefined());
        start(&mut ex);
        ex.step(body_event(200, TOKEN), 0.0).unwrap();
        let e = ex.authorization(&url("http://api.example.com/v1")).err().unwrap();
        assert_eq!(s(&e, "code"), "ERR_FORBIDDEN_ORIGIN");
        let auth = ex.authorization(api).unwrap();
        assert_eq!((s(&auth, "name"), s(&auth, "value")), ("X-Token".into(), "Bearer tok-1".into()));
        let generation = get(&auth, "generation").as_f64().unwrap() as u32;
        assert!(ex.rest_status(401, true, generation));
        assert!(ex.authorization(api).unwrap().is_undefined());
    }

    fn kv() -> JsValue {
        let f = get(&js_sys::global(), "Object");
        object(&[("get", f.clone()), ("put", f)])
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn the_cache_entry_leaves_the_refresh_token_out() {
        let mut ex = Exchange::new(copy(&[("cache", kv())]), true).unwrap();
        let keyed = start(&mut ex);
        assert_eq!(s(&keyed, "kind"), "keyedDigest");
        let secret = get(&keyed, "secret").dyn_into::<Uint8Array>().unwrap().to_vec();
        assert!(String::from_utf8(secret).unwrap().contains("client_secret=6:bbb/;&\n"));
        let get_step = ex.step(digested(7), 0.0).unwrap();
        assert_eq!(s(&get_step, "kind"), "cacheGet");
        assert!(s(&get_step, "key").starts_with("otc:v2:0707"));
        ex.step(object(&[("kind", text("cacheRead"))]), 0.0).unwrap();
        let put = ex.step(body_event(200, TOKEN), 0.0).unwrap();
        assert_eq!(s(&put, "kind"), "cachePut");
        assert_eq!(get(&put, "expirationTtl").as_f64(), Some(3599.0));
        let value = s(&put, "value");
        assert!(value.contains("tok-1") && value.contains("nested") && !value.contains("rt"), "{value}");
        let done = ex.step(object(&[("kind", text("cacheWritten"))]), 0.0).unwrap();
        assert_eq!(s(&get(&done, "result"), "refreshToken"), "rt", "the caller's result keeps it");
    }

    /// RFC 7515 Appendix A.3's example P-256 key, as SEC1 PEM (a published test key).
    #[cfg(feature = "full")]
    const SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEII6bEJ5xkJi/mASH3x9dd+nLKWBuvtImO19XwhPfhPSyoAoGCCqGSM49
AwEHoUQDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEXH8UTNG72b
focs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END EC PRIVATE KEY-----
";

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn the_sign_step_and_the_signed_event_have_named_fields() {
        let key = text(SEC1);
        let mut ex = Exchange::new(
            copy(&[
                ("clientSecret", JsValue::UNDEFINED),
                ("clientAuthentication", text("private_key_jwt")),
                ("privateKey", key),
                ("keyId", text("k1")),
            ]),
            false,
        )
        .unwrap();
        // Round 1: import the PKCS#8 the core made of the SEC1 key, answer 16 random bytes.
        let prepare = start(&mut ex);
        assert_eq!(s(&prepare, "kind"), "sign");
        assert_eq!(get(&prepare, "randomBytes").as_f64(), Some(16.0));
        let import = get(&prepare, "importAlgorithm");
        assert_eq!((s(&import, "name"), s(&import, "namedCurve")), ("ECDSA".into(), "P-256".into()));
        let k = get(&prepare, "key");
        assert_eq!(s(&k, "format"), "pkcs8");
        let der = get(&k, "data").dyn_into::<Uint8Array>().unwrap().to_vec();
        assert_eq!(&der[..2], &[0x30, 0x81], "a PKCS#8 SEQUENCE");
        assert!(get(&prepare, "input").is_undefined() && get(&prepare, "certificate").is_undefined());
        // Round 2: sign this input with ECDSA/SHA-256.
        let random = object(&[("kind", text("signed")), ("random", Uint8Array::from(&[0u8; 16][..]).into())]);
        let sign = ex.step(random, 1_700_000_000_000.0).unwrap();
        assert_eq!(s(&sign, "kind"), "sign");
        let alg = get(&sign, "algorithm");
        assert_eq!((s(&alg, "name"), s(&alg, "hash")), ("ECDSA".into(), "SHA-256".into()));
        let input = String::from_utf8(get(&sign, "input").dyn_into::<Uint8Array>().unwrap().to_vec()).unwrap();
        assert!(input.starts_with("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."), "{input}");
        // The signature: the fetch with the assertion.
        let signature = object(&[("kind", text("signed")), ("signature", Uint8Array::from(&[1u8; 64][..]).into())]);
        let fetch = ex.step(signature, 1_700_000_000_000.0).unwrap();
        assert_eq!(s(&fetch, "kind"), "fetch");
        let body = s(&get(&fetch, "init"), "body");
        assert!(body.contains("&client_assertion=eyJ") && body.ends_with("&client_id=aaa%2F%3B%26"), "{body}");
        // A failure names its stage and the error's name only.
        let mut ex =
            Exchange::new(copy(&[("clientSecret", JsValue::UNDEFINED), ("privateKey", text(SEC1))]), false).unwrap();
        start(&mut ex);
        let failed =
            object(&[("kind", text("signed")), ("failed", text("NotSupportedError")), ("stage", text("import"))]);
        let e = get(&ex.step(failed, 0.0).unwrap(), "error");
        assert_eq!(s(&e, "code"), "ERR_UNSUPPORTED_ALGORITHM");
        // An answer without any of its fields is the driver's bug.
        let mut ex =
            Exchange::new(copy(&[("clientSecret", JsValue::UNDEFINED), ("privateKey", text(SEC1))]), false).unwrap();
        start(&mut ex);
        let e = get(&ex.step(object(&[("kind", text("signed"))]), 0.0).unwrap(), "error");
        assert_eq!(s(&e, "code"), "ERR_INTERNAL");
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn the_preview_decodes_the_assertion() {
        let p = preview_request(
            copy(&[("clientSecret", JsValue::UNDEFINED), ("privateKey", text(SEC1))]),
            1_700_000_000_000.0,
        )
        .unwrap();
        let a = get(&p, "assertion");
        assert_eq!(s(&get(&a, "header"), "alg"), "ES256");
        assert_eq!(get(&get(&a, "claims"), "iat").as_f64(), Some(1_700_000_000.0));
        assert_eq!(s(&a, "signature"), "********");
        assert!(s(&p, "body").contains("client_assertion=********"));
    }

    #[cfg(feature = "full")]
    fn digested(byte: u8) -> JsValue {
        object(&[("kind", text("digested")), ("digest", Uint8Array::from(&[byte; 32][..]).into())])
    }

    #[cfg(feature = "full")]
    fn namespace() -> JsValue {
        let f = get(&js_sys::global(), "Object");
        object(&[("idFromName", f.clone()), ("get", f)])
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn a_connection_asks_its_coordinator_and_relays_its_error() {
        let mut ex = Exchange::new(copy(&[("coordinator", namespace())]), true).unwrap();
        start(&mut ex);
        let ask = ex.step(digested(3), 0.0).unwrap();
        assert_eq!((s(&ask, "kind"), get(&ask, "drop").is_undefined()), ("ask".into(), true));
        assert!(s(&ask, "key").starts_with("otc:v2:0303"));
        assert_eq!(get(&ask, "timeoutMs").as_f64(), Some(32_000.0));
        let entry = r#"{"accessToken":"tok-c","tokenType":"Bearer","expiresIn":600,"expiresAt":1700000600000,"json":{"access_token":"tok-c","n":1},"warnings":[]}"#;
        let done = ex.step(object(&[("kind", text("answered")), ("value", text(entry))]), 1_700_000_000_000.0).unwrap();
        assert_eq!(s(&done, "kind"), "done");
        let r = get(&done, "result");
        assert_eq!(s(&r, "accessToken"), "tok-c");
        assert_eq!(get(&get(&r, "json"), "n").as_f64(), Some(1.0), "the entry's JSON");
        // invalidate(): what to drop in the object.
        ex.invalidate();
        let drop = ex.drop_ask().unwrap();
        assert_eq!((s(&drop, "drop"), s(&drop, "key")), ("tok-c".into(), s(&ask, "key")));
        // The object's own failure is the run's, with its fields as they came.
        let ask = start(&mut ex);
        assert_eq!(s(&ask, "drop"), "tok-c");
        let fields = object(&[("code", text("ERR_OAUTH")), ("error", text("invalid_grant")), ("message", text("m"))]);
        let failed = ex.step(object(&[("kind", text("answered")), ("error", fields)]), 0.0).unwrap();
        assert_eq!(s(&failed, "kind"), "failed");
        assert_eq!(s(&get(&failed, "error"), "error"), "invalid_grant");
        // An object that could not be asked: the endpoint.
        start(&mut ex);
        let fetch = ex.step(object(&[("kind", text("answered")), ("failed", text("TypeError"))]), 0.0).unwrap();
        assert_eq!(s(&fetch, "kind"), "fetch");
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn the_object_saves_the_refresh_token_and_answers_without_it() {
        let mut ex = Exchange::object(copy(&[]), None, false).unwrap();
        start(&mut ex);
        let load = ex.step(digested(4), 0.0).unwrap();
        assert_eq!(s(&load, "kind"), "load");
        let fetch = ex.step(object(&[("kind", text("loaded"))]), 0.0).unwrap();
        assert_eq!(s(&fetch, "kind"), "fetch");
        let save = ex.step(body_event(200, TOKEN), 0.0).unwrap();
        assert_eq!((s(&save, "kind"), s(&save, "key")), ("save".into(), s(&load, "key")));
        let record = js_sys::JSON::parse(&s(&save, "value")).unwrap();
        assert_eq!(s(&record, "refreshToken"), "rt");
        assert_eq!(s(&get(&record, "token"), "accessToken"), "tok-1");
        assert!(get(&get(&get(&record, "token"), "json"), "refresh_token").is_undefined());
        let answer = ex.step(object(&[("kind", text("saved"))]), 0.0).unwrap();
        assert_eq!(s(&answer, "kind"), "answer");
        let value = s(&answer, "value");
        assert!(value.contains("tok-1") && value.contains("nested") && !value.contains("rt"), "{value}");

        // The next ask finds the record and drops its token: saved without it.
        let mut ex = Exchange::object(copy(&[]), Some("tok-1".into()), true).unwrap();
        start(&mut ex);
        ex.step(digested(4), 0.0).unwrap();
        let save = ex.step(object(&[("kind", text("loaded")), ("value", text(&s(&save, "value")))]), 0.0).unwrap();
        assert_eq!(s(&save, "value"), r#"{"refreshToken":"rt"}"#);
        let answer = ex.step(object(&[("kind", text("saved")), ("failed", text("Error"))]), 0.0).unwrap();
        assert!(get(&answer, "value").is_undefined());
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn the_object_discovers_and_retries_for_its_asker() {
        let c = copy(&[("retry", object(&[])), ("tokenEndpoint", JsValue::UNDEFINED)]);
        set(&c, "issuer", &text("https://as.example.com/t"));
        let mut ex = Exchange::object(c, None, false).unwrap();
        start(&mut ex);
        assert_eq!(s(&ex.step(digested(5), 0.0).unwrap(), "kind"), "load");
        let step = ex.step(object(&[("kind", text("loaded"))]), 0.0).unwrap();
        assert_eq!(s(&step, "kind"), "discover");
        let metadata = r#"{"issuer":"https://as.example.com/t","token_endpoint":"https://as.example.com/t/token"}"#;
        let fetch = ex.step(body_event(200, metadata), 0.0).unwrap();
        assert_eq!((s(&fetch, "kind"), s(&fetch, "url")), ("fetch".into(), "https://as.example.com/t/token".into()));
        let busy = object(&[("kind", text("response")), ("status", 503.into()), ("retryAfter", text("1"))]);
        let wait = ex.step(busy, 0.0).unwrap();
        assert_eq!((s(&wait, "kind"), get(&wait, "ms").as_f64()), ("wait".into(), Some(1000.0)));
        assert_eq!(s(&ex.step(object(&[("kind", text("waited"))]), 1000.0).unwrap(), "kind"), "fetch");
        assert_eq!(s(&ex.step(body_event(200, TOKEN), 1000.0).unwrap(), "kind"), "save");
        let answer = ex.step(object(&[("kind", text("saved"))]), 1000.0).unwrap();
        let value = s(&answer, "value");
        assert!(value.contains("tok-1") && value.contains("retried after HTTP 503"), "{value}");
    }

    #[cfg(feature = "full")]
    #[wasm_bindgen_test]
    fn discovery_and_retry_steps_have_named_fields() {
        let c = copy(&[("retry", object(&[])), ("tokenEndpoint", JsValue::UNDEFINED)]);
        set(&c, "issuer", &text("https://as.example.com/t"));
        let mut ex = Exchange::new(c, false).unwrap();
        let step = ex.step(object(&[("kind", text("start")), ("random", 0.5.into())]), 0.0).unwrap();
        assert_eq!(s(&step, "kind"), "discover");
        assert_eq!(s(&step, "url"), "https://as.example.com/.well-known/oauth-authorization-server/t");
        let init = get(&step, "init");
        assert_eq!((s(&init, "method"), s(&init, "redirect")), ("GET".into(), "manual".into()));
        assert!(!has_own(&init, "body"), "a GET has no body");
        let busy = object(&[("kind", text("response")), ("status", 503.into()), ("retryAfter", text("2"))]);
        let wait = ex.step(busy, 0.0).unwrap();
        assert_eq!((s(&wait, "kind"), get(&wait, "ms").as_f64()), ("wait".into(), Some(2000.0)));
        assert_eq!(s(&ex.step(object(&[("kind", text("waited"))]), 2000.0).unwrap(), "kind"), "discover");

        let mut d = Exchange::discovery(object(&[("issuer", text("https://as.example.com/t"))])).unwrap();
        start(&mut d);
        let metadata =
            r#"{"issuer":"https://as.example.com/t","token_endpoint":"https://as.example.com/t/token","x":[1]}"#;
        let done = d.step(body_event(200, metadata), 0.0).unwrap();
        assert_eq!(s(&done, "kind"), "discovered");
        assert_eq!(js_sys::JSON::stringify(&get(&done, "metadata")).unwrap().as_string().unwrap(), metadata);
    }

    #[cfg(not(feature = "full"))]
    #[wasm_bindgen_test]
    fn the_default_build_refuses_signing_settings_by_name() {
        for key in ["privateKey", "serviceAccount", "keyId"] {
            let e = Exchange::new(copy(&[(key, text("x"))]), false).err().unwrap();
            assert!(s(&e, "message").starts_with(key), "{}", s(&e, "message"));
            assert!(s(&e, "message").contains("'oauth-token-connection/full'"), "{}", s(&e, "message"));
        }
    }

    #[cfg(not(feature = "full"))]
    #[wasm_bindgen_test]
    fn the_default_build_refuses_a_coordinator_by_name() {
        let ns = object(&[("idFromName", get(&js_sys::global(), "Object")), ("get", get(&js_sys::global(), "Object"))]);
        let e = Exchange::new(copy(&[("coordinator", ns)]), true).err().unwrap();
        assert!(s(&e, "message").starts_with("coordinator is in the 'oauth-token-connection/full' entry"));
    }

    #[cfg(not(feature = "full"))]
    #[wasm_bindgen_test]
    fn the_default_build_refuses_issuer_and_retry_by_name() {
        let e = Exchange::new(copy(&[("retry", object(&[]))]), false).err().unwrap();
        assert!(
            s(&e, "message").starts_with("retry is in the 'oauth-token-connection/full' entry"),
            "{}",
            s(&e, "message")
        );
        let e = Exchange::new(copy(&[("issuer", text("https://as.example.com"))]), false).err().unwrap();
        assert!(s(&e, "message").contains("oauth-token-connection/full"), "{}", s(&e, "message"));
    }

    #[cfg(not(feature = "full"))]
    #[wasm_bindgen_test]
    fn the_default_build_refuses_a_cache_by_name() {
        let e = Exchange::new(copy(&[("cache", kv())]), true).err().unwrap();
        assert!(s(&e, "message").contains("oauth-token-connection/full"), "{}", s(&e, "message"));
        assert!(Exchange::new(copy(&[("cache", JsValue::NULL)]), true).is_ok());
    }
}

//! The wasm adapter: converts JavaScript values to core types and back, calls the host's global
//! `fetch`, reads the body within its limit and maps core errors to JavaScript errors. OAuth
//! decisions live in the core; nothing here may panic (a panic traps and kills the instance).

#[allow(unused_imports)]
use crate::prelude::*;

use core::future::Future;
use core::pin::Pin;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, ReadableStreamDefaultReader, Response};

use crate::config::{self, Config, UrlParts};
use crate::error::{classify_fetch_failure, Error, FetchFailure};
use crate::request::{self, HttpRequest};
use crate::response::{self, HttpResponse, TokenResponse};
use crate::value::{Json, Value};
use crate::cookies;

mod connection;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Settings of the connection; see README.md for the mapping to the connection's settings. */
export interface TokenRequestConfig {
  /** Absolute https: URL of the token endpoint (http: only for loopback development hosts). */
  tokenEndpoint: string;
  /** RFC 6749 §4.4 (default), §4.3, or §6 (with `refreshToken`). */
  grantType?: 'client_credentials' | 'password' | 'refresh_token';
  /** Entered decoded; every encoding is done for you. */
  clientId: string;
  /** Entered decoded. Optional only for a public client: password grant with body authentication. */
  clientSecret?: string;
  /** Space-delimited, case-sensitive scope tokens (RFC 6749 §3.3). */
  scope?: string;
  /** Resource owner's user name (password grant). */
  username?: string;
  /** Resource owner's password (password grant). */
  password?: string;
  /** The refresh token (grantType 'refresh_token', RFC 6749 §6). */
  refreshToken?: string;
  /**
   * Further token request parameters, e.g. `{ audience: '...' }` or RFC 8707
   * `{ resource: ['https://a/', 'https://b/'] }` (an array repeats the parameter). The names the
   * request sets itself (grant_type, client_id, client_secret, scope, username, password,
   * refresh_token) are refused with ERR_INVALID_CONFIG.
   */
  extraParams?: Record<string, string | readonly string[]>;
  /** HTTP Basic header (default) or client_id/client_secret in the body (RFC 6749 §2.3.1). */
  clientAuthentication?: 'header' | 'body';
  /** 'form' (default, RFC 6749 §2.3.1) form-urlencodes id and secret inside Basic; 'none' sends them as is. */
  basicEncoding?: 'form' | 'none';
  /** Only 'verify' works on fetch-based hosts; 'trust' and 'off' fail with ERR_UNSUPPORTED_SSL_MODE. */
  sslMode?: 'verify' | 'trust' | 'off';
  /** Timeout of the whole request in seconds, default 30. */
  timeoutSeconds?: number;
  /** Suppress the "Cookie rejected" warnings, default false. */
  ignoreCookiesPolicy?: boolean;
  /** Largest accepted response body in bytes, default 1048576 (1 MiB). */
  maxResponseBytes?: number;
  /**
   * Aborts the request (`requestToken` and `previewRequest` only; `createConnection` refuses it):
   * ERR_ABORTED with the signal's `reason` as `cause`. An already-aborted signal sends nothing.
   */
  signal?: AbortSignal;
}

/** `requestToken`'s settings (without `signal`) plus the connection's own options. */
export interface ConnectionConfig extends Omit<TokenRequestConfig, 'signal'> {
  /** Renew this many seconds before expiry (default 60, at most half the token's lifetime). */
  refreshSkewSeconds?: number;
  /** Header that carries the token on REST calls (default 'Authorization'). */
  headerName?: string;
  /** Written before the token (default: the token type, 'bearer' sent as 'Bearer'); '' sends the token alone. */
  headerPrefix?: string;
  /**
   * A store shared by many connections, e.g. a Workers KV namespace binding, so that isolates
   * share one token. It holds the token result without its refresh token: whoever can read it
   * can use the token. Not with grantType 'refresh_token'. See README, "Sharing one token".
   */
  cache?: TokenCache;
}

/**
 * The Workers KV shape `createConnection`'s `cache` needs (a `KVNamespace` fits). Keys are
 * `otc:v1:<hex SHA-256>`; values are JSON strings. A get or put that throws, rejects or takes
 * longer than 2 s is skipped (a warning in the result), never an error.
 */
export interface TokenCache {
  get(key: string): Promise<string | null | undefined> | string | null | undefined;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown> | unknown;
}

/** A token response (RFC 6749 §5.1). */
export interface TokenResult {
  accessToken: string;
  /** As the server spelled it, e.g. "Bearer" or "bearer". */
  tokenType: string;
  /** Lifetime in seconds, as sent. */
  expiresIn?: number;
  /** Expiry in epoch milliseconds (host clock at receipt + expiresIn). */
  expiresAt?: number;
  /** Granted scope, when the server sent one. */
  scope?: string;
  refreshToken?: string;
  /** The endpoint's JSON object, verbatim: what a JSON extract consumes. */
  json: Record<string, unknown>;
  /** E.g. `Cookie rejected: Illegal 'domain' attribute "x". Domain of origin: "y"`. */
  warnings: string[];
}

/** Stable error codes. */
export type OAuthTokenErrorCode =
  | 'ERR_INVALID_CONFIG'
  | 'ERR_UNSUPPORTED_SSL_MODE'
  | 'ERR_INSECURE_ENDPOINT'
  | 'ERR_NETWORK'
  | 'ERR_TLS'
  | 'ERR_TIMEOUT'
  | 'ERR_UNEXPECTED_REDIRECT'
  | 'ERR_OAUTH'
  | 'ERR_HTTP_STATUS'
  | 'ERR_INVALID_RESPONSE'
  | 'ERR_RESPONSE_TOO_LARGE'
  | 'ERR_ABORTED';

/** What previewRequest returns: the request requestToken would send, secrets masked. */
export interface RequestPreview {
  method: 'POST';
  url: string;
  /** [name, value] in sending order; Authorization reads `Basic base64(<client id as encoded>:********)`. */
  headers: [string, string][];
  /** The form body as sent, except that client_secret, password and refresh_token read `********`. */
  body: string;
  /** The fetch options every token request uses. */
  fetchOptions: { redirect: 'manual'; credentials: 'omit'; cache: 'no-store' };
  /** Plain-language notes on the encodings applied; never a secret. */
  notes: string[];
}
"#;

#[wasm_bindgen]
extern "C" {
    /// The host's global fetch (window, worker, Node.js, workerd alike).
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &str, init: &Object) -> Result<Promise, JsValue>;

    /// The host's WHATWG URL parser.
    #[wasm_bindgen(js_name = URL)]
    type Url;
    #[wasm_bindgen(constructor, catch, js_class = "URL")]
    fn new(input: &str) -> Result<Url, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn href(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn protocol(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn hostname(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn username(this: &Url) -> String;
    #[wasm_bindgen(method, getter)]
    fn password(this: &Url) -> String;

    /// `Headers.getSetCookie()`, which web-sys does not bind (Node.js, Deno, Bun, workerd).
    #[wasm_bindgen(extends = web_sys::Headers)]
    type HeadersExt;
    #[wasm_bindgen(method, catch, js_name = getSetCookie)]
    fn get_set_cookie(this: &HeadersExt) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
}

/// Requests a token. `error_class` is the `OAuthTokenError` constructor of the JS wrapper,
/// so errors are real instances of the class users import.
#[wasm_bindgen(js_name = requestToken, unchecked_return_type = "Promise<TokenResult>")]
pub fn request_token(
    #[wasm_bindgen(unchecked_param_type = "TokenRequestConfig")] config: JsValue,
    error_class: Function,
) -> Promise {
    spawn(Box::pin(async move {
        run(&config).await.map_err(|(e, cause)| to_js_error(&error_class, &e, cause.as_ref()))
    }))
}

/// A future as a Promise. Every future goes through this one boxed type, so the .wasm holds a
/// single copy of `future_to_promise` (one per future type otherwise, ~1.5 KB each).
fn spawn(future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(future)
}

type Failure = (Error, Option<JsValue>);

async fn run(js_config: &JsValue) -> Result<JsValue, Failure> {
    let config = config::parse(&entries(js_config)?, &parse_url).map_err(|e| (e, None))?;
    // Validated by the parse above: absent, or an object with a boolean `aborted`.
    let signal = Some(get(js_config, "signal")).filter(JsValue::is_object);
    Ok(exchange_with(&config, &request::build(&config), signal).await?.result_object())
}

/// A token response as the adapter hands it on: the core's reading, the host's parsed JSON
/// (kept verbatim for `json`) and the cookie warnings.
struct Exchange {
    token: TokenResponse,
    json: JsValue,
    warnings: Vec<String>,
}

/// Sends one token request and interprets the answer (no caller's signal: the connection's).
/// A plain function returning the future, so it adds no state machine of its own.
fn exchange<'a>(
    config: &'a Config,
    req: &'a HttpRequest,
) -> impl core::future::Future<Output = Result<Exchange, Failure>> + 'a {
    exchange_with(config, req, None)
}

/// The request's abort signal: the timeout's alone, or, with a caller's signal, an
/// AbortController's that either one aborts (AbortSignal.any is missing in Node 18). The
/// listeners are removed when the exchange ends, so a long-lived caller's signal keeps none.
struct Abort {
    timeout: AbortSignal,
    caller: Option<(JsValue, AbortController, JsValue)>,
}

impl Abort {
    fn new(timeout_ms: u64, caller: Option<JsValue>) -> Abort {
        let timeout = AbortSignal::timeout_with_f64(timeout_ms as f64);
        let caller = caller.and_then(|signal| {
            let controller = AbortController::new().ok()?;
            // `abort.bind(controller, undefined)`: the listener's event is not taken as the reason.
            let abort = get(&controller, "abort").dyn_into::<Function>().ok()?.bind1(&controller, &JsValue::UNDEFINED);
            let abort = JsValue::from(abort);
            listen(&timeout, "addEventListener", &abort);
            listen(&signal, "addEventListener", &abort);
            Some((signal, controller, abort))
        });
        Abort { timeout, caller }
    }

    /// The signal fetch gets.
    fn signal(&self) -> AbortSignal {
        match &self.caller {
            Some((_, controller, _)) => controller.signal(),
            None => self.timeout.clone(),
        }
    }

    /// The caller's signal's reason, once it has aborted.
    fn caller_reason(&self) -> Option<JsValue> {
        let (signal, ..) = self.caller.as_ref()?;
        get(signal, "aborted").is_truthy().then(|| get(signal, "reason"))
    }
}

impl Drop for Abort {
    fn drop(&mut self) {
        if let Some((signal, _, abort)) = &self.caller {
            listen(&self.timeout, "removeEventListener", abort);
            listen(signal, "removeEventListener", abort);
        }
    }
}

/// `target[method]('abort', listener)`.
fn listen(target: &JsValue, method: &str, listener: &JsValue) {
    if let Ok(f) = get(target, method).dyn_into::<Function>() {
        let _ = f.call2(target, &JsValue::from_str("abort"), listener);
    }
}

/// [`exchange`] with the caller's `signal` (`requestToken`'s option), when given.
async fn exchange_with(config: &Config, req: &HttpRequest, caller: Option<JsValue>) -> Result<Exchange, Failure> {
    if let Some(signal) = caller.as_ref().filter(|s| get(s, "aborted").is_truthy()) {
        return Err((Error::Aborted, Some(get(signal, "reason"))));
    }
    let abort = Abort::new(config.timeout_ms, caller);
    let signal = abort.signal();
    let failed = |cause: JsValue| {
        let reason = abort.caller_reason();
        let timed_out = abort.timeout.aborted();
        let facts = failure_facts(&cause, reason.is_some(), timed_out, config.timeout_ms);
        // Through the combined signal fetch rejects with the controller's reason: name the
        // signal that fired instead (the caller's reason, or the timeout's TimeoutError).
        let cause = match reason {
            Some(r) => r,
            None if timed_out && abort.caller.is_some() => get(&abort.timeout, "reason"),
            None => cause,
        };
        (classify_fetch_failure(facts), Some(cause))
    };

    // A plain object as RequestInit: web-sys' setters and enums would each add glue.
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
    set(&init, "signal", &signal);

    let promise = global_fetch(&req.url, &init).map_err(failed)?;
    let resp = JsFuture::from(promise).await.map_err(failed)?;
    let received_at = date_now();
    if !resp.is_object() {
        return Err((response::not_a_response(), None));
    }
    let resp: Response = resp.unchecked_into();
    // A polyfill or stub may hand back anything: a missing or odd status becomes 0 and the core
    // refuses it.
    let status = get(&resp, "status").as_f64().filter(|s| (0.0..=65535.0).contains(s)).unwrap_or(0.0) as u16;
    let opaque_redirect = get(&resp, "type").as_string().as_deref() == Some("opaqueredirect");
    let headers = resp.headers();
    let content_type = headers.get("content-type").ok().flatten();
    let set_cookies = set_cookie_values(headers.unchecked_ref());

    let limit = config.max_response_bytes;
    let declared = response::check_declared_length(
        headers.get("content-length").ok().flatten().as_deref(),
        limit,
    );
    if let Err(e) = declared {
        cancel_body(&resp).await;
        return Err((e, None));
    }
    let body = read_body(&resp, limit).await.map_err(|r| match r {
        ReadError::TooLarge(e) => (e, None),
        ReadError::Host(cause) => failed(cause),
    })?;

    let mut parsed_json = JsValue::UNDEFINED;
    let http = HttpResponse { status, opaque_redirect, content_type: content_type.as_deref(), body: &body };
    let token = response::interpret(&http, &mut |text| parse_json(text, &mut parsed_json), received_at)
        .map_err(|e| (e, None))?;
    let warnings =
        cookies::check(&set_cookies, config.token_endpoint.host(), config.ignore_cookies_policy);
    Ok(Exchange { token, json: parsed_json, warnings })
}

/// `Object.entries(config)`, walked two levels deep (for `extraParams`' arrays of strings).
/// An AbortSignal's members are inherited getters, which entries skip: `signal` is handed to the
/// core as `{ aborted }` when it is one (a boolean `aborted`, `addEventListener` and
/// `removeEventListener`), so the core can tell it from any other object.
fn entries(config: &JsValue) -> Result<Vec<(String, Value)>, Failure> {
    if !config.is_object() || Array::is_array(config) || config.is_function() {
        let e = Error::InvalidConfig(crate::concat(&["config must be an object, got ", value(config, 0).kind()]));
        return Err((e, None));
    }
    let mut all = members(config, 2);
    for (key, v) in all.iter_mut() {
        if key == "signal" && matches!(v, Value::Object(_)) {
            let signal = get(config, "signal");
            let listens = ["addEventListener", "removeEventListener"].iter().all(|m| get(&signal, m).is_function());
            *v = match get(&signal, "aborted").as_bool() {
                Some(b) if listens => Value::Object(vec![(String::from("aborted"), Value::Bool(b))]),
                // Any other object, `{ aborted: false }` included, is not a signal.
                _ => Value::Object(Vec::new()),
            };
        }
    }
    Ok(all)
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
    if v.is_undefined() {
        Value::Undefined
    } else if v.is_null() {
        Value::Null
    } else if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if let Some(n) = v.as_f64() {
        Value::Number(n)
    } else if let Some(s) = v.as_string() {
        Value::String(s)
    } else if Array::is_array(v) {
        let items = match depth {
            0 => Vec::new(),
            _ => Array::from(v).iter().map(|item| value(&item, depth - 1)).collect(),
        };
        Value::Array(items)
    } else if v.is_object() && !v.is_function() {
        Value::Object(match depth {
            0 => Vec::new(),
            _ => members(v, depth - 1),
        })
    } else {
        Value::Other
    }
}

fn parse_url(input: &str) -> Option<UrlParts> {
    let u = Url::new(input).ok()?;
    Some(UrlParts {
        href: u.href(),
        protocol: u.protocol(),
        hostname: u.hostname(),
        has_credentials: !u.username().is_empty() || !u.password().is_empty(),
    })
}

/// `JSON.parse`, keeping the parsed value for the result's `json` member.
fn parse_json(text: &str, keep: &mut JsValue) -> Json {
    let Ok(v) = js_sys::JSON::parse(text) else { return Json::Invalid };
    let json = match value(&v, 0) {
        Value::Object(_) => Json::Object(members(&v, 0)),
        other => Json::NotObject(other.kind()),
    };
    *keep = v;
    json
}

fn set_cookie_values(headers: &HeadersExt) -> Vec<String> {
    // Browsers have no getSetCookie (or return []): Set-Cookie is hidden from scripts there.
    if !get(headers, "getSetCookie").is_function() {
        return Vec::new();
    }
    match headers.get_set_cookie() {
        Ok(v) if Array::is_array(&v) => {
            Array::from(&v).iter().filter_map(|c| c.as_string()).collect()
        }
        _ => Vec::new(),
    }
}

enum ReadError {
    TooLarge(Error),
    Host(JsValue),
}

/// Reads the body chunk by chunk and stops as soon as it passes the limit.
async fn read_body(resp: &Response, limit: u64) -> Result<Vec<u8>, ReadError> {
    let Some(stream) = resp.body() else { return Ok(Vec::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(ReadError::Host)?;
        if get(&chunk, "done").is_truthy() {
            return Ok(body);
        }
        let value = get(&chunk, "value");
        if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
            let len = bytes.length() as usize;
            if let Err(e) = response::check_body_length((body.len() + len) as u64, limit) {
                let _ = JsFuture::from(reader.cancel()).await;
                return Err(ReadError::TooLarge(e));
            }
            let start = body.len();
            body.resize(start + len, 0);
            bytes.copy_to(&mut body[start..]);
        }
    }
}

/// Releases the connection of a response whose body is not wanted.
async fn cancel_body(resp: &Response) {
    if let Some(stream) = resp.body() {
        let _ = JsFuture::from(stream.cancel()).await;
    }
}

/// What a fetch rejection says about itself: message and the `code`s along its `cause` chain.
fn failure_facts(cause: &JsValue, aborted: bool, timed_out: bool, timeout_ms: u64) -> FetchFailure {
    let mut facts = FetchFailure {
        aborted,
        timed_out,
        timeout_ms,
        in_browser: Reflect::has(&js_sys::global(), &JsValue::from_str("document")).unwrap_or(false),
        ..FetchFailure::default()
    };
    if cause.is_object() {
        facts.message = get(cause, "message").as_string();
        facts.cause_message = get(&get(cause, "cause"), "message").as_string();
        let mut link = cause.clone();
        for _ in 0..4 {
            if !link.is_object() {
                break;
            }
            if let Some(code) = get(&link, "code").as_string() {
                facts.cause_codes.push(code);
            }
            link = get(&link, "cause");
        }
    } else {
        // A non-Error rejection, e.g. `controller.abort("gave up")`.
        facts.message = cause.as_string();
    }
    facts
}

impl Exchange {
    /// The `TokenResult` object.
    fn result_object(&self) -> JsValue {
        result_object(&self.token, &self.json, &self.warnings)
    }
}

fn result_object(token: &TokenResponse, json: &JsValue, warnings: &[String]) -> JsValue {
    let o = Object::new();
    set(&o, "accessToken", &JsValue::from_str(token.access_token.expose()));
    set(&o, "tokenType", &JsValue::from_str(&token.token_type));
    if let Some(n) = token.expires_in {
        set(&o, "expiresIn", &JsValue::from_f64(n));
    }
    if let Some(n) = token.expires_at {
        set(&o, "expiresAt", &JsValue::from_f64(n));
    }
    if let Some(s) = &token.scope {
        set(&o, "scope", &JsValue::from_str(s));
    }
    if let Some(r) = &token.refresh_token {
        set(&o, "refreshToken", &JsValue::from_str(r.expose()));
    }
    set(&o, "json", json);
    set(&o, "warnings", &warnings.iter().map(|w| JsValue::from_str(w)).collect::<Array>());
    o.into()
}

/// A real `Error` of the wrapper's class, with `code`, the §5.2 fields and the host's `cause`.
fn to_js_error(class: &Function, e: &Error, cause: Option<&JsValue>) -> JsValue {
    let args = Array::of1(&JsValue::from_str(&e.message()));
    if let Some(c) = cause {
        let options = Object::new();
        set(&options, "cause", c);
        args.push(&options);
    }
    let err = Reflect::construct(class, &args)
        .ok()
        .filter(JsValue::is_object)
        .unwrap_or_else(|| {
            let plain = js_sys::Error::new(&e.message());
            plain.set_name("OAuthTokenError");
            if let Some(c) = cause {
                set(&plain, "cause", c);
            }
            plain.into()
        });
    set(&err, "code", &JsValue::from_str(e.code()));
    if let Some(s) = e.status() {
        set(&err, "status", &JsValue::from(s));
    }
    if let Error::OAuth { error, error_description, error_uri, .. } = e {
        set(&err, "error", &JsValue::from_str(error));
        if let Some(d) = error_description {
            set(&err, "errorDescription", &JsValue::from_str(d));
        }
        if let Some(u) = error_uri {
            set(&err, "errorUri", &JsValue::from_str(u));
        }
    }
    err
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// The request `requestToken` would send for this config, secrets masked (src/preview.rs);
/// nothing is sent. An invalid config throws the same `OAuthTokenError` requestToken rejects with.
#[wasm_bindgen(js_name = previewRequest, unchecked_return_type = "RequestPreview")]
pub fn preview_request(
    #[wasm_bindgen(unchecked_param_type = "TokenRequestConfig")] config: JsValue,
    error_class: Function,
) -> Result<JsValue, JsValue> {
    let config = entries(&config)
        .and_then(|e| config::parse(&e, &parse_url).map_err(|e| (e, None)))
        .map_err(|(e, cause)| to_js_error(&error_class, &e, cause.as_ref()))?;
    let p = crate::preview::preview(&config);
    let o = Object::new();
    set(&o, "method", &JsValue::from_str(p.method));
    set(&o, "url", &JsValue::from_str(&p.url));
    let headers: Array =
        p.headers.iter().map(|(n, v)| Array::of2(&JsValue::from_str(n), &JsValue::from_str(v))).collect();
    set(&o, "headers", &headers);
    set(&o, "body", &JsValue::from_str(&p.body));
    let fetch_options = Object::new();
    for (k, v) in request::FETCH_OPTIONS {
        set(&fetch_options, k, &JsValue::from_str(v));
    }
    set(&o, "fetchOptions", &fetch_options);
    set(&o, "notes", &p.notes.iter().map(|n| JsValue::from_str(n)).collect::<Array>());
    Ok(o.into())
}

/// Adapter tests under Node.js (wasm-bindgen-test): argument conversion, the error shape, and
/// what the adapter does with odd host answers. The fetch here is an in-process stub; the real
/// transport is tested against real servers in tests/node.
#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen(inline_js = r#"
        export class TestError extends Error {}
        export function testErrorClass() { return TestError; }
        export function stubFetch(kind, status, body, setCookie) {
          globalThis.fetch = async (url, init) => {
            globalThis.__last = { url, init };
            if (kind === 'reject-string') throw 'gave up';
            if (kind === 'reject-tls') {
              const cause = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
              throw new TypeError('fetch failed', { cause });
            }
            if (kind === 'not-response') return 42;
            if (kind === 'empty-object') return {};
            const headers = new Headers({ 'content-type': 'application/json' });
            if (setCookie) headers.append('set-cookie', setCookie);
            return new Response(body, { status, headers });
          };
        }
        export function last() { return globalThis.__last; }
        export function config(extra) {
          return Object.assign({ tokenEndpoint: 'https://auth.example.com/token', clientId: 'aaa/;&', clientSecret: 'bbb/;&' }, extra);
        }
        export function isInstance(e, c) { return e instanceof c && e instanceof Error && typeof e.stack === 'string'; }
    "#)]
    extern "C" {
        #[wasm_bindgen(js_name = testErrorClass)]
        fn test_error_class() -> Function;
        #[wasm_bindgen(js_name = stubFetch)]
        fn stub_fetch(kind: &str, status: u16, body: &str, set_cookie: Option<&str>);
        fn last() -> JsValue;
        fn config(extra: JsValue) -> JsValue;
        #[wasm_bindgen(js_name = isInstance)]
        fn is_instance(e: &JsValue, class: &JsValue) -> bool;
    }

    fn class() -> Function {
        test_error_class()
    }

    fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
        let o = Object::new();
        for (k, v) in pairs {
            set(&o, k, v);
        }
        o.into()
    }

    async fn call(extra: JsValue) -> Result<JsValue, JsValue> {
        JsFuture::from(request_token(config(extra), class())).await
    }

    fn code(e: &JsValue) -> String {
        get(e, "code").as_string().unwrap_or_default()
    }

    const TOKEN: &str = r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":"3599","scope":"read","nested":{"a":[1,2]}}"#;

    #[wasm_bindgen_test]
    async fn request_is_built_from_the_js_config() {
        stub_fetch("ok", 200, TOKEN, None);
        call(obj(&[("scope", "read  write".into())])).await.unwrap();
        let l = last();
        assert_eq!(get(&l, "url").as_string().unwrap(), "https://auth.example.com/token");
        let init = get(&l, "init");
        assert_eq!(get(&init, "method").as_string().unwrap(), "POST");
        assert_eq!(get(&init, "body").as_string().unwrap(), "grant_type=client_credentials&scope=read+write");
        assert_eq!(get(&init, "redirect").as_string().unwrap(), "manual");
        assert_eq!(get(&init, "credentials").as_string().unwrap(), "omit");
        assert_eq!(get(&init, "cache").as_string().unwrap(), "no-store");
        assert!(get(&init, "signal").is_object());
        let headers = get(&init, "headers");
        assert_eq!(get(&headers, "Authorization").as_string().unwrap(), "Basic YWFhJTJGJTNCJTI2OmJiYiUyRiUzQiUyNg==");
        assert_eq!(get(&headers, "Accept").as_string().unwrap(), "application/json");
    }

    #[wasm_bindgen_test]
    async fn result_object_shape() {
        stub_fetch("ok", 200, TOKEN, Some("sid=1; Domain=evil.example"));
        let r = call(JsValue::UNDEFINED).await.unwrap();
        assert_eq!(get(&r, "accessToken").as_string().unwrap(), "tok-1");
        assert_eq!(get(&r, "tokenType").as_string().unwrap(), "Bearer");
        assert_eq!(get(&r, "expiresIn").as_f64().unwrap(), 3599.0);
        let at = get(&r, "expiresAt").as_f64().unwrap();
        assert!((at - date_now() - 3_599_000.0).abs() < 60_000.0);
        assert_eq!(get(&r, "scope").as_string().unwrap(), "read");
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
        let quiet = call(obj(&[("ignoreCookiesPolicy", true.into())])).await.unwrap();
        assert_eq!(Array::from(&get(&quiet, "warnings")).length(), 0);
    }

    #[wasm_bindgen_test]
    async fn config_errors_are_instances_of_the_given_class() {
        for bad in [JsValue::NULL, JsValue::from(5), Array::new().into(), JsValue::from_str("x")] {
            let e = JsFuture::from(request_token(bad, class())).await.unwrap_err();
            assert!(is_instance(&e, &test_error_class()));
            assert_eq!(code(&e), "ERR_INVALID_CONFIG");
        }
        let e = call(obj(&[("clientSecert", "x".into())])).await.unwrap_err();
        assert!(get(&e, "message").as_string().unwrap().contains("clientSecert"));
        let e = call(obj(&[("timeoutSeconds", "30".into())])).await.unwrap_err();
        assert_eq!(code(&e), "ERR_INVALID_CONFIG");
        let e = call(obj(&[("sslMode", "off".into())])).await.unwrap_err();
        assert_eq!(code(&e), "ERR_UNSUPPORTED_SSL_MODE");
        let e = call(obj(&[("tokenEndpoint", "http://auth.example.com/t".into())])).await.unwrap_err();
        assert_eq!(code(&e), "ERR_INSECURE_ENDPOINT");
    }

    #[wasm_bindgen_test]
    async fn oauth_error_fields() {
        stub_fetch("ok", 400, r#"{"error":"invalid_scope","error_description":"nope","error_uri":"https://e.example/x"}"#, None);
        let e = call(JsValue::UNDEFINED).await.unwrap_err();
        assert_eq!(code(&e), "ERR_OAUTH");
        assert_eq!(get(&e, "status").as_f64(), Some(400.0));
        assert_eq!(get(&e, "error").as_string().unwrap(), "invalid_scope");
        assert_eq!(get(&e, "errorDescription").as_string().unwrap(), "nope");
        assert_eq!(get(&e, "errorUri").as_string().unwrap(), "https://e.example/x");
        assert!(get(&e, "cause").is_undefined());
    }

    #[wasm_bindgen_test]
    async fn odd_host_answers_end_in_errors_and_the_instance_survives() {
        stub_fetch("reject-string", 0, "", None);
        let e = call(JsValue::UNDEFINED).await.unwrap_err();
        assert_eq!(code(&e), "ERR_NETWORK");
        assert_eq!(get(&e, "cause").as_string().unwrap(), "gave up");
        assert!(get(&e, "message").as_string().unwrap().contains("gave up"));

        stub_fetch("reject-tls", 0, "", None);
        let e = call(JsValue::UNDEFINED).await.unwrap_err();
        assert_eq!(code(&e), "ERR_TLS");
        assert!(get(&get(&e, "cause"), "cause").is_object());

        stub_fetch("not-response", 0, "", None);
        assert_eq!(code(&call(JsValue::UNDEFINED).await.unwrap_err()), "ERR_INVALID_RESPONSE");
        stub_fetch("empty-object", 0, "", None);
        assert_eq!(code(&call(JsValue::UNDEFINED).await.unwrap_err()), "ERR_INVALID_RESPONSE");

        stub_fetch("ok", 200, &"x".repeat(2048), None);
        let e = call(obj(&[("maxResponseBytes", 1024.into())])).await.unwrap_err();
        assert_eq!(code(&e), "ERR_RESPONSE_TOO_LARGE");

        stub_fetch("ok", 200, TOKEN, None);
        assert!(call(JsValue::UNDEFINED).await.is_ok());
    }

    #[wasm_bindgen_test]
    async fn a_class_that_is_not_a_constructor_still_gives_an_error() {
        let not_a_class: Function = js_sys::Function::unchecked_from_js(JsValue::from(Object::new()));
        let e = JsFuture::from(request_token(JsValue::NULL, not_a_class)).await.unwrap_err();
        assert!(e.is_instance_of::<js_sys::Error>());
        assert_eq!(get(&e, "name").as_string().unwrap(), "OAuthTokenError");
        assert_eq!(code(&e), "ERR_INVALID_CONFIG");
    }
}

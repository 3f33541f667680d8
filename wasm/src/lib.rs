//! The wasm adapter, synchronous: converts JavaScript values to core types and back, and hands
//! api.js (the host side) what to do next. api.js does all I/O (fetch, the bounded body read,
//! the cache's get and put, SHA-256) and the single-flight promise; every decision is the core's.
//! Nothing here may panic (a panic traps and kills the instance).

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::config::{self, UrlParts};
use crate::error::{Error, FetchFailure};
use crate::value::{Json, Value};

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
   * Only in `oauth-token-connection/full`: the default entry refuses it (ERR_INVALID_CONFIG).
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
    fn username(this: &Url) -> js_sys::JsString;
    #[wasm_bindgen(method, getter)]
    fn password(this: &Url) -> js_sys::JsString;

    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;

    /// api.js's `host`, the functions the adapter calls: `result` and `pick`.
    type Host;

    /// `host.result(members, expiresIn, expiresAt, scope, refreshToken, json, warnings)`:
    /// `members` as `pick` copied them (the strings the core kept as they came), `scope` and
    /// `refreshToken` whether the core kept them.
    #[wasm_bindgen(method)]
    #[allow(clippy::too_many_arguments)]
    fn result(
        this: &Host,
        members: &JsValue,
        expires_in: Option<f64>,
        expires_at: Option<f64>,
        scope: bool,
        refresh_token: bool,
        json: &JsValue,
        warnings: Array,
    ) -> JsValue;

    /// `host.pick(object)`: the values of the object's own members named in
    /// [`crate::response::MEMBERS`], in that order, `undefined` where it has none (JSON.parse
    /// makes only own members; an inherited one, from a polluted `Object.prototype`, is not the
    /// server's). No member name crosses.
    #[wasm_bindgen(method)]
    fn pick(this: &Host, object: &JsValue) -> JsValue;

    /// `Reflect.get` with the key as the call's own string argument (no `JsValue` made for it),
    /// catching as `js_sys::Reflect::get` does: a getter or proxy that throws reads as undefined.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &str, value: &JsValue) -> bool;
}

/// `Object.entries(config)`, walked two levels deep (for `extraParams`' arrays of strings).
/// An AbortSignal's members are inherited getters, which entries skip: `signal` is handed to the
/// core as `{ aborted }` when it is one (a boolean `aborted`, `addEventListener` and
/// `removeEventListener`), so the core can tell it from any other object.
fn entries(config: &JsValue) -> Result<Vec<(String, Value)>, Error> {
    if !config.is_object() || Array::is_array(config) || config.is_function() {
        return Err(Error::InvalidConfig(crate::concat(&["config must be an object, got ", value(config, 0, false).kind()])));
    }
    let mut all = members(config, 2, true);
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

/// `Object.entries(object)`, each value walked `depth` levels (`clip`: see [`value`]).
fn members(object: &JsValue, depth: u8, clip: bool) -> Vec<(String, Value)> {
    Object::entries(object.unchecked_ref())
        .iter()
        .map(|pair| {
            let pair: Array = pair.unchecked_into();
            let name = match value(&pair.get(0), 0, clip) {
                Value::String(name) => name,
                _ => String::new(),
            };
            (name, value(&pair.get(1), depth, clip))
        })
        .collect()
}

/// A JavaScript value for the core; arrays and objects keep their contents `depth` levels down.
/// Each test is a call into JavaScript: the common kinds (strings, then numbers) come first.
/// `clip` (configurations): a string of more UTF-16 units than the core accepts bytes is cut just
/// past that limit before it is copied into wasm memory, which never shrinks; the core refuses
/// it by name all the same (at least one UTF-8 byte per unit).
fn value(v: &JsValue, depth: u8, clip: bool) -> Value {
    if let Some(s) = v.dyn_ref::<js_sys::JsString>() {
        const MAX: u32 = config::MAX_STRING_BYTES as u32;
        match clip && s.length() > MAX {
            true => Value::String(s.slice(0, MAX + 1).into()),
            false => Value::String(s.into()),
        }
    } else if let Some(n) = v.as_f64() {
        Value::Number(n)
    } else if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if v.is_undefined() {
        Value::Undefined
    } else if v.is_null() {
        Value::Null
    } else if Array::is_array(v) {
        let items = match depth {
            0 => Vec::new(),
            _ => Array::from(v).iter().map(|item| value(&item, depth - 1, clip)).collect(),
        };
        Value::Array(items)
    } else if v.is_object() && !v.is_function() {
        Value::Object(match depth {
            0 => Vec::new(),
            _ => members(v, depth - 1, clip),
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
        has_credentials: u.username().length() > 0 || u.password().length() > 0,
    })
}

/// `JSON.parse`, keeping the parsed value (the result's `json`) and what `pick` made of it: only
/// the members the core reads ([`crate::response::MEMBERS`]) cross into wasm memory, and the result
/// hands back their own strings.
fn parse_json(text: &str, host: &Host, keep: &mut (JsValue, JsValue)) -> Json {
    let Ok(v) = js_sys::JSON::parse(text) else { return Json::Invalid };
    let json = if v.is_object() && !Array::is_array(&v) {
        let picked: Array = host.pick(&v).unchecked_into();
        let mut members = Vec::new();
        for (i, name) in (0..).zip(crate::response::MEMBERS) {
            let m = picked.get(i);
            if !m.is_undefined() {
                members.push((String::from(name), value(&m, 0, false)));
            }
        }
        keep.1 = picked.into();
        Json::Object(members)
    } else {
        Json::NotObject(value(&v, 0, false).kind())
    };
    keep.0 = v;
    json
}

/// The strings of a `getSetCookie()` answer (browsers have none, or return []: Set-Cookie is
/// hidden from scripts there); anything else is no cookie.
fn strings(list: &JsValue) -> Vec<String> {
    if !Array::is_array(list) {
        return Vec::new();
    }
    Array::from(list).iter().filter_map(|c| c.as_string()).collect()
}

/// What a fetch rejection says about itself: message and the `code`s along its `cause` chain.
/// `in_browser`: api.js's `'document' in globalThis` (a page, where a failed fetch may be a CORS
/// refusal).
fn failure_facts(cause: &JsValue, aborted: bool, timed_out: bool, in_browser: bool, timeout_ms: u64) -> FetchFailure {
    let mut facts = FetchFailure { aborted, timed_out, timeout_ms, in_browser, ..FetchFailure::default() };
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

/// The token result, made by api.js's `host.result` (handed to [`connection::RawConnection::new`])
/// in one call: an object literal there instead of a `Reflect.set` and a key string per member
/// here (the per-call path). `members`: `pick`'s copy for a response (the core keeps
/// `access_token`, `token_type`, `scope` and `refresh_token` exactly as they came, so their
/// strings need not be copied out of wasm memory again); `None` for a cache entry's token,
/// whose members are made here.
fn result_object(
    host: &Host,
    token: &crate::response::TokenResponse,
    json: &JsValue,
    members: Option<&JsValue>,
    warnings: &[String],
) -> JsValue {
    let made;
    let members = match members {
        Some(m) => m,
        None => {
            // A cache entry never holds a refresh token (src/cache.rs).
            let scope = token.scope.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str);
            made = Array::of4(
                &JsValue::from_str(token.access_token.expose()),
                &JsValue::from_str(&token.token_type),
                &JsValue::UNDEFINED,
                &scope,
            )
            .into();
            &made
        }
    };
    host.result(
        members,
        token.expires_in,
        token.expires_at,
        token.scope.is_some(),
        token.refresh_token.is_some(),
        json,
        warnings.iter().map(|w| JsValue::from_str(w)).collect::<Array>(),
    )
}

/// An error as the fields api.js gives its `OAuthTokenError`: `code`, `message`, `status` and
/// the §5.2 fields (api.js adds the host's original error as `cause`).
fn fields(e: &Error) -> JsValue {
    let o = Object::new();
    set(&o, "code", &JsValue::from_str(e.code()));
    set(&o, "message", &JsValue::from_str(&e.message()));
    if let Some(s) = e.status() {
        set(&o, "status", &JsValue::from(s));
    }
    if let Error::OAuth { error, error_description, error_uri, .. } = e {
        set(&o, "error", &JsValue::from_str(error));
        if let Some(d) = error_description {
            set(&o, "errorDescription", &JsValue::from_str(d));
        }
        if let Some(u) = error_uri {
            set(&o, "errorUri", &JsValue::from_str(u));
        }
    }
    o.into()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    reflect_get(target, key).unwrap_or(JsValue::UNDEFINED)
}

/// `Reflect.set` on an object the adapter made (it cannot throw there): the key crosses as the
/// call's own string argument, without a `JsValue` of its own or the catching wrapper
/// `js_sys::Reflect::set` has (this is the per-call path: the result object's members).
fn set(target: &JsValue, key: &str, value: &JsValue) {
    reflect_set(target, key, value);
}

/// The request `requestToken` would send for this config, secrets masked (src/preview.rs);
/// nothing is sent. An invalid config throws the error fields requestToken rejects with. In the
/// `full` build only (`oauth-token-connection/full`).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = previewRequest, unchecked_return_type = "RequestPreview")]
pub fn preview_request(
    #[wasm_bindgen(unchecked_param_type = "TokenRequestConfig")] config: JsValue,
) -> Result<JsValue, JsValue> {
    let config = entries(&config).and_then(|e| config::parse(&e, &parse_url)).map_err(|e| fields(&e))?;
    let p = crate::preview::preview(&config);
    let o = Object::new();
    set(&o, "method", &JsValue::from_str(p.method));
    set(&o, "url", &JsValue::from_str(&p.url));
    let headers: Array =
        p.headers.iter().map(|(n, v)| Array::of2(&JsValue::from_str(n), &JsValue::from_str(v))).collect();
    set(&o, "headers", &headers);
    set(&o, "body", &JsValue::from_str(&p.body));
    let fetch_options = Object::new();
    for (k, v) in crate::request::FETCH_OPTIONS {
        set(&fetch_options, k, &JsValue::from_str(v));
    }
    set(&o, "fetchOptions", &fetch_options);
    set(&o, "notes", &p.notes.iter().map(|n| JsValue::from_str(n)).collect::<Array>());
    Ok(o.into())
}

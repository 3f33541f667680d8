//! The token exchange as a sans-IO state machine (the shape of rustls' unbuffered API): the host
//! performs each [`Step`] and reports what happened as an [`Event`], with the time; the machine
//! owns every decision in between.
//!
//! | state        | event            | next step                                                  |
//! |--------------|------------------|------------------------------------------------------------|
//! | idle         | `Start`          | `Digest` (cache key unknown), `CacheGet`, or `Fetch`       |
//! | digesting    | `Digested`       | `CacheGet`, or `Fetch` (no digest: a warning)              |
//! | reading      | `CacheRead`      | `Done` (a valid entry), else `Fetch`                       |
//! | fetching     | `Response`       | `Done`, `CachePut`, `Failed`, or `Fetch` (refresh refused) |
//! | fetching     | `FetchFailed`, `TooLarge` | `Failed`, or `Fetch` (never for these)            |
//! | storing      | `CacheWritten`   | `Done`                                                     |
//!
//! `requestToken` runs one exchange ([`Exchange::request_token`]) and keeps nothing. A
//! connection ([`Exchange::connection`]) keeps its [`Session`] between runs: each `Start` is a
//! renewal, and [`Exchange::authorization`] gives REST calls the held token's header.

#[allow(unused_imports)]
use crate::prelude::*;

#[cfg(feature = "cache")]
use crate::cache;
use crate::config::{Config, ConnectionOptions};
use crate::connection::{Renewal, Session};
use crate::cookies;
use crate::error::{classify_fetch_failure, Error, FetchFailure};
use crate::request::{self, HttpRequest};
use crate::response::{self, HttpResponse, TokenResponse};
use crate::value::{Json, Value};

/// What the host reports.
#[derive(Debug)]
pub enum Event<'a> {
    /// Begin an exchange (for a connection: a renewal).
    Start,
    /// The SHA-256 of the [`Step::Digest`] input; `None` where the host has no digest.
    #[cfg(feature = "cache")]
    Digested(Option<&'a [u8]>),
    /// The cache's answer to [`Step::CacheGet`].
    #[cfg(feature = "cache")]
    CacheRead(CacheRead<'a>),
    /// [`Step::CachePut`] finished; `Err` names why it failed (never the value).
    #[cfg(feature = "cache")]
    CacheWritten(Result<(), &'a str>),
    /// The token endpoint answered.
    Response(Response<'a>),
    /// The body was larger than [`Fetch::max_bytes`] (declared, or counted while reading).
    TooLarge,
    /// The fetch or the body read failed.
    FetchFailed(FetchFailure),
}

/// A cached value, as the host read it.
#[derive(Debug)]
pub enum CacheRead<'a> {
    /// A JSON object's members (each walked one level).
    Found(&'a [(String, Value)]),
    /// No entry.
    Missing,
    /// A value that is not a JSON object.
    Unreadable,
    /// The read threw, rejected or timed out; the reason (an error's name).
    Failed(&'a str),
}

/// A token endpoint's answer. `json` is what the host's parser made of
/// [`response::json_text`] (`Json::Invalid` when that was `None`).
#[derive(Debug)]
pub struct Response<'a> {
    /// The status; 0 where the host had none (a browser's opaque redirect, a stub's odd answer).
    pub status: u16,
    pub opaque_redirect: bool,
    pub content_type: Option<&'a str>,
    /// `Set-Cookie` values, where the host exposes them.
    pub set_cookies: &'a [String],
    pub body: &'a [u8],
    pub json: Json,
}

/// What the host does next.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Send the request; answer with `Response`, `TooLarge` or `FetchFailed`.
    Fetch(Fetch),
    /// SHA-256 of `input` (the cache key); answer with `Digested`.
    #[cfg(feature = "cache")]
    Digest { input: String },
    /// Read the cache within `timeout_ms`; answer with `CacheRead`.
    #[cfg(feature = "cache")]
    CacheGet { key: String, timeout_ms: u32 },
    /// Store `token` (the entry: [`cache::NOT_STORED`] left out) for `ttl_seconds`, within
    /// `timeout_ms`; answer with `CacheWritten`.
    #[cfg(feature = "cache")]
    CachePut { key: String, token: Token, ttl_seconds: u64, timeout_ms: u32 },
    /// The exchange ended with a token.
    Done(Token),
    /// The exchange ended with an error.
    Failed(Error),
}

/// A request to send: the token request, its timeout and the body's byte limit.
#[derive(Debug, PartialEq)]
pub struct Fetch {
    pub request: HttpRequest,
    pub timeout_ms: u64,
    pub max_bytes: u64,
}

/// A token the exchange ends with.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub response: TokenResponse,
    /// Cookie-policy warnings, then the cache's.
    pub warnings: Vec<String>,
    /// Where it came from: the host hands back the matching JSON (the response's, or the entry's).
    pub source: Source,
    /// For a connection, until when it is reused ([`Session::reuse_until`]).
    pub reuse_until: f64,
}

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Endpoint,
    Cache,
}

/// The cache key's derivation.
#[cfg(feature = "cache")]
#[derive(Debug)]
enum Key {
    /// Not derived yet: the digest input.
    Input(String),
    Ready(String),
    /// The host has no digest.
    Unavailable,
}

#[derive(Debug)]
struct Connection {
    options: ConnectionOptions,
    session: Session,
    #[cfg(feature = "cache")]
    key: Option<Key>,
}

#[derive(Debug)]
enum State {
    Idle,
    #[cfg(feature = "cache")]
    Digesting,
    #[cfg(feature = "cache")]
    Reading,
    Fetching(Renewal),
    #[cfg(feature = "cache")]
    Storing(Token),
    /// `requestToken`'s exchange has ended.
    Over,
}

/// One token exchange, or a connection's renewals.
#[derive(Debug)]
pub struct Exchange {
    config: Config,
    connection: Option<Connection>,
    state: State,
    /// The cache's notes for the run in progress.
    notes: Vec<String>,
}

impl Exchange {
    /// `requestToken`'s exchange: one run, nothing kept.
    pub fn request_token(config: Config) -> Self {
        Exchange { config, connection: None, state: State::Idle, notes: Vec::new() }
    }

    /// A connection: runs renewals on its session. With `options.cache` (in a build with the
    /// `cache` feature), each renewal first reads the shared cache, and stores what the endpoint
    /// issues.
    pub fn connection(config: Config, options: ConnectionOptions) -> Self {
        #[cfg(feature = "cache")]
        let key = options.cache.then(|| Key::Input(cache::key_input(&config)));
        let session = Session::new(&options);
        Exchange {
            config,
            connection: Some(Connection {
                options,
                session,
                #[cfg(feature = "cache")]
                key,
            }),
            state: State::Idle,
            notes: Vec::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The next step after `event`, which the host observed at `now_ms` (epoch milliseconds).
    pub fn step(&mut self, event: Event<'_>, now_ms: f64) -> Step {
        match (core::mem::replace(&mut self.state, State::Idle), event) {
            (State::Idle, Event::Start) => {
                self.notes.clear();
                self.begin()
            }
            #[cfg(feature = "cache")]
            (State::Digesting, Event::Digested(digest)) => {
                self.digested(digest);
                self.begin()
            }
            #[cfg(feature = "cache")]
            (State::Reading, Event::CacheRead(read)) => self.cache_read(read, now_ms),
            (State::Fetching(renewal), Event::Response(r)) => self.response(renewal, r, now_ms),
            (State::Fetching(renewal), Event::TooLarge) => {
                self.failed(renewal, Error::ResponseTooLarge { limit: self.config.max_response_bytes })
            }
            (State::Fetching(renewal), Event::FetchFailed(mut facts)) => {
                facts.timeout_ms = self.config.timeout_ms;
                self.failed(renewal, classify_fetch_failure(facts))
            }
            #[cfg(feature = "cache")]
            (State::Storing(token), Event::CacheWritten(written)) => {
                if let Err(reason) = written {
                    self.notes.push(cache::write_failed(reason));
                }
                self.done(token)
            }
            (state, _) => {
                // A host that answers a step it was not given: refuse, and keep the state.
                self.state = state;
                Step::Failed(Error::Internal)
            }
        }
    }

    /// The cache key's digest input, when the key is still to be derived.
    #[cfg(feature = "cache")]
    pub fn key_input(&self) -> Option<&str> {
        match self.connection.as_ref()?.key.as_ref()? {
            Key::Input(input) => Some(input),
            _ => None,
        }
    }

    /// Derives the cache key from the host's digest of [`Exchange::key_input`] (32 bytes; any
    /// other answer means the host has none). Once derived, it stays.
    #[cfg(feature = "cache")]
    pub fn digested(&mut self, digest: Option<&[u8]>) {
        if let Some(Connection { key: Some(key @ Key::Input(_)), .. }) = self.connection.as_mut() {
            *key = match digest {
                Some(d) if d.len() == 32 => Key::Ready(cache::key(d)),
                _ => Key::Unavailable,
            };
        }
    }

    /// The cache key once derived.
    #[cfg(feature = "cache")]
    pub fn key(&self) -> Option<&str> {
        match self.connection.as_ref()?.key.as_ref()? {
            Key::Ready(k) => Some(k),
            _ => None,
        }
    }

    /// The connection's options (`None` for `requestToken`).
    pub fn options(&self) -> Option<&ConnectionOptions> {
        self.connection.as_ref().map(|c| &c.options)
    }

    /// Until when the held token is reused (minus infinity without one).
    pub fn reuse_until(&self) -> f64 {
        self.connection.as_ref().map_or(f64::NEG_INFINITY, |c| c.session.reuse_until())
    }

    /// A REST call's header: its name, and the held token's value with its generation (to hand
    /// back to [`Exchange::rest_status`]). `None` without a held token.
    pub fn authorization(&self) -> Option<(&str, u32, String)> {
        let c = self.connection.as_ref()?;
        let (generation, value) = c.session.authorization(c.options.header_prefix.as_deref())?;
        Some((&c.options.header_name, generation, value))
    }

    /// A REST call with the token of generation `sent` got `status`: whether to send it again.
    pub fn rest_status(&mut self, status: u16, replayable: bool, sent: u32) -> bool {
        self.connection.as_mut().is_some_and(|c| c.session.retry_after(status, replayable, sent))
    }

    /// Drops the held token.
    pub fn invalidate(&mut self) {
        if let Some(c) = self.connection.as_mut() {
            c.session.invalidate();
        }
    }

    /// A failure of this exchange as the host shows it: the error's message and hint, in the
    /// context of this configuration.
    pub fn describe(&self, e: &Error) -> (String, &'static str) {
        let hint = if self.config.client_authentication.is_mutual_tls() && may_be_the_certificate(e) {
            MUTUAL_TLS_HINT
        } else {
            e.hint()
        };
        (e.message(), hint)
    }

    /// The first step of a run once the key is known: the cache read, or the fetch.
    fn begin(&mut self) -> Step {
        #[cfg(feature = "cache")]
        if let Some(c) = &self.connection {
            match &c.key {
                Some(Key::Input(input)) => {
                    let input = input.clone();
                    self.state = State::Digesting;
                    return Step::Digest { input };
                }
                Some(Key::Ready(key)) => {
                    let key = key.clone();
                    self.state = State::Reading;
                    return Step::CacheGet { key, timeout_ms: cache::TIMEOUT_MS };
                }
                Some(Key::Unavailable) => self.notes.push(cache::NO_DIGEST.into()),
                None => {}
            }
        }
        let renewal = self.connection.as_ref().map_or(Renewal::Configured, |c| c.session.renewal());
        self.fetch(renewal)
    }

    fn fetch(&mut self, renewal: Renewal) -> Step {
        let request = match &self.connection {
            Some(c) => c.session.request(&self.config, &renewal),
            None => request::build(&self.config),
        };
        self.state = State::Fetching(renewal);
        Step::Fetch(Fetch { request, timeout_ms: self.config.timeout_ms, max_bytes: self.config.max_response_bytes })
    }

    #[cfg(feature = "cache")]
    fn cache_read(&mut self, read: CacheRead<'_>, now_ms: f64) -> Step {
        match read {
            CacheRead::Found(members) => match cache::read_entry(members) {
                Some(entry) => {
                    if let Some(c) = self.connection.as_mut() {
                        if c.session.adopt(&entry.token, now_ms) {
                            let reuse_until = c.session.reuse_until();
                            let token = Token {
                                response: entry.token,
                                warnings: entry.warnings,
                                source: Source::Cache,
                                reuse_until,
                            };
                            return self.done(token);
                        }
                    }
                }
                None => self.notes.push(cache::UNREADABLE.into()),
            },
            CacheRead::Unreadable => self.notes.push(cache::UNREADABLE.into()),
            CacheRead::Failed(reason) => self.notes.push(cache::read_failed(reason)),
            CacheRead::Missing => {}
        }
        let renewal = self.connection.as_ref().map_or(Renewal::Configured, |c| c.session.renewal());
        self.fetch(renewal)
    }

    fn response(&mut self, renewal: Renewal, r: Response<'_>, now_ms: f64) -> Step {
        let Response { status, opaque_redirect, content_type, set_cookies, body, json } = r;
        let http = HttpResponse { status, opaque_redirect, content_type, body };
        let token = match response::interpret_parsed(&http, json, now_ms) {
            Ok(t) => t,
            Err(e) => return self.failed(renewal, e),
        };
        let warnings =
            cookies::check(set_cookies, self.config.token_endpoint.host(), self.config.ignore_cookies_policy);
        let Some(c) = self.connection.as_mut() else {
            self.state = State::Over;
            return Step::Done(Token {
                response: token,
                warnings,
                source: Source::Endpoint,
                reuse_until: f64::NEG_INFINITY,
            });
        };
        c.session.accept(&token, &renewal);
        let reuse_until = c.session.reuse_until();
        let token = Token { response: token, warnings, source: Source::Endpoint, reuse_until };
        #[cfg(feature = "cache")]
        if let (Some(Key::Ready(key)), Some(ttl_seconds)) = (&c.key, c.session.cache_ttl(&token.response, now_ms)) {
            let step =
                Step::CachePut { key: key.clone(), token: token.clone(), ttl_seconds, timeout_ms: cache::TIMEOUT_MS };
            self.state = State::Storing(token);
            return step;
        }
        self.done(token)
    }

    /// A failed attempt: what the session says to try next (a refused refresh token falls back to
    /// the configured grant), else the error.
    fn failed(&mut self, renewal: Renewal, e: Error) -> Step {
        if let Some(c) = self.connection.as_mut() {
            if let Some(next) = c.session.after_failure(&self.config, &renewal, &e) {
                return self.fetch(next);
            }
        }
        self.state = self.end_state();
        Step::Failed(e)
    }

    fn done(&mut self, mut token: Token) -> Step {
        token.warnings.append(&mut self.notes);
        self.state = self.end_state();
        Step::Done(token)
    }

    fn end_state(&self) -> State {
        if self.connection.is_some() {
            State::Idle
        } else {
            State::Over
        }
    }
}

/// RFC 8705 §2: the certificate is the transport's business, and without one the server cannot
/// tell who the client is.
pub const MUTUAL_TLS_HINT: &str = "With clientAuthentication \"tls_client_auth\" or \
     \"self_signed_tls_client_auth\" the TLS client certificate authenticates the client: pass a \
     fetch option that presents it (Node.js: an undici Agent with connect: { cert, key }; Workers: \
     an mtls_certificates binding's fetch).";

/// Failures a missing or refused client certificate causes: the handshake refused or the
/// connection closed, or the server not knowing the client.
fn may_be_the_certificate(e: &Error) -> bool {
    match e {
        Error::Network { .. } | Error::Tls { .. } => true,
        Error::OAuth { error, .. } => matches!(error.as_str(), "invalid_client" | "unauthorized_client"),
        Error::HttpStatus { status, .. } => matches!(status, 400 | 401 | 403),
        _ => false,
    }
}

/// A member of the token result the host makes ([`crate::package::RESULT`] declares them).
#[derive(Debug, PartialEq)]
pub enum Member<'a> {
    Text(&'a str),
    Number(f64),
    /// The JSON object the host keeps: the response's, or the cache entry's.
    Json,
    Warnings(&'a [String]),
}

/// The token result's members in order, absent ones left out.
pub fn result_members(token: &Token) -> Vec<(&'static str, Member<'_>)> {
    let t = &token.response;
    let mut m =
        vec![("accessToken", Member::Text(t.access_token.expose())), ("tokenType", Member::Text(&t.token_type))];
    if let Some(n) = t.expires_in {
        m.push(("expiresIn", Member::Number(n)));
    }
    if let Some(n) = t.expires_at {
        m.push(("expiresAt", Member::Number(n)));
    }
    if let Some(s) = &t.scope {
        m.push(("scope", Member::Text(s)));
    }
    if let Some(r) = &t.refresh_token {
        m.push(("refreshToken", Member::Text(r.expose())));
    }
    m.push(("json", Member::Json));
    m.push(("warnings", Member::Warnings(&token.warnings)));
    m
}

#[cfg(test)]
mod tests {
    //! Whole exchanges driven by a scripted transport: plain data in, plain data out, no sleeping.
    use super::*;
    use crate::config::tests::{base, entries, parse_url, s};
    use crate::config::{parse, parse_connection};
    use crate::value::testing::parse_json;

    const T0: f64 = 1_700_000_000_000.0;
    const OK: &str = r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600,"refresh_token":"rt-1"}"#;

    fn single(extra: &[(&'static str, Value)]) -> Exchange {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        Exchange::request_token(parse(&entries(&pairs), &parse_url).unwrap())
    }

    fn connection(extra: &[(&'static str, Value)]) -> Exchange {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        let (config, options) = parse_connection(&entries(&pairs), &parse_url).unwrap();
        Exchange::connection(config, options)
    }

    #[cfg(feature = "cache")]
    fn kv() -> (&'static str, Value) {
        ("cache", Value::Object(vec![("get".into(), Value::Function), ("put".into(), Value::Function)]))
    }

    /// The host's answer: a response with this status and JSON body, parsed as the host would.
    fn answer(ex: &mut Exchange, status: u16, body: &str, cookies: &[String]) -> Step {
        let json = response::json_text(body.as_bytes(), Some("application/json")).map_or(Json::Invalid, parse_json);
        let r = Response {
            status,
            opaque_redirect: false,
            content_type: Some("application/json"),
            set_cookies: cookies,
            body: body.as_bytes(),
            json,
        };
        ex.step(Event::Response(r), T0)
    }

    fn fetch(step: Step) -> Fetch {
        match step {
            Step::Fetch(f) => f,
            other => panic!("expected a fetch, got {other:?}"),
        }
    }

    fn done(step: Step) -> Token {
        match step {
            Step::Done(t) => t,
            other => panic!("expected done, got {other:?}"),
        }
    }

    fn failed(step: Step) -> Error {
        match step {
            Step::Failed(e) => e,
            other => panic!("expected failed, got {other:?}"),
        }
    }

    #[test]
    fn request_token_fetches_once_and_ends() {
        let mut ex = single(&[("scope", s("read")), ("timeoutSeconds", Value::Number(2.5))]);
        let f = fetch(ex.step(Event::Start, T0));
        assert_eq!((f.timeout_ms, f.max_bytes), (2_500, 1 << 20));
        assert_eq!(f.request.body, "grant_type=client_credentials&scope=read");
        assert_eq!(f.request.url, "https://auth.example.com/oauth2/token");
        let cookies = vec!["sid=1; Domain=evil.example".to_owned()];
        let t = done(answer(&mut ex, 200, OK, &cookies));
        assert_eq!(t.response.access_token.expose(), "tok-1");
        assert_eq!(t.response.expires_at, Some(T0 + 3_600_000.0));
        assert_eq!(t.source, Source::Endpoint);
        assert_eq!(t.warnings.len(), 1);
        assert!(t.warnings[0].starts_with("Cookie rejected: Illegal 'domain' attribute \"evil.example\""));
        // It is over: nothing more is accepted.
        assert_eq!(failed(ex.step(Event::Start, T0)), Error::Internal);
    }

    #[test]
    fn request_token_failures() {
        let mut ex = single(&[]);
        ex.step(Event::Start, T0);
        let e = failed(answer(&mut ex, 401, r#"{"error":"invalid_client"}"#, &[]));
        assert_eq!((e.code(), e.status()), ("ERR_OAUTH", Some(401)));

        let mut ex = single(&[("timeoutSeconds", Value::Number(0.5))]);
        ex.step(Event::Start, T0);
        let facts = FetchFailure { timed_out: true, ..FetchFailure::default() };
        assert_eq!(failed(ex.step(Event::FetchFailed(facts), T0)), Error::Timeout { timeout_ms: 500 });

        let mut ex = single(&[("maxResponseBytes", Value::Number(10.0))]);
        ex.step(Event::Start, T0);
        assert_eq!(failed(ex.step(Event::TooLarge, T0)), Error::ResponseTooLarge { limit: 10 });

        let mut ex = single(&[]);
        ex.step(Event::Start, T0);
        let e = failed(ex.step(Event::FetchFailed(FetchFailure { aborted: true, ..FetchFailure::default() }), T0));
        assert_eq!(e.code(), "ERR_ABORTED");
    }

    #[test]
    fn an_event_out_of_turn_is_refused_and_the_exchange_goes_on() {
        let mut ex = single(&[]);
        assert_eq!(failed(ex.step(Event::TooLarge, T0)), Error::Internal);
        fetch(ex.step(Event::Start, T0));
        assert_eq!(failed(ex.step(Event::Start, T0)), Error::Internal);
        done(answer(&mut ex, 200, OK, &[]));
    }

    #[test]
    fn a_connection_renews_with_its_refresh_token_and_falls_back_when_it_is_refused() {
        let mut ex = connection(&[]);
        assert_eq!(ex.authorization(), None);
        assert_eq!(fetch(ex.step(Event::Start, T0)).request.body, "grant_type=client_credentials");
        let t = done(answer(&mut ex, 200, OK, &[]));
        assert_eq!(t.reuse_until, T0 + 3_540_000.0);
        assert_eq!(ex.reuse_until(), t.reuse_until);
        let (name, generation, value) = ex.authorization().unwrap();
        assert_eq!((name, value.as_str()), ("Authorization", "Bearer tok-1"));
        // A 401 drops the token: the next renewal uses the refresh token.
        assert!(ex.rest_status(401, true, generation));
        assert_eq!(ex.authorization(), None);
        assert_eq!(fetch(ex.step(Event::Start, T0)).request.body, "grant_type=refresh_token&refresh_token=rt-1");
        // Refused: the configured grant, within the same renewal.
        let f = fetch(answer(&mut ex, 400, r#"{"error":"invalid_grant"}"#, &[]));
        assert_eq!(f.request.body, "grant_type=client_credentials");
        let t = done(answer(&mut ex, 200, r#"{"access_token":"tok-2","token_type":"Bearer","expires_in":60}"#, &[]));
        assert_eq!(t.response.access_token.expose(), "tok-2");
        assert_eq!(ex.authorization().unwrap().2, "Bearer tok-2");
        // A failed renewal is an error; the connection stays usable.
        ex.invalidate();
        ex.step(Event::Start, T0);
        assert_eq!(failed(answer(&mut ex, 500, "", &[])).code(), "ERR_HTTP_STATUS");
        fetch(ex.step(Event::Start, T0));
    }

    #[test]
    fn a_connection_header_uses_its_options() {
        let mut ex = connection(&[("headerName", s("X-Api-Key")), ("headerPrefix", s(""))]);
        ex.step(Event::Start, T0);
        done(answer(&mut ex, 200, OK, &[]));
        let (name, _, value) = ex.authorization().unwrap();
        assert_eq!((name, value.as_str()), ("X-Api-Key", "tok-1"));
    }

    #[cfg(feature = "cache")]
    #[test]
    fn a_cache_miss_fetches_and_stores_the_token() {
        let mut ex = connection(&[kv()]);
        let input = match ex.step(Event::Start, T0) {
            Step::Digest { input } => input,
            other => panic!("{other:?}"),
        };
        assert_eq!(ex.key_input(), Some(input.as_str()));
        let key = match ex.step(Event::Digested(Some(&[0xab; 32])), T0) {
            Step::CacheGet { key, timeout_ms } => {
                assert_eq!(timeout_ms, cache::TIMEOUT_MS);
                key
            }
            other => panic!("{other:?}"),
        };
        assert!(key.starts_with("otc:v1:abab") && key.len() == 71);
        assert_eq!(ex.key(), Some(key.as_str()));
        fetch(ex.step(Event::CacheRead(CacheRead::Missing), T0));
        match answer(&mut ex, 200, OK, &[]) {
            Step::CachePut { key: k, token, ttl_seconds, .. } => {
                assert_eq!((k.as_str(), ttl_seconds), (key.as_str(), 3600));
                assert_eq!(token.response.access_token.expose(), "tok-1");
            }
            other => panic!("{other:?}"),
        }
        let t = done(ex.step(Event::CacheWritten(Err("TypeError")), T0));
        assert_eq!(t.warnings, [cache::write_failed("TypeError")]);
        // The next renewal reads the cache again (the key stays derived).
        assert!(matches!(ex.step(Event::Start, T0), Step::CacheGet { .. }));
    }

    #[cfg(feature = "cache")]
    #[test]
    fn a_cache_hit_is_adopted_with_its_original_expiry() {
        let mut ex = connection(&[kv()]);
        ex.step(Event::Start, T0);
        ex.step(Event::Digested(Some(&[1; 32])), T0);
        let entry = vec![
            ("accessToken".to_owned(), s("tok-c")),
            ("tokenType".to_owned(), s("Bearer")),
            ("expiresIn".to_owned(), Value::Number(3600.0)),
            ("expiresAt".to_owned(), Value::Number(T0 + 1_000_000.0)),
            ("json".to_owned(), Value::Object(vec![])),
            ("warnings".to_owned(), Value::Array(vec![])),
        ];
        let t = done(ex.step(Event::CacheRead(CacheRead::Found(&entry)), T0));
        assert_eq!((t.source, t.response.access_token.expose()), (Source::Cache, "tok-c"));
        assert_eq!(t.reuse_until, T0 + 1_000_000.0 - 60_000.0);
        assert_eq!(ex.authorization().unwrap().2, "Bearer tok-c");
        // Expired for this connection's skew: the endpoint.
        ex.invalidate();
        ex.step(Event::Start, T0);
        let late = T0 + 950_000.0;
        fetch(ex.step(Event::CacheRead(CacheRead::Found(&entry)), late));
    }

    #[cfg(feature = "cache")]
    #[test]
    fn cache_problems_are_warnings_never_errors() {
        let mut ex = connection(&[kv()]);
        ex.step(Event::Start, T0);
        // No digest on this host: the cache is skipped from now on.
        fetch(ex.step(Event::Digested(None), T0));
        let t = done(answer(&mut ex, 200, OK, &[]));
        assert_eq!(t.warnings, [cache::NO_DIGEST]);

        for (read, note) in [
            (CacheRead::Unreadable, cache::UNREADABLE.to_owned()),
            (CacheRead::Found(&[]), cache::UNREADABLE.to_owned()),
            (CacheRead::Failed("no answer within 2000 ms"), cache::read_failed("no answer within 2000 ms")),
        ] {
            let mut ex = connection(&[kv()]);
            ex.step(Event::Start, T0);
            ex.step(Event::Digested(Some(&[2; 32])), T0);
            fetch(ex.step(Event::CacheRead(read), T0));
            assert!(matches!(answer(&mut ex, 200, OK, &[]), Step::CachePut { .. }));
            let t = done(ex.step(Event::CacheWritten(Ok(())), T0));
            assert_eq!(t.warnings, [note]);
        }
    }

    #[cfg(feature = "cache")]
    #[test]
    fn a_token_without_expiry_is_not_stored() {
        let mut ex = connection(&[kv()]);
        ex.step(Event::Start, T0);
        ex.step(Event::Digested(Some(&[3; 32])), T0);
        ex.step(Event::CacheRead(CacheRead::Missing), T0);
        let t = done(answer(&mut ex, 200, r#"{"access_token":"a","token_type":"Bearer"}"#, &[]));
        assert_eq!(t.reuse_until, f64::INFINITY);
    }

    #[test]
    fn mutual_tls_sends_client_id_alone_and_its_failures_point_at_the_certificate() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "clientSecret");
        pairs.push(("clientAuthentication", s("tls_client_auth")));
        let mut ex = Exchange::request_token(parse(&entries(&pairs), &parse_url).unwrap());
        let f = fetch(ex.step(Event::Start, T0));
        assert_eq!(f.request.body, "grant_type=client_credentials&client_id=client");
        assert!(!f.request.headers.iter().any(|(n, _)| *n == "Authorization"));
        let e = failed(answer(&mut ex, 401, r#"{"error":"invalid_client"}"#, &[]));
        assert_eq!(ex.describe(&e).1, MUTUAL_TLS_HINT);
        assert!(MUTUAL_TLS_HINT.contains("fetch") && MUTUAL_TLS_HINT.contains("client certificate"));
        // The connection closed during the handshake (a TLS 1.3 server refusing no certificate).
        let mut ex = Exchange::request_token(parse(&entries(&pairs), &parse_url).unwrap());
        ex.step(Event::Start, T0);
        let facts = FetchFailure { message: Some("fetch failed".into()), ..FetchFailure::default() };
        let e = failed(ex.step(Event::FetchFailed(facts), T0));
        assert_eq!((e.code(), ex.describe(&e).1), ("ERR_NETWORK", MUTUAL_TLS_HINT));
        // Other methods keep the error's own hint.
        let ex = single(&[]);
        let e = Error::OAuth { status: 401, error: "invalid_client".into(), error_description: None, error_uri: None };
        assert_eq!(ex.describe(&e).1, e.hint());
        // self_signed_tls_client_auth likewise; a secret beside either is refused by name.
        pairs.push(("clientAuthentication", s("self_signed_tls_client_auth")));
        let mut ex = Exchange::request_token(parse(&entries(&pairs), &parse_url).unwrap());
        assert_eq!(fetch(ex.step(Event::Start, T0)).request.body, "grant_type=client_credentials&client_id=client");
        pairs.push(("clientSecret", s("secret")));
        let e = parse(&entries(&pairs), &parse_url).unwrap_err();
        assert!(e.message().starts_with("clientSecret is not used with clientAuthentication"), "{}", e.message());
    }

    #[test]
    fn the_result_members_are_the_declared_ones_in_order() {
        let mut ex = single(&[]);
        ex.step(Event::Start, T0);
        let t = done(answer(
            &mut ex,
            200,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":1,"scope":"r","refresh_token":"x"}"#,
            &[],
        ));
        let names: Vec<&str> = result_members(&t).iter().map(|(n, _)| *n).collect();
        let declared: Vec<&str> = crate::package::RESULT.iter().map(|(n, ..)| *n).collect();
        assert_eq!(names, declared);
        let mut ex = single(&[]);
        ex.step(Event::Start, T0);
        let t = done(answer(&mut ex, 200, r#"{"access_token":"a","token_type":"Bearer"}"#, &[]));
        let names: Vec<&str> = result_members(&t).iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["accessToken", "tokenType", "json", "warnings"]);
    }
}

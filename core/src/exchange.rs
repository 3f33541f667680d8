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
//! | signing      | `Signed`         | `Sign` (its second round), `Fetch`, or `Failed`            |
//! | discovering  | `Response`, ...  | `Fetch` (or `Discovered`), `Discover` (the next URL), `Failed` |
//! | any attempt  | a failure        | `Wait` when `retry` allows, then the attempt again         |
//! | waiting      | `Waited`         | the attempt again                                          |
//!
//! Where a request carries a signed assertion (RFC 7523: `private_key_jwt`, `client_secret_jwt`,
//! the jwt_bearer grant), `Fetch` is preceded by two `Sign` rounds ([`crate::assertion`]), after
//! discovery (the default audience is the token endpoint) and again for every retried attempt
//! (each assertion has a fresh `jti`).
//! With `issuer` (a URL), the first attempt of a run whose token endpoint is not known yet is a
//! `Discover` step ([`crate::discovery`]); the metadata is kept for the exchange's life. With
//! `retry`, a failed attempt that is safe to repeat ([`crate::retry`]) is followed by a `Wait`.
//! `timeoutSeconds` bounds a run from its first request on: each attempt gets what is left.
//!
//! `requestToken` runs one exchange ([`Exchange::request_token`]) and keeps nothing. A
//! connection ([`Exchange::connection`]) keeps its [`Session`] between runs: each `Start` is a
//! renewal, and [`Exchange::authorization`] gives REST calls the held token's header.

#[allow(unused_imports)]
use crate::prelude::*;

#[cfg(feature = "cache")]
use crate::cache;
#[cfg(feature = "retry")]
use crate::config::Grant;
use crate::config::{self, Config, ConnectionOptions, UrlParts};
use crate::connection::{Renewal, Session};
use crate::cookies;
#[cfg(feature = "discovery")]
use crate::discovery::{self, Answer};
use crate::error::{classify_fetch_failure, Error, FetchFailure};
use crate::request::{self, HttpRequest};
use crate::response::{self, HttpResponse, TokenResponse};
use crate::retry::{self, Failure};
#[cfg(feature = "retry")]
use crate::retry::{Decision, Repeat};
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
    /// The host's answer to [`Step::Sign`].
    #[cfg(feature = "jwt")]
    Signed(crate::assertion::Signed<'a>),
    /// [`Step::Wait`] is over.
    #[cfg(feature = "retry")]
    Waited,
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
    /// The `Retry-After` header's value (RFC 9110 §10.2.3).
    pub retry_after: Option<&'a str>,
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
    /// Prepare or compute a signature (an assertion's two rounds); answer with `Signed`.
    #[cfg(feature = "jwt")]
    Sign(crate::assertion::Sign),
    /// Fetch authorization server metadata (a GET); answer as for `Fetch`.
    #[cfg(feature = "discovery")]
    Discover(Fetch),
    /// Wait `ms` milliseconds before the next attempt; answer with `Waited` (or, when the
    /// caller's signal aborts the wait, `FetchFailed` with `aborted`).
    #[cfg(feature = "retry")]
    Wait { ms: u64 },
    /// [`Exchange::discovery`] ended: the metadata is the last response's JSON.
    #[cfg(feature = "discovery")]
    Discovered,
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
    /// Fetching the metadata from the issuer's `url`-th well-known URL.
    #[cfg(feature = "discovery")]
    Discovering {
        url: usize,
        renewal: Renewal,
    },
    #[cfg(feature = "retry")]
    Waiting(Attempt),
    #[cfg(feature = "cache")]
    Storing(Token),
    /// Making the assertion of the request for `Renewal`: the prepare round (`None`), or the
    /// signature of this signing input.
    #[cfg(feature = "jwt")]
    Signing(Renewal, Option<String>),
    /// `requestToken`'s exchange has ended.
    Over,
}

/// The attempt a wait leads to.
#[derive(Debug)]
#[cfg_attr(not(feature = "retry"), allow(dead_code))]
enum Attempt {
    Fetch(Renewal),
    #[cfg(feature = "discovery")]
    Discover {
        url: usize,
        renewal: Renewal,
    },
}

/// One token exchange, or a connection's renewals.
#[derive(Debug)]
pub struct Exchange {
    config: Config,
    connection: Option<Connection>,
    state: State,
    /// The cache's and the retries' notes for the run in progress.
    notes: Vec<String>,
    /// `discover()`: the run ends with the metadata.
    #[cfg_attr(not(feature = "discovery"), allow(dead_code))]
    discovery_only: bool,
    /// The host's URL parser, for a discovered token endpoint.
    #[cfg(feature = "discovery")]
    parse_url: Option<fn(&str) -> Option<UrlParts>>,
    /// The host's clock at the step in progress, and when the run's `timeoutSeconds` ends (from
    /// its first request on).
    now_ms: f64,
    deadline_ms: Option<f64>,
    /// Retries made in the run in progress.
    retries: u32,
    /// The jitter's generator state (xorshift64*), seeded by the host.
    random: u64,
    /// How the run's failure is explained around the error's message.
    context: Option<String>,
    why: Option<String>,
}

impl Exchange {
    /// `requestToken`'s exchange: one run, nothing kept.
    pub fn request_token(config: Config) -> Self {
        Exchange::new(config, None)
    }

    /// `discover()`'s exchange: the issuer's metadata, then `Discovered`.
    #[cfg(feature = "discovery")]
    pub fn discovery(config: Config) -> Self {
        let mut ex = Exchange::new(config, None);
        ex.discovery_only = true;
        ex
    }

    fn new(config: Config, connection: Option<Connection>) -> Self {
        Exchange {
            config,
            connection,
            state: State::Idle,
            notes: Vec::new(),
            discovery_only: false,
            #[cfg(feature = "discovery")]
            parse_url: None,
            now_ms: 0.0,
            deadline_ms: None,
            retries: 0,
            random: 0x9e37_79b9_7f4a_7c15,
            context: None,
            why: None,
        }
    }

    /// The host's WHATWG URL parser, which a discovered token endpoint goes through.
    #[cfg_attr(not(feature = "discovery"), allow(unused_mut, unused_variables))]
    pub fn parse_urls_with(mut self, parse_url: fn(&str) -> Option<UrlParts>) -> Self {
        #[cfg(feature = "discovery")]
        {
            self.parse_url = Some(parse_url);
        }
        self
    }

    /// Seeds the jitter of retries with the host's randomness.
    pub fn seed(&mut self, seed: u64) {
        self.random = seed | 1;
    }

    /// A number in [0, 1) (xorshift64*; jitter needs no more).
    #[cfg(feature = "retry")]
    fn random(&mut self) -> f64 {
        let mut x = self.random;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A connection: runs renewals on its session. With `options.cache` (in a build with the
    /// `cache` feature), each renewal first reads the shared cache, and stores what the endpoint
    /// issues.
    pub fn connection(config: Config, options: ConnectionOptions) -> Self {
        #[cfg(feature = "cache")]
        let key = options.cache.then(|| Key::Input(cache::key_input(&config)));
        let session = Session::new(&options);
        let connection = Connection {
            options,
            session,
            #[cfg(feature = "cache")]
            key,
        };
        Exchange::new(config, Some(connection))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The next step after `event`, which the host observed at `now_ms` (epoch milliseconds).
    pub fn step(&mut self, event: Event<'_>, now_ms: f64) -> Step {
        self.now_ms = now_ms;
        match (core::mem::replace(&mut self.state, State::Idle), event) {
            (State::Idle, Event::Start) => {
                self.notes.clear();
                (self.retries, self.context, self.why) = (0, None, None);
                self.deadline_ms = None;
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
                self.failed(renewal, Error::ResponseTooLarge { limit: self.config.max_response_bytes }, Failure::Other)
            }
            (State::Fetching(renewal), Event::FetchFailed(facts)) => {
                let (e, failure) = self.fetch_failure(facts);
                self.failed(renewal, e, failure)
            }
            #[cfg(feature = "discovery")]
            (State::Discovering { url, renewal }, Event::Response(r)) => self.metadata(url, renewal, r),
            #[cfg(feature = "discovery")]
            (State::Discovering { url, renewal }, Event::TooLarge) => {
                let e = Error::ResponseTooLarge { limit: self.config.max_response_bytes };
                self.discovery_failed(url, renewal, e, Failure::Other)
            }
            #[cfg(feature = "discovery")]
            (State::Discovering { url, renewal }, Event::FetchFailed(facts)) => {
                let (e, failure) = self.fetch_failure(facts);
                self.discovery_failed(url, renewal, e, failure)
            }
            #[cfg(feature = "retry")]
            (State::Waiting(attempt), Event::Waited) => match attempt {
                Attempt::Fetch(renewal) => self.fetch(renewal),
                #[cfg(feature = "discovery")]
                Attempt::Discover { url, renewal } => self.discover(url, renewal),
            },
            #[cfg(feature = "retry")]
            (State::Waiting(_), Event::FetchFailed(facts)) => {
                let (e, _) = self.fetch_failure(facts);
                self.state = self.end_state();
                Step::Failed(e)
            }
            #[cfg(feature = "jwt")]
            (State::Signing(renewal, pending), Event::Signed(signed)) => self.signed(renewal, pending, signed, now_ms),
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

    /// Whether a REST call to `target` may carry the token: an origin of `resourceOrigins` when
    /// that is set, else any https: origin and http: only to loopback hosts.
    pub fn may_send_to(&self, target: &UrlParts) -> Result<(), Error> {
        let origins = self.connection.as_ref().and_then(|c| c.options.resource_origins.as_deref());
        let origin = config::origin_of(&target.href);
        let allowed = match (origins, origin) {
            (_, None) => false,
            (Some(list), Some(o)) => list.iter().any(|l| l == o),
            (None, Some(_)) => target.protocol == "https:" || config::is_loopback(&target.hostname),
        };
        if allowed {
            return Ok(());
        }
        // The href's part before the path holds a user name and password where the URL has them:
        // the message shows the origin without them (after the last '@', which ends them).
        let shown = match origin {
            Some(o) if target.has_credentials => {
                // (Byte positions rather than str searchers: none in the .wasm.)
                let b = o.as_bytes();
                let start = b.iter().position(|&c| c == b':').map_or(0, |i| i + 3);
                let host = b.iter().rposition(|&c| c == b'@').map_or(start, |i| i + 1);
                crate::concat(&[o.get(..start).unwrap_or_default(), o.get(host..).unwrap_or_default()])
            }
            Some(o) => o.into(),
            None => target.protocol.clone(),
        };
        Err(Error::ForbiddenOrigin { origin: shown, listed: origins.is_some() })
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
        #[cfg(not(feature = "discovery"))]
        #[cfg_attr(not(feature = "retry"), allow(unused_mut))]
        let mut message = e.message();
        #[cfg(feature = "discovery")]
        let mut message = self.context.clone().unwrap_or_default();
        #[cfg(feature = "discovery")]
        {
            let own = e.message();
            // The error's own words are about the token endpoint; under discovery the metadata
            // request failed.
            let reworded = DISCOVERY_WORDS.iter().find_map(|(from, to)| {
                own.strip_prefix(from).filter(|_| self.context.is_some()).map(|rest| crate::concat(&[to, rest]))
            });
            message.push_str(reworded.as_deref().unwrap_or(&own));
        }
        #[cfg(feature = "retry")]
        if let Some(why) = &self.why {
            message.push_str(" (");
            message.push_str(why);
            message.push(')');
        }
        #[cfg(feature = "retry")]
        if self.retries > 0 {
            message.push_str(" (after ");
            message.push_str(&crate::decimal(u64::from(self.retries)));
            message.push_str(if self.retries == 1 { " retry)" } else { " retries)" });
        }
        (message, hint)
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
        // Discovery first: an assertion's default audience is the (discovered) token endpoint.
        #[cfg(feature = "discovery")]
        if self.config.needs_discovery() {
            return self.discover(0, renewal);
        }
        // Every attempt (a retry's too) signs a new assertion, with a fresh jti.
        #[cfg(feature = "jwt")]
        if crate::assertion::needed(&self.config, matches!(renewal, Renewal::Refresh(_))) {
            if let Some(sign) = crate::assertion::prepare(&self.config) {
                self.state = State::Signing(renewal, None);
                return Step::Sign(sign);
            }
        }
        let Some(timeout_ms) = self.remaining() else { return self.timed_out() };
        let request = match &self.connection {
            Some(c) => c.session.request(&self.config, &renewal),
            None => request::build(&self.config),
        };
        self.state = State::Fetching(renewal);
        Step::Fetch(Fetch { request, timeout_ms, max_bytes: self.config.max_response_bytes })
    }

    /// What is left of the run's timeout, in whole milliseconds (it starts with the first
    /// request); `None` when nothing is.
    fn remaining(&mut self) -> Option<u64> {
        let deadline = *self.deadline_ms.get_or_insert(self.now_ms + self.config.timeout_ms as f64);
        Some(crate::config::ceil(deadline - self.now_ms)).filter(|ms| *ms > 0)
    }

    fn timed_out(&mut self) -> Step {
        self.state = self.end_state();
        Step::Failed(Error::Timeout { timeout_ms: self.config.timeout_ms })
    }

    /// A failed fetch's error, and what retrying makes of it: a network error before any
    /// response byte, or anything else.
    fn fetch_failure(&self, mut facts: FetchFailure) -> (Error, Failure<'static>) {
        facts.timeout_ms = self.config.timeout_ms;
        let (never_sent, after_response) = (retry::never_sent(&facts.cause_codes), facts.after_response);
        let e = classify_fetch_failure(facts);
        let failure = match e {
            Error::Network { .. } if !after_response => Failure::Network { never_sent },
            _ => Failure::Other,
        };
        (e, failure)
    }

    /// The metadata request to the issuer's `url`-th well-known URL.
    #[cfg(feature = "discovery")]
    fn discover(&mut self, url: usize, renewal: Renewal) -> Step {
        let Some(timeout_ms) = self.remaining() else { return self.timed_out() };
        let Some(issuer) = &self.config.issuer else { return Step::Failed(Error::Internal) };
        let href = issuer.url(url);
        self.state = State::Discovering { url, renewal };
        Step::Discover(Fetch {
            request: discovery::request(&href),
            timeout_ms,
            max_bytes: self.config.max_response_bytes,
        })
    }

    /// The answer to a metadata request: the token endpoint, or the next URL, or a failure.
    #[cfg(feature = "discovery")]
    fn metadata(&mut self, url: usize, renewal: Renewal, r: Response<'_>) -> Step {
        let (Some(issuer), Some(parse_url)) = (&self.config.issuer, self.parse_url) else {
            return Step::Failed(Error::Internal);
        };
        let http = HttpResponse {
            status: r.status,
            opaque_redirect: r.opaque_redirect,
            content_type: r.content_type,
            body: r.body,
        };
        match discovery::interpret(issuer, &http, r.json, &parse_url) {
            Answer::Metadata(endpoint) if self.discovery_only => {
                self.config.discovered(endpoint);
                self.state = State::Over;
                Step::Discovered
            }
            Answer::Metadata(endpoint) => {
                self.config.discovered(endpoint);
                self.fetch(renewal)
            }
            Answer::NotHere(_) if url == 0 => self.discover(1, renewal),
            Answer::NotHere(e) => {
                self.context = Some(crate::concat(&["no metadata at ", &issuer.url(0), " nor ", &issuer.url(1), ": "]));
                self.state = self.end_state();
                Step::Failed(e)
            }
            Answer::Failed(e) => {
                let failure = Failure::Status { status: r.status, retry_after: r.retry_after };
                self.discovery_failed(url, renewal, e, failure)
            }
        }
    }

    #[cfg(feature = "discovery")]
    fn discovery_failed(&mut self, url: usize, renewal: Renewal, e: Error, failure: Failure<'_>) -> Step {
        let href = self.config.issuer.as_ref().map(|i| i.url(url)).unwrap_or_default();
        self.context = Some(crate::concat(&["discovering the issuer's metadata (", &href, "): "]));
        self.retry_or_fail(Attempt::Discover { url, renewal }, e, failure)
    }

    /// After a failed attempt: a `Wait` and the attempt again when `retry` allows, else the error.
    #[cfg_attr(not(feature = "retry"), allow(unused_variables))]
    fn retry_or_fail(&mut self, attempt: Attempt, e: Error, failure: Failure<'_>) -> Step {
        #[cfg(feature = "retry")]
        if let Some(r) = self.config.retry {
            let repeat = match &attempt {
                #[cfg(feature = "discovery")]
                Attempt::Discover { .. } => Repeat::Always,
                Attempt::Fetch(Renewal::Refresh(_)) => Repeat::NeverSent,
                Attempt::Fetch(Renewal::Configured) => match self.config.grant {
                    // Another token; nothing is consumed.
                    Grant::ClientCredentials => Repeat::Always,
                    Grant::Password { .. } => Repeat::BeforeResponse,
                    Grant::RefreshToken { .. } => Repeat::NeverSent,
                    // A new assertion (a fresh jti) is signed for the next attempt.
                    #[cfg(feature = "jwt")]
                    Grant::JwtBearer => Repeat::Always,
                },
            };
            let random = self.random();
            let deadline = self.deadline_ms.unwrap_or(f64::INFINITY);
            match retry::decide(&r, self.retries, repeat, failure, self.now_ms, deadline, random) {
                Decision::Retry { delay_ms, note } => {
                    self.retries += 1;
                    self.notes.push(note);
                    self.context = None;
                    self.state = State::Waiting(attempt);
                    return Step::Wait { ms: delay_ms };
                }
                Decision::Stop(why) => self.why = why,
            }
        }
        self.state = self.end_state();
        Step::Failed(e)
    }

    /// The host's answer to a `Sign` round: the next round, the request with its assertion, or
    /// the error.
    #[cfg(feature = "jwt")]
    fn signed(
        &mut self,
        renewal: Renewal,
        pending: Option<String>,
        signed: crate::assertion::Signed<'_>,
        now_ms: f64,
    ) -> Step {
        use crate::assertion::{self, Signed};
        match (pending, signed) {
            (_, Signed::Failed { stage, name }) => {
                let e = assertion::failure(&self.config, stage, name);
                self.failed(renewal, e, Failure::Other)
            }
            (None, Signed::Prepared { random, sha1, sha256 }) => {
                match assertion::input(&mut self.config, random, sha1, sha256, now_ms) {
                    Ok(sign) => {
                        if let assertion::Sign::Input { input, .. } = &sign {
                            self.state = State::Signing(renewal, Some(input.clone()));
                        }
                        Step::Sign(sign)
                    }
                    Err(e) => self.failed(renewal, e, Failure::Other),
                }
            }
            (Some(input), Signed::Signature(signature)) => {
                match assertion::assemble(&mut self.config, &input, signature) {
                    Ok(jws) => {
                        let refresh = match &renewal {
                            Renewal::Refresh(r) => Some(r),
                            Renewal::Configured => None,
                        };
                        let request = request::build_signed(&self.config, refresh, &jws);
                        let Some(timeout_ms) = self.remaining() else { return self.timed_out() };
                        self.state = State::Fetching(renewal);
                        Step::Fetch(Fetch { request, timeout_ms, max_bytes: self.config.max_response_bytes })
                    }
                    Err(e) => self.failed(renewal, e, Failure::Other),
                }
            }
            (pending, _) => {
                self.state = State::Signing(renewal, pending);
                Step::Failed(Error::Internal)
            }
        }
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
        let Response { status, opaque_redirect, content_type, set_cookies, body, json, retry_after } = r;
        let http = HttpResponse { status, opaque_redirect, content_type, body };
        let token = match response::interpret_parsed(&http, json, now_ms) {
            Ok(t) => t,
            Err(e) => return self.failed(renewal, e, Failure::Status { status, retry_after }),
        };
        let warnings =
            cookies::check(set_cookies, self.config.token_endpoint.host(), self.config.ignore_cookies_policy);
        let Some(c) = self.connection.as_mut() else {
            let token = Token { response: token, warnings, source: Source::Endpoint, reuse_until: f64::NEG_INFINITY };
            return self.done(token);
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
    fn failed(&mut self, renewal: Renewal, e: Error, failure: Failure<'_>) -> Step {
        if let Some(c) = self.connection.as_mut() {
            if let Some(next) = c.session.after_failure(&self.config, &renewal, &e) {
                return self.fetch(next);
            }
        }
        self.retry_or_fail(Attempt::Fetch(renewal), e, failure)
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

/// How an error's message begins, and how it reads when a metadata request failed.
#[cfg(feature = "discovery")]
const DISCOVERY_WORDS: [(&str, &str); 5] = [
    ("invalid token response: ", "invalid metadata: "),
    ("the token endpoint ", "the server "),
    ("the token request ", "the metadata request "),
    ("TLS to the token endpoint ", "TLS to the server "),
    ("the token response ", "the metadata "),
];

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
            retry_after: None,
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
    fn the_token_goes_only_where_it_may() {
        let url = |u: &str| parse_url(u).unwrap();
        let ex = connection(&[]);
        assert_eq!(ex.may_send_to(&url("https://api.example.com/x")), Ok(()));
        assert_eq!(ex.may_send_to(&url("http://127.0.0.1:9/x")), Ok(()));
        let e = ex.may_send_to(&url("http://api.example.com/x")).unwrap_err();
        assert_eq!((e.code(), e.message().contains("http://api.example.com ")), ("ERR_FORBIDDEN_ORIGIN", true));
        // Listing an http: origin off loopback is the opt-in to sending the token there.
        let list = Value::Array(vec![s("https://api.example.com"), s("http://api.internal.example")]);
        let ex = connection(&[("resourceOrigins", list)]);
        assert_eq!(ex.may_send_to(&url("http://api.internal.example/v1")), Ok(()));
        assert!(ex.may_send_to(&url("http://api.example.com/v1")).is_err());
        let ex = connection(&[(
            "resourceOrigins",
            Value::Array(vec![s("https://api.example.com"), s("http://localhost:8080")]),
        )]);
        assert_eq!(ex.may_send_to(&url("https://api.example.com/v1?q")), Ok(()));
        assert_eq!(ex.may_send_to(&url("http://localhost:8080/")), Ok(()));
        for other in [
            "https://api.example.com:444/",
            "https://evil.example/",
            "http://localhost:8081/",
            "http://127.0.0.1:8080/",
        ] {
            let e = ex.may_send_to(&url(other)).unwrap_err();
            assert!(e.message().contains("is not listed"), "{other}: {}", e.message());
        }
        // A user name and password in the URL are never quoted.
        let e = ex.may_send_to(&url("https://user:hunter2@api.example.com/x")).unwrap_err();
        assert!(e.message().contains("; https://api.example.com is not listed"), "{}", e.message());
        assert!(!e.message().contains("hunter2") && !e.message().contains("user"), "{}", e.message());
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

    #[cfg(feature = "discovery")]
    /// An issuer's exchange: the base config with `issuer` instead of `tokenEndpoint`.
    fn issuer_config(issuer: &str, extra: &[(&'static str, Value)]) -> Vec<(String, Value)> {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "tokenEndpoint");
        pairs.push(("issuer", s(issuer)));
        pairs.extend_from_slice(extra);
        entries(&pairs)
    }

    #[cfg(feature = "discovery")]
    fn discovering(issuer: &str, extra: &[(&'static str, Value)]) -> Exchange {
        Exchange::request_token(parse(&issuer_config(issuer, extra), &parse_url).unwrap()).parse_urls_with(parse_url)
    }

    #[cfg(any(feature = "discovery", feature = "retry"))]
    /// A response with headers that matter here, at `now`.
    fn answer_at(ex: &mut Exchange, status: u16, body: &str, retry_after: Option<&str>, now: f64) -> Step {
        let json = response::json_text(body.as_bytes(), Some("application/json")).map_or(Json::Invalid, parse_json);
        let r = Response {
            status,
            opaque_redirect: false,
            content_type: Some("application/json"),
            set_cookies: &[],
            body: body.as_bytes(),
            json,
            retry_after,
        };
        ex.step(Event::Response(r), now)
    }

    #[cfg(feature = "discovery")]
    fn discover(step: Step) -> Fetch {
        match step {
            Step::Discover(f) => f,
            other => panic!("expected a discover step, got {other:?}"),
        }
    }

    #[cfg(feature = "retry")]
    fn wait(step: Step) -> u64 {
        match step {
            Step::Wait { ms } => ms,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[cfg(feature = "discovery")]
    const METADATA: &str = r#"{"issuer":"https://as.example.com/tenant","token_endpoint":"https://as.example.com/tenant/token","jwks_uri":"x"}"#;

    #[cfg(feature = "discovery")]
    #[test]
    fn an_issuer_is_discovered_at_the_rfc_8414_url_then_the_openid_one() {
        let mut ex = discovering("https://as.example.com/tenant", &[]);
        let d = discover(ex.step(Event::Start, T0));
        assert_eq!(d.request.url, "https://as.example.com/.well-known/oauth-authorization-server/tenant");
        assert_eq!((d.request.method, d.request.body.as_str()), ("GET", ""));
        assert_eq!((d.timeout_ms, d.max_bytes), (30_000, 1 << 20));
        let d = discover(answer_at(&mut ex, 404, "", None, T0 + 10.0));
        assert_eq!(d.request.url, "https://as.example.com/tenant/.well-known/openid-configuration");
        assert_eq!(d.timeout_ms, 29_990, "the run's timeout is shared by its requests");
        let f = fetch(answer_at(&mut ex, 200, METADATA, None, T0 + 20.0));
        assert_eq!(f.request.url, "https://as.example.com/tenant/token");
        assert_eq!(f.request.body, "grant_type=client_credentials");
        assert_eq!(f.timeout_ms, 29_980);
        assert_eq!(done(answer(&mut ex, 200, OK, &[])).response.access_token.expose(), "tok-1");
    }

    #[cfg(feature = "discovery")]
    #[test]
    fn a_connection_discovers_once() {
        let (config, options) =
            parse_connection(&issuer_config("https://as.example.com/tenant", &[]), &parse_url).unwrap();
        let mut ex = Exchange::connection(config, options).parse_urls_with(parse_url);
        discover(ex.step(Event::Start, T0));
        fetch(answer(&mut ex, 200, METADATA, &[]));
        done(answer(&mut ex, 200, OK, &[]));
        ex.invalidate();
        // The metadata is kept: the next renewal goes straight to the token endpoint.
        assert_eq!(fetch(ex.step(Event::Start, T0)).request.url, "https://as.example.com/tenant/token");
        // A failed discovery fails the renewal; the next one discovers again.
        let (config, options) =
            parse_connection(&issuer_config("https://as.example.com/tenant", &[]), &parse_url).unwrap();
        let mut ex = Exchange::connection(config, options).parse_urls_with(parse_url);
        discover(ex.step(Event::Start, T0));
        assert_eq!(failed(answer(&mut ex, 500, "", &[])).status(), Some(500));
        discover(ex.step(Event::Start, T0));
    }

    #[cfg(feature = "discovery")]
    #[test]
    fn discovery_refuses_another_issuer_an_insecure_endpoint_and_no_metadata() {
        let mut ex = discovering("https://as.example.com/tenant", &[]);
        ex.step(Event::Start, T0);
        let other = r#"{"issuer":"https://evil.example.com","token_endpoint":"https://evil.example.com/token"}"#;
        let e = failed(answer(&mut ex, 200, other, &[]));
        assert_eq!(e.code(), "ERR_INVALID_RESPONSE");
        let (message, _) = ex.describe(&e);
        assert!(message.starts_with("discovering the issuer's metadata (https://as.example.com/.well-known/oauth-authorization-server/tenant): invalid metadata: the metadata's issuer is not the configured issuer"), "{message}");

        let mut ex = discovering("https://as.example.com/tenant", &[]);
        ex.step(Event::Start, T0);
        let http = r#"{"issuer":"https://as.example.com/tenant","token_endpoint":"http://as.example.com/token"}"#;
        assert_eq!(failed(answer(&mut ex, 200, http, &[])), Error::InsecureEndpoint);

        let mut ex = discovering("https://as.example.com/tenant", &[]);
        ex.step(Event::Start, T0);
        discover(answer(&mut ex, 404, "", &[]));
        let e = failed(answer(&mut ex, 404, "", &[]));
        assert_eq!(e.status(), Some(404));
        assert_eq!(
            ex.describe(&e).0,
            "no metadata at https://as.example.com/.well-known/oauth-authorization-server/tenant nor \
             https://as.example.com/tenant/.well-known/openid-configuration: the server answered HTTP 404, content-type \
             application/json at this well-known URL: no metadata published there"
        );
    }

    #[cfg(feature = "discovery")]
    #[test]
    fn metadata_passed_as_issuer_is_not_fetched_and_discover_ends_with_it() {
        let metadata = Value::Object(vec![
            ("issuer".into(), s("https://as.example.com/tenant")),
            ("token_endpoint".into(), s("https://as.example.com/tenant/token")),
        ]);
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "tokenEndpoint");
        pairs.push(("issuer", metadata));
        let mut ex = Exchange::request_token(parse(&entries(&pairs), &parse_url).unwrap());
        assert_eq!(fetch(ex.step(Event::Start, T0)).request.url, "https://as.example.com/tenant/token");

        let options =
            entries(&[("issuer", s("https://as.example.com/tenant")), ("timeoutSeconds", Value::Number(5.0))]);
        let config = crate::config::parse_discovery(options, &parse_url).unwrap();
        let mut ex = Exchange::discovery(config).parse_urls_with(parse_url);
        assert_eq!(discover(ex.step(Event::Start, T0)).timeout_ms, 5_000);
        assert_eq!(answer(&mut ex, 200, METADATA, &[]), Step::Discovered);
    }

    #[cfg(feature = "retry")]
    fn retrying(extra: &[(&'static str, Value)]) -> Exchange {
        let mut pairs = vec![("retry", Value::Object(vec![]))];
        pairs.extend_from_slice(extra);
        single(&pairs)
    }

    #[cfg(feature = "retry")]
    #[test]
    fn a_429_with_retry_after_is_retried_once_after_it() {
        let mut ex = retrying(&[]);
        ex.step(Event::Start, T0);
        assert_eq!(wait(answer_at(&mut ex, 429, "", Some("1"), T0)), 1_000);
        let f = fetch(ex.step(Event::Waited, T0 + 1_000.0));
        assert_eq!((f.request.body.as_str(), f.timeout_ms), ("grant_type=client_credentials", 29_000));
        let t = done(answer_at(&mut ex, 200, OK, None, T0 + 1_100.0));
        assert_eq!(t.warnings, ["retried after HTTP 429: waited 1000 ms (Retry-After)"]);
    }

    #[cfg(feature = "retry")]
    #[test]
    fn a_503_with_an_http_date_waits_until_then() {
        const DATE_MS: f64 = 1_700_000_003_000.0; // Tue, 14 Nov 2023 22:13:23 GMT
        let mut ex = retrying(&[]);
        ex.step(Event::Start, T0);
        assert_eq!(wait(answer_at(&mut ex, 503, "", Some("Tue, 14 Nov 2023 22:13:23 GMT"), T0)), (DATE_MS - T0) as u64);
    }

    #[cfg(feature = "retry")]
    #[test]
    fn retry_gives_up_beyond_the_cap_the_attempts_and_the_timeout_and_says_why() {
        let cap = ("retry", Value::Object(vec![("maxDelaySeconds".into(), Value::Number(30.0))]));
        let mut ex = single(&[cap]);
        ex.step(Event::Start, T0);
        let e = failed(answer_at(&mut ex, 429, "", Some("120"), T0));
        assert_eq!((e.code(), e.status()), ("ERR_HTTP_STATUS", Some(429)));
        assert!(ex
            .describe(&e)
            .0
            .ends_with("(not retried: Retry-After asks for 120 s, more than retry.maxDelaySeconds (30))"));

        let mut ex = retrying(&[]);
        ex.step(Event::Start, T0);
        for _ in 0..2 {
            wait(answer_at(&mut ex, 503, "", Some("0"), T0));
            fetch(ex.step(Event::Waited, T0));
        }
        let e = failed(answer_at(&mut ex, 503, "", Some("0"), T0));
        assert!(
            ex.describe(&e).0.ends_with("(not retried again: retry.attempts (2) used up) (after 2 retries)"),
            "{}",
            ex.describe(&e).0
        );

        let mut ex = retrying(&[("timeoutSeconds", Value::Number(2.0))]);
        ex.step(Event::Start, T0);
        let e = failed(answer_at(&mut ex, 429, "", Some("2"), T0 + 500.0));
        assert!(ex.describe(&e).0.contains("would pass timeoutSeconds"));
        // Without `retry` nothing is retried.
        let mut ex = single(&[]);
        ex.step(Event::Start, T0);
        failed(answer_at(&mut ex, 429, "", Some("1"), T0));
    }

    #[cfg(feature = "retry")]
    #[test]
    fn network_errors_before_a_response_are_retried_with_jitter() {
        let mut ex = retrying(&[("grantType", s("password")), ("username", s("u")), ("password", s("p"))]);
        ex.seed(42);
        ex.step(Event::Start, T0);
        let reset = FetchFailure {
            message: Some("fetch failed".into()),
            cause_codes: vec!["ECONNRESET".into()],
            ..FetchFailure::default()
        };
        let ms = wait(ex.step(Event::FetchFailed(reset.clone()), T0));
        assert!(ms < 1_000, "full jitter under the first cap: {ms}");
        fetch(ex.step(Event::Waited, T0));
        // The password grant: a busy answer is final; so is a failure while reading the body.
        failed(answer_at(&mut ex, 503, "", Some("1"), T0));
        ex = retrying(&[]);
        ex.step(Event::Start, T0);
        failed(ex.step(Event::FetchFailed(FetchFailure { after_response: true, ..reset.clone() }), T0));
        // A timeout or an abort is never retried; an abort during the wait ends it.
        ex = retrying(&[]);
        ex.step(Event::Start, T0);
        failed(ex.step(Event::FetchFailed(FetchFailure { timed_out: true, ..reset.clone() }), T0));
        ex = retrying(&[]);
        ex.step(Event::Start, T0);
        wait(ex.step(Event::FetchFailed(reset), T0));
        let e = failed(ex.step(Event::FetchFailed(FetchFailure { aborted: true, ..FetchFailure::default() }), T0));
        assert_eq!(e, Error::Aborted);
    }

    #[cfg(feature = "retry")]
    #[test]
    fn a_refresh_token_is_never_retried_once_the_server_may_have_seen_it() {
        let mut ex = connection(&[("retry", Value::Object(vec![]))]);
        ex.step(Event::Start, T0);
        done(answer(&mut ex, 200, OK, &[]));
        ex.invalidate();
        assert_eq!(fetch(ex.step(Event::Start, T0)).request.body, "grant_type=refresh_token&refresh_token=rt-1");
        failed(answer_at(&mut ex, 503, "", Some("1"), T0));
        fetch(ex.step(Event::Start, T0));
        let reset = FetchFailure { cause_codes: vec!["ECONNRESET".into()], ..FetchFailure::default() };
        failed(ex.step(Event::FetchFailed(reset), T0));
        // Refused before anything was sent: safe.
        fetch(ex.step(Event::Start, T0));
        let refused = FetchFailure { cause_codes: vec!["ECONNREFUSED".into()], ..FetchFailure::default() };
        wait(ex.step(Event::FetchFailed(refused), T0));
        assert_eq!(fetch(ex.step(Event::Waited, T0)).request.body, "grant_type=refresh_token&refresh_token=rt-1");
        // The configured refresh_token grant likewise.
        let mut ex = retrying(&[("grantType", s("refresh_token")), ("refreshToken", s("r"))]);
        ex.step(Event::Start, T0);
        failed(answer_at(&mut ex, 429, "", Some("1"), T0));
    }

    #[cfg(all(feature = "discovery", feature = "retry"))]
    #[test]
    fn discovery_is_retried_too() {
        let mut ex = discovering("https://as.example.com/tenant", &[("retry", Value::Object(vec![]))]);
        ex.step(Event::Start, T0);
        assert_eq!(wait(answer_at(&mut ex, 503, "", Some("2"), T0)), 2_000);
        let d = discover(ex.step(Event::Waited, T0 + 2_000.0));
        assert_eq!(d.request.url, "https://as.example.com/.well-known/oauth-authorization-server/tenant");
        fetch(answer(&mut ex, 200, METADATA, &[]));
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

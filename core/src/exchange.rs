//! The token exchange as a sans-IO state machine (the shape of rustls' unbuffered API): the host
//! performs each [`Step`] and reports what happened as an [`Event`], with the time; the machine
//! owns every decision in between.
//!
//! | state        | event            | next step                                                  |
//! |--------------|------------------|------------------------------------------------------------|
//! | idle         | `Start`          | `KeyedDigest` (key unknown), `CacheGet`, `Ask`, `Load`, or `Fetch` |
//! | digesting    | `Digested`       | `CacheGet`, `Ask`, `Load`, or `Fetch` (no HMAC: a warning) |
//! | reading      | `CacheRead`      | `Done` (a valid entry), else `Fetch`                       |
//! | fetching     | `Response`       | `Done`, `CachePut`, `Failed`, or `Fetch` (refresh refused) |
//! | fetching     | `FetchFailed`, `TooLarge` | `Failed`, or `Fetch` (never for these)            |
//! | storing      | `CacheWritten`   | `Done`                                                     |
//! | signing      | `Signed`         | `Sign` (its second round), `Fetch`, or `Failed`            |
//! | asking       | `Answered`       | `Done` (the object's token), `Relayed` (its error), else `Fetch` |
//! | loading      | `Loaded`         | `Save` (a dropped token), `Answer`, or `Fetch`             |
//! | saving       | `Saved`          | `Answer`, or `Fetch` (after a drop)                        |
//! | discovering  | `Response`, ...  | `Fetch` (or `Discovered`), `Discover` (the next URL), `Failed` |
//! | any attempt  | a failure        | `Wait` when `retry` allows, then the attempt again         |
//! | waiting      | `Waited`         | the attempt again                                          |
//!
//! Asking, loading and saving are the coordinator's ([`crate::coordinator`]): a connection asks
//! its object, and the object ([`Exchange::object`]) loads, renews and saves for one ask; the
//! object's renewal discovers and retries as a connection's does.
//!
//! Where a request carries a signed assertion (RFC 7523: `private_key_jwt`, `client_secret_jwt`,
//! the jwt_bearer grant), `Fetch` is preceded by two `Sign` rounds ([`crate::assertion`]), after
//! discovery (the default audience is the token endpoint) and again for every retried attempt
//! (each assertion has a fresh `jti`).
//!
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
use crate::cache::{self, Entry};
#[cfg(feature = "retry")]
use crate::config::Grant;
use crate::config::{self, Config, ConnectionOptions, UrlParts};
use crate::connection::{Renewal, Session};
use crate::cookies;
#[cfg(feature = "cache")]
use crate::coordinator::{self, Record};
#[cfg(feature = "discovery")]
use crate::discovery::{self, Answer as Metadata};
use crate::error::{classify_fetch_failure, Error, FetchFailure};
use crate::request::{self, HttpRequest};
use crate::response::{self, HttpResponse, TokenResponse};
use crate::retry::{self, Failure};
#[cfg(feature = "retry")]
use crate::retry::{Decision, Repeat};
#[cfg(feature = "cache")]
use crate::secret::{AccessToken, KeySecret};
use crate::value::{Json, Value};

/// What the host reports.
#[derive(Debug)]
pub enum Event<'a> {
    /// Begin an exchange (for a connection: a renewal).
    Start,
    /// The HMAC-SHA-256 of [`Step::KeyedDigest`]; `None` where the host has none.
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
    /// The coordinator's answer to [`Step::Ask`].
    #[cfg(feature = "cache")]
    Answered(Answer<'a>),
    /// The object's stored record, as [`Step::Load`] read it (memory, else storage).
    #[cfg(feature = "cache")]
    Loaded(CacheRead<'a>),
    /// [`Step::Save`] finished; `Err` names why it failed.
    #[cfg(feature = "cache")]
    Saved(Result<(), &'a str>),
}

/// What the coordinator's object answered.
#[cfg(feature = "cache")]
#[derive(Debug)]
pub enum Answer<'a> {
    /// A token: the entry's members (each walked one level).
    Token(&'a [(String, Value)]),
    /// The object's own token request failed: the run ends with its error, which the host holds.
    Refused,
    /// It could not be asked: it threw, rejected, did not answer in time, or answered something
    /// else; the reason (an error's name).
    Failed(&'a str),
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

/// A token endpoint's answer. `json` is what [`crate::json::read`] made of
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
    /// HMAC-SHA-256 of `input` keyed by `secret` (the shared key); answer with `Digested`.
    #[cfg(feature = "cache")]
    KeyedDigest { secret: KeySecret, input: String },
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
    /// Ask the coordinator's object named `key` for a token, sending the configuration and
    /// `drop` (the token this connection dropped), within `timeout_ms`; answer with `Answered`.
    #[cfg(feature = "cache")]
    Ask { key: String, drop: Option<AccessToken>, timeout_ms: u64 },
    /// The run ended with the error the object answered (the host hands it on).
    #[cfg(feature = "cache")]
    Relayed,
    /// The object: read the record stored under `key`, once no other ask for it is renewing;
    /// answer with `Loaded`.
    #[cfg(feature = "cache")]
    Load { key: String },
    /// The object: store `record` under `key` (nothing in it: delete); answer with `Saved`.
    #[cfg(feature = "cache")]
    Save { key: String, record: Record<Token> },
    /// The object's run ended: the token for the asker (as an entry: no refresh token), or none
    /// for an ask that only drops.
    #[cfg(feature = "cache")]
    Answer(Option<Token>),
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
    /// The coordinator's answer, or (in its object) the stored record.
    Coordinator,
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

/// Where a connection shares its token (with `key`).
#[cfg(feature = "cache")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shared {
    /// A KV-shaped cache (`cache`).
    Cache,
    /// It asks the coordinator's object (`coordinator`).
    Coordinator,
    /// It is the coordinator's object, running one ask.
    Object { drop_only: bool },
}

#[derive(Debug)]
struct Connection {
    options: ConnectionOptions,
    session: Session,
    #[cfg(feature = "cache")]
    key: Option<Key>,
    #[cfg(feature = "cache")]
    shared: Shared,
    /// The object: the token the asker dropped.
    #[cfg(feature = "cache")]
    drop: Option<AccessToken>,
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
    #[cfg(feature = "cache")]
    Asking,
    #[cfg(feature = "cache")]
    Loading,
    /// The object saves a record, then answers this token, or renews (`None`).
    #[cfg(feature = "cache")]
    Saving(Option<Token>),
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
    /// issues; with `options.coordinator`, it first asks the coordinator's object.
    pub fn connection(config: Config, options: ConnectionOptions) -> Self {
        #[cfg(feature = "cache")]
        let shared = if options.coordinator { Shared::Coordinator } else { Shared::Cache };
        #[cfg(feature = "cache")]
        let key = (options.cache || options.coordinator).then(|| Key::Input(cache::key_input(&config)));
        let session = Session::new(&options);
        let connection = Connection {
            options,
            session,
            #[cfg(feature = "cache")]
            key,
            #[cfg(feature = "cache")]
            shared,
            #[cfg(feature = "cache")]
            drop: None,
        };
        Exchange::new(config, Some(connection))
    }

    /// The coordinator's object, running one ask with the asker's configuration and options:
    /// it drops `drop` if that is still its current token, and then, unless `drop_only`,
    /// answers a token valid for the asker's skew, renewing it first when needed. One run;
    /// the configuration is dropped with the exchange.
    #[cfg(feature = "cache")]
    pub fn object(config: Config, options: ConnectionOptions, drop: Option<AccessToken>, drop_only: bool) -> Self {
        let key = Some(Key::Input(cache::key_input(&config)));
        let session = Session::new(&options);
        let shared = Shared::Object { drop_only };
        Exchange::new(config, Some(Connection { options, session, key, shared, drop }))
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
            #[cfg(feature = "cache")]
            (State::Asking, Event::Answered(answer)) => self.answered(answer, now_ms),
            #[cfg(feature = "cache")]
            (State::Loading, Event::Loaded(read)) => self.loaded(read, now_ms),
            #[cfg(feature = "cache")]
            (State::Saving(next), Event::Saved(saved)) => {
                if let Err(reason) = saved {
                    self.notes.push(coordinator::saving_failed(reason));
                }
                match next {
                    Some(token) => self.answer(Some(token)),
                    None if self.drop_only() => self.answer(None),
                    None => self.renew(),
                }
            }
            (state, _) => {
                // A host that answers a step it was not given: refuse, and keep the state.
                self.state = state;
                Step::Failed(Error::Internal)
            }
        }
    }

    /// The shared key's HMAC input and key, when the key is still to be derived.
    #[cfg(feature = "cache")]
    pub fn key_input(&self) -> Option<(KeySecret, &str)> {
        match self.connection.as_ref()?.key.as_ref()? {
            Key::Input(input) => Some((cache::key_secret(&self.config), input)),
            _ => None,
        }
    }

    /// Derives the shared key from the host's HMAC of [`Exchange::key_input`] (32 bytes; any
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

    /// What `invalidate()` asks the coordinator's object to drop: its key, the token this
    /// connection dropped last, and the time to wait. `None` without a coordinator, a derived
    /// key or a dropped token.
    #[cfg(feature = "cache")]
    pub fn drop_ask(&self) -> Option<(&str, &AccessToken, u64)> {
        let c = self.connection.as_ref().filter(|c| c.shared == Shared::Coordinator)?;
        match (&c.key, c.session.dropped()) {
            (Some(Key::Ready(key)), Some(token)) => Some((key, token, self.ask_timeout_ms())),
            _ => None,
        }
    }

    /// The first step of a run once the key is known: the cache read, the ask, the object's
    /// load, or the fetch.
    fn begin(&mut self) -> Step {
        #[cfg(feature = "cache")]
        if let Some(c) = &self.connection {
            match (&c.key, c.shared) {
                (Some(Key::Input(input)), _) => {
                    let input = input.clone();
                    self.state = State::Digesting;
                    return Step::KeyedDigest { secret: cache::key_secret(&self.config), input };
                }
                (Some(Key::Ready(key)), Shared::Cache) => {
                    let key = key.clone();
                    self.state = State::Reading;
                    return Step::CacheGet { key, timeout_ms: cache::TIMEOUT_MS };
                }
                (Some(Key::Ready(key)), Shared::Coordinator) => {
                    let (key, drop) = (key.clone(), c.session.dropped().cloned());
                    self.state = State::Asking;
                    return Step::Ask { key, drop, timeout_ms: self.ask_timeout_ms() };
                }
                (Some(Key::Ready(key)), Shared::Object { .. }) => {
                    let key = key.clone();
                    self.state = State::Loading;
                    return Step::Load { key };
                }
                (Some(Key::Unavailable), Shared::Cache) => self.notes.push(cache::NO_DIGEST.into()),
                (Some(Key::Unavailable), _) => self.notes.push(coordinator::NO_DIGEST.into()),
                (None, _) => {}
            }
        }
        self.renew()
    }

    /// A fetch with what the session renews with (a held refresh token first).
    fn renew(&mut self) -> Step {
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
            Metadata::Metadata(endpoint) if self.discovery_only => {
                self.config.discovered(endpoint);
                self.state = State::Over;
                Step::Discovered
            }
            Metadata::Metadata(endpoint) => {
                self.config.discovered(endpoint);
                self.fetch(renewal)
            }
            Metadata::NotHere(_) if url == 0 => self.discover(1, renewal),
            Metadata::NotHere(e) => {
                self.context = Some(crate::concat(&["no metadata at ", &issuer.url(0), " nor ", &issuer.url(1), ": "]));
                self.state = self.end_state();
                Step::Failed(e)
            }
            Metadata::Failed(e) => {
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
        self.renew()
    }

    /// How long a connection waits for the object: its token request's timeout, and a margin.
    #[cfg(feature = "cache")]
    fn ask_timeout_ms(&self) -> u64 {
        self.config.timeout_ms.saturating_add(coordinator::ASK_MARGIN_MS)
    }

    #[cfg(feature = "cache")]
    fn drop_only(&self) -> bool {
        matches!(self.connection.as_ref().map(|c| c.shared), Some(Shared::Object { drop_only: true }))
    }

    /// The connection's side: the object's token is held for this connection's skew; an object
    /// that could not be asked, or answered an unusable token, is replaced by the endpoint.
    #[cfg(feature = "cache")]
    fn answered(&mut self, answer: Answer<'_>, now_ms: f64) -> Step {
        match answer {
            Answer::Token(members) => {
                let entry = cache::read_stored(members, false);
                if let (Some(entry), Some(c)) = (entry, self.connection.as_mut()) {
                    // The object checked the skew when it answered; the answer may have taken up
                    // to the margin to arrive (a token due since is renewed on the next call).
                    if c.session.vouched(&entry.token, now_ms, coordinator::ASK_MARGIN_MS as f64) {
                        let reuse_until = c.session.reuse_until();
                        let Entry { token, warnings } = entry;
                        return self.done(Token {
                            response: token,
                            warnings,
                            source: Source::Coordinator,
                            reuse_until,
                        });
                    }
                }
                self.notes.push(coordinator::IGNORED.into());
            }
            Answer::Refused => {
                self.state = self.end_state();
                return Step::Relayed;
            }
            Answer::Failed(reason) => self.notes.push(coordinator::asking_failed(reason)),
        }
        self.renew()
    }

    /// The object's side: drop the asker's token if it is the current one (saved at once), then
    /// answer the stored token if it is valid for the asker's skew, else renew with the stored
    /// refresh token first.
    #[cfg(feature = "cache")]
    fn loaded(&mut self, read: CacheRead<'_>, now_ms: f64) -> Step {
        let record = match read {
            CacheRead::Found(members) => coordinator::read_record(members).unwrap_or_else(|| {
                self.notes.push(coordinator::UNREADABLE.into());
                Record::default()
            }),
            CacheRead::Unreadable => {
                self.notes.push(coordinator::UNREADABLE.into());
                Record::default()
            }
            CacheRead::Failed(reason) => {
                self.notes.push(coordinator::reading_failed(reason));
                Record::default()
            }
            CacheRead::Missing => Record::default(),
        };
        let drop_only = self.drop_only();
        let Some(c) = self.connection.as_mut() else { return self.renew() };
        let Record { token, refresh_token } = record;
        c.session.restore(refresh_token);
        let dropped = token.as_ref().is_some_and(|entry| c.drop.as_ref() == Some(&entry.token.access_token));
        let current = token.filter(|_| !dropped);
        if let (true, Some(Key::Ready(key))) = (dropped, &c.key) {
            // The asker's token is still the current one: stored without it at once.
            let record = Record { token: None, refresh_token: c.session.refresh_token().cloned() };
            let key = key.clone();
            c.drop = None;
            self.state = State::Saving(None);
            return Step::Save { key, record };
        }
        if drop_only {
            return self.answer(None);
        }
        if let Some(Entry { token, warnings }) = current {
            if c.session.vouched(&token, now_ms, 0.0) {
                let reuse_until = c.session.reuse_until();
                return self.answer(Some(Token {
                    response: token,
                    warnings,
                    source: Source::Coordinator,
                    reuse_until,
                }));
            }
        }
        self.renew()
    }

    /// The object's answer (its notes added to the token's warnings).
    #[cfg(feature = "cache")]
    fn answer(&mut self, mut token: Option<Token>) -> Step {
        if let Some(t) = token.as_mut() {
            // The refresh token stays in the object: askers renew through it.
            t.response.refresh_token = None;
            t.warnings.append(&mut self.notes);
        }
        self.state = State::Idle;
        Step::Answer(token)
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
        match (&c.key, c.shared) {
            (Some(Key::Ready(key)), Shared::Cache) => {
                if let Some(ttl_seconds) = c.session.cache_ttl(&token.response, now_ms) {
                    let key = key.clone();
                    let step = Step::CachePut { key, token: token.clone(), ttl_seconds, timeout_ms: cache::TIMEOUT_MS };
                    self.state = State::Storing(token);
                    return step;
                }
            }
            // The object stores the token with the refresh token renewals use (a rotated one
            // replaces the old) before it answers.
            (Some(Key::Ready(key)), Shared::Object { .. }) => {
                let record = Record { token: Some(token.clone()), refresh_token: c.session.refresh_token().cloned() };
                let key = key.clone();
                self.state = State::Saving(Some(token));
                return Step::Save { key, record };
            }
            (None, Shared::Object { .. }) | (Some(Key::Input(_) | Key::Unavailable), Shared::Object { .. }) => {
                return self.answer(Some(token));
            }
            _ => {}
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
        let (secret, input) = match ex.step(Event::Start, T0) {
            Step::KeyedDigest { secret, input } => (secret, input),
            other => panic!("{other:?}"),
        };
        assert_eq!(ex.key_input(), Some((secret.clone(), input.as_str())));
        assert_eq!(secret, cache::key_secret(ex.config()));
        let key = match ex.step(Event::Digested(Some(&[0xab; 32])), T0) {
            Step::CacheGet { key, timeout_ms } => {
                assert_eq!(timeout_ms, cache::TIMEOUT_MS);
                key
            }
            other => panic!("{other:?}"),
        };
        assert!(key.starts_with("otc:v2:abab") && key.len() == 71);
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

    #[cfg(feature = "cache")]
    fn namespace() -> (&'static str, Value) {
        ("coordinator", Value::Object(vec![("idFromName".into(), Value::Function), ("get".into(), Value::Function)]))
    }

    #[cfg(feature = "cache")]
    fn password() -> Vec<(&'static str, Value)> {
        vec![("grantType", s("password")), ("username", s("alice")), ("password", s("pw"))]
    }

    /// The key's HMAC step, answered with a stand-in digest: the next step.
    #[cfg(feature = "cache")]
    fn keyed(ex: &mut Exchange, digest: u8) -> Step {
        assert!(matches!(ex.step(Event::Start, T0), Step::KeyedDigest { .. }));
        ex.step(Event::Digested(Some(&[digest; 32])), T0)
    }

    /// A stored entry's members: `access`, expiring `expires_in` seconds after T0.
    #[cfg(feature = "cache")]
    fn stored(access: &str, expires_in: Option<f64>) -> Vec<(String, Value)> {
        let mut m = vec![("accessToken".to_owned(), s(access)), ("tokenType".to_owned(), s("Bearer"))];
        if let Some(e) = expires_in {
            m.push(("expiresIn".to_owned(), Value::Number(e)));
            m.push(("expiresAt".to_owned(), Value::Number(T0 + e * 1000.0)));
        }
        m.push(("json".to_owned(), Value::Object(vec![])));
        m.push(("warnings".to_owned(), Value::Array(vec![])));
        m
    }

    /// A stored record's members.
    #[cfg(feature = "cache")]
    fn record(token: Option<Vec<(String, Value)>>, refresh: Option<&str>) -> Vec<(String, Value)> {
        let mut m = Vec::new();
        if let Some(t) = token {
            m.push(("token".to_owned(), Value::Object(t)));
        }
        if let Some(r) = refresh {
            m.push(("refreshToken".to_owned(), s(r)));
        }
        m
    }

    #[cfg(feature = "cache")]
    fn object(extra: &[(&'static str, Value)], drop: Option<&str>, drop_only: bool) -> Exchange {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        let (config, options) = parse_connection(&entries(&pairs), &parse_url).unwrap();
        Exchange::object(config, options, drop.map(|d| AccessToken::new(d.into())), drop_only)
    }

    #[cfg(feature = "cache")]
    fn answer_of(step: Step) -> Option<Token> {
        match step {
            Step::Answer(t) => t,
            other => panic!("expected an answer, got {other:?}"),
        }
    }

    #[cfg(feature = "cache")]
    fn saved_record(step: Step) -> Record<Token> {
        match step {
            Step::Save { key, record } => {
                assert!(key.starts_with("otc:v2:"), "{key}");
                record
            }
            other => panic!("expected a save, got {other:?}"),
        }
    }

    #[cfg(feature = "cache")]
    #[test]
    fn a_connection_asks_its_coordinator_and_holds_the_answer_for_its_skew() {
        let mut ex = connection(&[namespace(), ("refreshSkewSeconds", Value::Number(30.0))]);
        let (key, drop, timeout_ms) = match keyed(&mut ex, 9) {
            Step::Ask { key, drop, timeout_ms } => (key, drop, timeout_ms),
            other => panic!("{other:?}"),
        };
        assert_eq!((key.as_str(), drop, timeout_ms), (ex.key().unwrap(), None, 30_000 + coordinator::ASK_MARGIN_MS));
        assert!(key.starts_with("otc:v2:0909"));
        let t = done(ex.step(Event::Answered(Answer::Token(&stored("tok-c", Some(600.0)))), T0));
        assert_eq!((t.source, t.response.access_token.expose()), (Source::Coordinator, "tok-c"));
        assert_eq!(t.reuse_until, T0 + 570_000.0, "this connection's skew");
        let (_, generation, value) = ex.authorization().unwrap();
        assert_eq!(value, "Bearer tok-c");
        assert_eq!(ex.drop_ask(), None, "nothing dropped yet");
        // A 401 drops it here and in the object: the next ask names it.
        assert!(ex.rest_status(401, true, generation));
        let (k, dropped, _) = ex.drop_ask().unwrap();
        assert_eq!((k, dropped.expose()), (key.as_str(), "tok-c"));
        match ex.step(Event::Start, T0) {
            Step::Ask { drop, .. } => assert_eq!(drop.unwrap().expose(), "tok-c"),
            other => panic!("{other:?}"),
        }
        let t = done(ex.step(Event::Answered(Answer::Token(&stored("tok-d", None))), T0));
        assert_eq!(t.reuse_until, f64::INFINITY, "a token without expiry: until dropped");
        // The object answering the dropped token again (the endpoint issued it again) is taken.
        ex.invalidate();
        ex.step(Event::Start, T0);
        done(ex.step(Event::Answered(Answer::Token(&stored("tok-d", None))), T0));
    }

    #[cfg(feature = "cache")]
    #[test]
    fn a_coordinator_that_cannot_be_asked_is_replaced_by_the_endpoint_with_a_warning() {
        for (reply, note) in [
            (Answer::Failed("TypeError"), coordinator::asking_failed("TypeError")),
            (Answer::Failed("no answer within 32000 ms"), coordinator::asking_failed("no answer within 32000 ms")),
            (Answer::Token(&[]), coordinator::IGNORED.to_owned()),
        ] {
            let mut ex = connection(&[namespace()]);
            assert!(matches!(keyed(&mut ex, 1), Step::Ask { .. }));
            let f = fetch(ex.step(Event::Answered(reply), T0));
            assert_eq!(f.request.body, "grant_type=client_credentials");
            // Nothing is stored anywhere: the connection holds its own token.
            let t = done(answer(&mut ex, 200, OK, &[]));
            assert_eq!((t.source, t.warnings), (Source::Endpoint, vec![note]));
        }
        // A token due for longer than an answer may take to arrive, or expired, is not taken.
        for now in [T0 + 15_000.0 + coordinator::ASK_MARGIN_MS as f64, T0 + 30_000.0] {
            let mut ex = connection(&[namespace()]);
            keyed(&mut ex, 1);
            fetch(ex.step(Event::Answered(Answer::Token(&stored("late", Some(30.0)))), now));
        }
        // Due by less: taken, and renewed on the next call.
        let mut ex = connection(&[namespace()]);
        keyed(&mut ex, 1);
        let late = T0 + 15_000.0 + coordinator::ASK_MARGIN_MS as f64 - 1.0;
        let t = done(ex.step(Event::Answered(Answer::Token(&stored("late", Some(30.0)))), late));
        assert_eq!(t.reuse_until, T0 + 15_000.0);
        // No HMAC on this host: the endpoint, with a warning naming the coordinator.
        let mut ex = connection(&[namespace()]);
        ex.step(Event::Start, T0);
        fetch(ex.step(Event::Digested(None), T0));
        assert_eq!(done(answer(&mut ex, 200, OK, &[])).warnings, [coordinator::NO_DIGEST]);
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_objects_error_is_relayed_and_the_connection_goes_on() {
        let mut ex = connection(&[namespace()]);
        keyed(&mut ex, 1);
        assert_eq!(ex.step(Event::Answered(Answer::Refused), T0), Step::Relayed);
        assert!(matches!(ex.step(Event::Start, T0), Step::Ask { .. }));
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_object_requests_once_saves_with_the_refresh_token_and_answers_without_it() {
        let mut ex = object(&password(), None, false);
        let key = match keyed(&mut ex, 5) {
            Step::Load { key } => key,
            other => panic!("{other:?}"),
        };
        assert!(key.starts_with("otc:v2:0505"));
        let f = fetch(ex.step(Event::Loaded(CacheRead::Missing), T0));
        assert_eq!(f.request.body, "grant_type=password&username=alice&password=pw");
        let rec = saved_record(answer(&mut ex, 200, OK, &[]));
        assert_eq!(rec.token.as_ref().unwrap().response.access_token.expose(), "tok-1");
        assert_eq!(rec.refresh_token.as_ref().unwrap().expose(), "rt-1");
        let t = answer_of(ex.step(Event::Saved(Ok(())), T0)).unwrap();
        assert_eq!((t.response.access_token.expose(), t.response.refresh_token.as_ref()), ("tok-1", None));
        assert!(t.warnings.is_empty());
        // One run: the exchange is done with.
        assert_eq!(failed(ex.step(Event::Saved(Ok(())), T0)), Error::Internal);
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_object_answers_a_stored_token_valid_for_the_askers_skew_without_a_request() {
        let found = record(Some(stored("tok-s", Some(600.0))), Some("r1"));
        let mut ex = object(&password(), None, false);
        keyed(&mut ex, 5);
        let t = answer_of(ex.step(Event::Loaded(CacheRead::Found(&found)), T0)).unwrap();
        assert_eq!((t.source, t.response.access_token.expose()), (Source::Coordinator, "tok-s"));
        assert_eq!(t.response.refresh_token, None);
        // Due at the asker's skew: renewed.
        let mut ex = object(&password(), None, false);
        keyed(&mut ex, 5);
        fetch(ex.step(Event::Loaded(CacheRead::Found(&found)), T0 + 540_000.0));
        let mut ex = object(&password(), None, false);
        keyed(&mut ex, 5);
        answer_of(ex.step(Event::Loaded(CacheRead::Found(&found)), T0 + 539_999.0)).unwrap();
        // For an asker whose skew has begun (400 s, capped at half the 600 s lifetime), the
        // stored refresh token renews it.
        let mut ex = object(&[&password()[..], &[("refreshSkewSeconds", Value::Number(400.0))]].concat(), None, false);
        keyed(&mut ex, 5);
        let f = fetch(ex.step(Event::Loaded(CacheRead::Found(&found)), T0 + 300_000.0));
        assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r1");
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_object_saves_a_rotated_refresh_token_before_it_answers() {
        let found = record(Some(stored("tok-1", Some(60.0))), Some("r1"));
        let mut ex = object(&password(), None, false);
        keyed(&mut ex, 5);
        let f = fetch(ex.step(Event::Loaded(CacheRead::Found(&found)), T0 + 59_000.0));
        assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r1");
        let rotated = r#"{"access_token":"tok-2","token_type":"Bearer","expires_in":60,"refresh_token":"r2"}"#;
        let rec = saved_record(answer(&mut ex, 200, rotated, &[]));
        assert_eq!(rec.refresh_token.unwrap().expose(), "r2");
        let t = answer_of(ex.step(Event::Saved(Err("Error")), T0)).unwrap();
        assert_eq!(t.response.access_token.expose(), "tok-2");
        assert_eq!(t.warnings, [coordinator::saving_failed("Error")]);
        // Without a new one the used one is kept.
        let mut ex = object(&password(), None, false);
        keyed(&mut ex, 5);
        ex.step(Event::Loaded(CacheRead::Found(&record(None, Some("r1")))), T0);
        let rec = saved_record(answer(&mut ex, 200, r#"{"access_token":"t","token_type":"Bearer"}"#, &[]));
        assert_eq!(rec.refresh_token.unwrap().expose(), "r1");
        assert_eq!(rec.token.unwrap().response.expires_in, None, "kept until dropped");
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_object_falls_back_to_the_configured_grant_when_the_refresh_token_is_refused() {
        let mut ex = object(&password(), None, false);
        keyed(&mut ex, 5);
        fetch(ex.step(Event::Loaded(CacheRead::Found(&record(None, Some("r1")))), T0));
        let f = fetch(answer(&mut ex, 400, r#"{"error":"invalid_grant"}"#, &[]));
        assert_eq!(f.request.body, "grant_type=password&username=alice&password=pw");
        let plain = r#"{"access_token":"tok-p","token_type":"Bearer","expires_in":60}"#;
        let rec = saved_record(answer(&mut ex, 200, plain, &[]));
        assert_eq!(rec.refresh_token, None, "the refused one is gone");
        // Another failure is the asker's error.
        let mut ex = object(&password(), None, false);
        keyed(&mut ex, 5);
        ex.step(Event::Loaded(CacheRead::Missing), T0);
        assert_eq!(failed(answer(&mut ex, 401, r#"{"error":"invalid_client"}"#, &[])).code(), "ERR_OAUTH");
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_object_drops_a_token_only_while_it_is_current() {
        let found = record(Some(stored("tok-1", Some(600.0))), Some("r1"));
        // The current one: saved without it at once, then renewed with the refresh token.
        let mut ex = object(&password(), Some("tok-1"), false);
        keyed(&mut ex, 5);
        let rec = saved_record(ex.step(Event::Loaded(CacheRead::Found(&found)), T0));
        assert_eq!((rec.token.is_none(), rec.refresh_token.unwrap().expose()), (true, "r1"));
        let f = fetch(ex.step(Event::Saved(Ok(())), T0));
        assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r1");
        // An older one (a late 401): the current token, no request.
        let mut ex = object(&password(), Some("tok-0"), false);
        keyed(&mut ex, 5);
        let t = answer_of(ex.step(Event::Loaded(CacheRead::Found(&found)), T0)).unwrap();
        assert_eq!(t.response.access_token.expose(), "tok-1");
        // invalidate(): drop only, nothing requested.
        let mut ex = object(&password(), Some("tok-1"), true);
        keyed(&mut ex, 5);
        saved_record(ex.step(Event::Loaded(CacheRead::Found(&found)), T0));
        assert_eq!(answer_of(ex.step(Event::Saved(Ok(())), T0)), None);
        let mut ex = object(&password(), Some("tok-0"), true);
        keyed(&mut ex, 5);
        assert_eq!(answer_of(ex.step(Event::Loaded(CacheRead::Found(&found)), T0)), None);
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_objects_record_is_keyed_by_the_askers_credentials() {
        let secret_of = |extra: &[(&'static str, Value)]| {
            let mut ex = object(extra, None, false);
            match ex.step(Event::Start, T0) {
                Step::KeyedDigest { secret, input } => (secret, input),
                other => panic!("{other:?}"),
            }
        };
        let right = secret_of(&password());
        let wrong = secret_of(&[("grantType", s("password")), ("username", s("alice")), ("password", s("PW"))]);
        let other_secret = secret_of(&[&password()[..], &[("clientSecret", s("other"))]].concat());
        // Same input, other HMAC keys: another key, so another record (the host's HMAC).
        assert_eq!((&right.1, &right.1), (&wrong.1, &other_secret.1));
        assert_ne!(right.0, wrong.0);
        assert_ne!(right.0, other_secret.0);
    }

    #[cfg(feature = "cache")]
    #[test]
    fn the_refresh_token_grant_renews_with_the_stored_rotation() {
        let grant = [("grantType", s("refresh_token")), ("refreshToken", s("r0"))];
        let mut ex = object(&grant, None, false);
        keyed(&mut ex, 5);
        let f = fetch(ex.step(Event::Loaded(CacheRead::Missing), T0));
        assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r0");
        let mut ex = object(&grant, None, false);
        keyed(&mut ex, 5);
        let f = fetch(ex.step(Event::Loaded(CacheRead::Found(&record(None, Some("r1")))), T0));
        assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r1", "r0 was rotated away");
        // A connection of that grant may use a coordinator (not a cache).
        connection(&[&grant[..], &[namespace()]].concat());
    }

    #[cfg(feature = "cache")]
    #[test]
    fn an_unreadable_record_is_a_warning_and_a_new_request() {
        for (read, note) in [
            (CacheRead::Unreadable, coordinator::UNREADABLE.to_owned()),
            (CacheRead::Failed("Error"), coordinator::reading_failed("Error")),
        ] {
            let mut ex = object(&[], None, false);
            keyed(&mut ex, 5);
            fetch(ex.step(Event::Loaded(read), T0));
            saved_record(answer(&mut ex, 200, OK, &[]));
            assert_eq!(answer_of(ex.step(Event::Saved(Ok(())), T0)).unwrap().warnings, [note]);
        }
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

    /// The object of an asker whose settings name an issuer (built with the host's URL parser, as
    /// the adapter builds it).
    #[cfg(all(feature = "cache", feature = "discovery"))]
    fn issuer_object(extra: &[(&'static str, Value)]) -> Exchange {
        let settings = issuer_config("https://as.example.com/tenant", extra);
        let (config, options) = parse_connection(&settings, &parse_url).unwrap();
        Exchange::object(config, options, None, false).parse_urls_with(parse_url)
    }

    #[cfg(all(feature = "cache", feature = "discovery"))]
    fn keyed_digest(step: Step) -> (KeySecret, String) {
        match step {
            Step::KeyedDigest { secret, input } => (secret, input),
            other => panic!("expected the key's HMAC, got {other:?}"),
        }
    }

    #[cfg(all(feature = "cache", feature = "discovery"))]
    #[test]
    fn an_issuer_keys_the_connection_and_its_object_alike_and_the_object_discovers_it() {
        let (config, options) =
            parse_connection(&issuer_config("https://as.example.com/tenant", &[namespace()]), &parse_url).unwrap();
        let mut conn = Exchange::connection(config, options).parse_urls_with(parse_url);
        let asker = keyed_digest(conn.step(Event::Start, T0));
        let mut ex = issuer_object(&[]);
        let object = keyed_digest(ex.step(Event::Start, T0));
        // The same HMAC input (the issuer stands for the endpoint its metadata names) and key (the
        // credentials): the asker's key is the object's record.
        assert_eq!(asker, object);
        assert!(object.1.contains("\nissuer=29:https://as.example.com/tenant\nclient_id="), "{}", object.1);
        let other_secret = keyed_digest(issuer_object(&[("clientSecret", s("other"))]).step(Event::Start, T0));
        assert_eq!(other_secret.1, object.1);
        assert_ne!(other_secret.0, object.0, "another secret: another key");
        // The object discovers, requests and saves once; the token comes from the discovered endpoint.
        let key = match ex.step(Event::Digested(Some(&[6; 32])), T0) {
            Step::Load { key } => key,
            other => panic!("{other:?}"),
        };
        let d = discover(ex.step(Event::Loaded(CacheRead::Missing), T0));
        assert_eq!(d.request.url, "https://as.example.com/.well-known/oauth-authorization-server/tenant");
        let f = fetch(answer(&mut ex, 200, METADATA, &[]));
        assert_eq!(f.request.url, "https://as.example.com/tenant/token");
        let rec = saved_record(answer(&mut ex, 200, OK, &[]));
        assert_eq!(rec.token.unwrap().response.access_token.expose(), "tok-1");
        assert_eq!(answer_of(ex.step(Event::Saved(Ok(())), T0)).unwrap().response.access_token.expose(), "tok-1");
        // The connection asks the object of that key; where it cannot, it discovers itself.
        match conn.step(Event::Digested(Some(&[6; 32])), T0) {
            Step::Ask { key: asked, .. } => assert_eq!(asked, key),
            other => panic!("{other:?}"),
        }
        discover(conn.step(Event::Answered(Answer::Failed("TypeError")), T0));
        // Metadata passed as the issuer (discover()'s result): keyed by its token endpoint.
        let metadata = Value::Object(vec![
            ("issuer".into(), s("https://as.example.com/tenant")),
            ("token_endpoint".into(), s("https://as.example.com/tenant/token")),
        ]);
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "tokenEndpoint");
        pairs.push(("issuer", metadata));
        let (config, options) = parse_connection(&entries(&pairs), &parse_url).unwrap();
        let mut ex = Exchange::object(config, options, None, false).parse_urls_with(parse_url);
        let input = keyed_digest(ex.step(Event::Start, T0)).1;
        assert!(input.contains("\ntoken_endpoint=35:https://as.example.com/tenant/token\n"), "{input}");
    }

    #[cfg(all(feature = "cache", feature = "retry"))]
    #[test]
    fn the_objects_renewal_retries_by_the_askers_rules() {
        // client_credentials: a 503 with Retry-After is waited for and sent again, and the asker's
        // result records the retry.
        let mut ex = object(&[("retry", Value::Object(vec![]))], None, false);
        keyed(&mut ex, 5);
        fetch(ex.step(Event::Loaded(CacheRead::Missing), T0));
        assert_eq!(wait(answer_at(&mut ex, 503, "", Some("1"), T0)), 1_000);
        fetch(ex.step(Event::Waited, T0 + 1_000.0));
        saved_record(answer_at(&mut ex, 200, OK, None, T0 + 1_100.0));
        let t = answer_of(ex.step(Event::Saved(Ok(())), T0 + 1_100.0)).unwrap();
        assert_eq!(t.warnings, ["retried after HTTP 503: waited 1000 ms (Retry-After)"]);
        // The stored refresh token is never sent twice once the server may have seen it: the
        // error goes to the asker, and the record keeps the refresh token.
        let found = record(None, Some("r1"));
        let mut ex = object(&[&password()[..], &[("retry", Value::Object(vec![]))]].concat(), None, false);
        keyed(&mut ex, 5);
        let f = fetch(ex.step(Event::Loaded(CacheRead::Found(&found)), T0));
        assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r1");
        let e = failed(answer_at(&mut ex, 503, "", Some("1"), T0));
        assert_eq!(e.status(), Some(503));
        // Refused before it was sent: repeated.
        let mut ex = object(&[&password()[..], &[("retry", Value::Object(vec![]))]].concat(), None, false);
        keyed(&mut ex, 5);
        fetch(ex.step(Event::Loaded(CacheRead::Found(&found)), T0));
        let refused = FetchFailure { cause_codes: vec!["ECONNREFUSED".into()], ..FetchFailure::default() };
        wait(ex.step(Event::FetchFailed(refused), T0));
        let f = fetch(ex.step(Event::Waited, T0));
        assert_eq!(f.request.body, "grant_type=refresh_token&refresh_token=r1");
        // Without `retry`, nothing is repeated.
        let mut ex = object(&[], None, false);
        keyed(&mut ex, 5);
        fetch(ex.step(Event::Loaded(CacheRead::Missing), T0));
        failed(answer_at(&mut ex, 503, "", Some("1"), T0));
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

//! A connection's decisions: reuse the held token or renew it at time T, what to renew with,
//! what to do after a failed renewal, and the header a REST call carries. The exchange
//! ([`crate::exchange`]) keeps a [`Session`] per connection; the clock comes in as a value
//! (epoch milliseconds), so every decision is tested here without sleeping.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::cache;
use crate::config::{Config, ConnectionOptions, Grant};
use crate::error::Error;
use crate::request::{self, HttpRequest};
use crate::response::TokenResponse;
use crate::secret::{AccessToken, RefreshToken};

/// What `token()` does at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The held token is valid: hand it out.
    Reuse,
    /// No token, or it is due for renewal.
    Renew,
}

/// How a renewal asks for the new token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// RFC 6749 §6, with the refresh token the last token response carried.
    Refresh(RefreshToken),
    /// The configured grant.
    Configured,
}

#[derive(Debug, Clone)]
struct Held {
    access_token: AccessToken,
    token_type: String,
    /// Epoch ms from which the token is renewed; `None`: no `expires_in`, reused until invalidated.
    renew_at: Option<f64>,
    /// Which token this is, for a REST call's answer: a late 401 for an older token must not
    /// drop a newer one.
    generation: u32,
}

/// The token state of one connection.
#[derive(Debug, Clone)]
pub struct Session {
    held: Option<Held>,
    refresh: Option<RefreshToken>,
    skew_ms: f64,
    /// The last access token this connection dropped (a 401 or `invalidate()`): never taken back
    /// from a shared cache, where another isolate may still have it stored.
    dropped: Option<AccessToken>,
    /// How many tokens this session has held.
    generations: u32,
}

impl Session {
    pub fn new(options: &ConnectionOptions) -> Self {
        Session { held: None, refresh: None, skew_ms: options.refresh_skew_ms, dropped: None, generations: 0 }
    }

    /// Epoch ms from which a token is renewed: `expires_at` minus the skew, the skew capped at
    /// half the lifetime so that a short-lived token is not renewed on every call. `None`: no
    /// `expires_in`.
    fn renew_at(&self, token: &TokenResponse) -> Option<f64> {
        match (token.expires_at, token.expires_in) {
            (Some(at), Some(lifetime_s)) => Some(at - self.skew_ms.min(lifetime_s * 1000.0 / 2.0)),
            _ => None,
        }
    }

    /// Until when [`plan`](Self::plan) says `Reuse`: `plan(now)` is `Reuse` exactly when
    /// `now < reuse_until()` (infinity for a held token without expiry, minus infinity without a
    /// held token). The host answers `token()` from it on the cached path.
    pub fn reuse_until(&self) -> f64 {
        match &self.held {
            Some(Held { renew_at: None, .. }) => f64::INFINITY,
            Some(Held { renew_at: Some(at), .. }) => *at,
            None => f64::NEG_INFINITY,
        }
    }

    /// Reuse or renew at `now_ms`.
    pub fn plan(&self, now_ms: f64) -> Plan {
        match &self.held {
            Some(Held { renew_at: None, .. }) => Plan::Reuse,
            Some(Held { renew_at: Some(at), .. }) if now_ms < *at => Plan::Reuse,
            _ => Plan::Renew,
        }
    }

    /// A held refresh token first (§6), else the configured grant.
    pub fn renewal(&self) -> Renewal {
        match &self.refresh {
            Some(r) => Renewal::Refresh(r.clone()),
            None => Renewal::Configured,
        }
    }

    /// The token request for a renewal.
    pub fn request(&self, config: &Config, renewal: &Renewal) -> HttpRequest {
        match renewal {
            Renewal::Refresh(r) => request::build_refresh(config, r),
            Renewal::Configured => request::build(config),
        }
    }

    /// Holds a new token from the endpoint, renewed from [`Session::renew_at`] on.
    pub fn accept(&mut self, token: &TokenResponse, used: &Renewal) {
        let renew_at = self.renew_at(token);
        if self.dropped.as_ref() == Some(&token.access_token) {
            // The endpoint issued it again: it vouches for it.
            self.dropped = None;
        }
        self.hold(token, renew_at);
        // §6: a new refresh token replaces the old one (rotation); without one, the refresh
        // token used stays valid. A token from the configured grant brings its own or none.
        self.refresh = match (&token.refresh_token, used) {
            (Some(new), _) => Some(new.clone()),
            (None, Renewal::Refresh(old)) => Some(old.clone()),
            (None, Renewal::Configured) => None,
        };
    }

    /// After a failed renewal: the renewal to try next, if any. A refresh token the server
    /// refuses (§5.2 `invalid_grant`: expired or revoked; `unauthorized_client` or
    /// `unsupported_grant_type`: this client cannot refresh at all) is dropped and the configured
    /// grant is tried, unless that grant is the very same refresh token.
    pub fn after_failure(&mut self, config: &Config, used: &Renewal, err: &Error) -> Option<Renewal> {
        let Renewal::Refresh(rejected) = used else { return None };
        let Error::OAuth { error, .. } = err else { return None };
        if !matches!(error.as_str(), "invalid_grant" | "unauthorized_client" | "unsupported_grant_type") {
            return None;
        }
        self.refresh = None;
        match &config.grant {
            Grant::RefreshToken { refresh_token } if refresh_token == rejected => None,
            _ => Some(Renewal::Configured),
        }
    }

    fn hold(&mut self, token: &TokenResponse, renew_at: Option<f64>) {
        self.generations = self.generations.wrapping_add(1);
        self.held = Some(Held {
            access_token: token.access_token.clone(),
            token_type: token.token_type.clone(),
            renew_at,
            generation: self.generations,
        });
    }

    /// The held token's REST header value (RFC 6750 §2.1) and its generation, to hand back with
    /// the call's status ([`Session::retry_after`]). `None` without a held token.
    pub fn authorization(&self, prefix: Option<&str>) -> Option<(u32, String)> {
        let h = self.held.as_ref()?;
        Some((h.generation, authorization_value(&h.token_type, h.access_token.expose(), prefix)))
    }

    /// A REST call sent with the token of generation `sent` got `status`: whether to send it
    /// again with a new token. A 401 (RFC 6750 §3.1 `invalid_token`: expired, revoked) drops that
    /// token, if it is still the held one, whether or not the call can be sent again; the retry
    /// is for calls whose body can be replayed. The host asks only after the first attempt: a
    /// second 401 in a row is the caller's answer.
    pub fn retry_after(&mut self, status: u16, replayable: bool, sent: u32) -> bool {
        if status != 401 {
            return false;
        }
        if self.held.as_ref().is_some_and(|h| h.generation == sent) {
            self.invalidate();
        }
        replayable
    }

    /// Drops the held token (a refresh token is kept: a 401 says nothing about it).
    pub fn invalidate(&mut self) {
        if let Some(h) = self.held.take() {
            self.dropped = Some(h.access_token);
        }
    }

    /// A token read from a shared cache (another connection's result, with its original
    /// `expires_at`): held when it is still valid at `now_ms` with this connection's skew and is
    /// not a token this connection dropped. The held refresh token, if any, is kept: the cache
    /// never carries one. Returns whether it was taken.
    pub fn adopt(&mut self, token: &TokenResponse, now_ms: f64) -> bool {
        let Some(renew_at) = self.renew_at(token) else { return false };
        if now_ms >= renew_at || self.dropped.as_ref() == Some(&token.access_token) {
            return false;
        }
        self.hold(token, Some(renew_at));
        true
    }

    /// A token the coordinator answered, or the one its object holds: held when it is valid at
    /// `now_ms` with this connection's skew, or due for less than `late_ms`, and not expired
    /// (one without expiry: until it is dropped). Unlike a cache entry, a token this connection
    /// dropped is taken: the object drops a token only while it is current, so answering it
    /// again means the endpoint issued it again. Returns whether it was taken.
    pub fn vouched(&mut self, token: &TokenResponse, now_ms: f64, late_ms: f64) -> bool {
        let renew_at = self.renew_at(token);
        let usable = match (renew_at, token.expires_at) {
            (Some(at), Some(expires_at)) => now_ms - late_ms < at && now_ms < expires_at,
            (None, None) => true,
            _ => false,
        };
        if !usable {
            return false;
        }
        if self.dropped.as_ref() == Some(&token.access_token) {
            self.dropped = None;
        }
        self.hold(token, renew_at);
        true
    }

    /// The refresh token stored with the coordinator's token (its object renews with it).
    pub fn restore(&mut self, refresh: Option<RefreshToken>) {
        self.refresh = refresh;
    }

    /// The refresh token a renewal would use.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh.as_ref()
    }

    /// The last access token this connection dropped (a 401 or `invalidate()`).
    pub fn dropped(&self) -> Option<&AccessToken> {
        self.dropped.as_ref()
    }

    /// How long a token from the endpoint is stored in a shared cache, in seconds: until it
    /// expires, at least [`cache::MIN_TTL_SECONDS`] (readers check `expires_at` themselves).
    /// `None`: not stored, because it has no `expires_in` (nothing would tell other isolates
    /// when it dies) or is not valid even now.
    pub fn cache_ttl(&self, token: &TokenResponse, now_ms: f64) -> Option<u64> {
        let (renew_at, expires_at) = (self.renew_at(token)?, token.expires_at?);
        if now_ms >= renew_at {
            return None;
        }
        let seconds = crate::config::ceil((expires_at - now_ms) / 1000.0);
        Some(seconds.max(cache::MIN_TTL_SECONDS))
    }
}

/// The REST call's header value (RFC 6750 §2.1): `<prefix> <token>`. The prefix defaults to the
/// token type, with `bearer` in any case sent as `Bearer`; an empty prefix sends the token alone.
pub fn authorization_value(token_type: &str, access_token: &str, prefix: Option<&str>) -> String {
    let prefix = match prefix {
        Some(p) => p,
        None if token_type.eq_ignore_ascii_case("bearer") => "Bearer",
        None => token_type,
    };
    if prefix.is_empty() {
        return access_token.to_owned();
    }
    crate::concat(&[prefix, " ", access_token])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_connection;
    use crate::config::tests::{base, entries, parse_url, s};
    use crate::value::Value;

    const T0: f64 = 1_700_000_000_000.0;

    fn setup(extra: &[(&'static str, Value)]) -> (Config, Session) {
        let mut pairs = base();
        pairs.extend_from_slice(extra);
        let (config, options) = parse_connection(&entries(&pairs), &parse_url).unwrap();
        (config, Session::new(&options))
    }

    fn token(access: &str, expires_in: Option<f64>, refresh: Option<&str>, now: f64) -> TokenResponse {
        TokenResponse {
            access_token: AccessToken::new(access.into()),
            token_type: "bearer".into(),
            expires_in,
            expires_at: expires_in.map(|s| now + s * 1000.0),
            scope: None,
            refresh_token: refresh.map(|r| RefreshToken::new(r.into())),
        }
    }

    fn oauth(error: &str) -> Error {
        Error::OAuth { status: 400, error: error.into(), error_description: None, error_uri: None }
    }

    /// `reuse_until` answers exactly what `plan` answers, at every instant around every state.
    #[test]
    fn reuse_until_agrees_with_plan() {
        let agree = |s: &Session| {
            let until = s.reuse_until();
            for dt in [-1.0e12, -1.0, 0.0, 1.0, 14_999.0, 15_000.0, 3_539_999.0, 3_540_000.0, 1.0e12] {
                let now = T0 + dt;
                assert_eq!(s.plan(now) == Plan::Reuse, now < until, "{now} {until}");
            }
            for now in [until - 1.0, until, until + 1.0].into_iter().filter(|n| n.is_finite()) {
                assert_eq!(s.plan(now) == Plan::Reuse, now < until, "{now} {until}");
            }
        };
        let (_, mut s) = setup(&[]);
        agree(&s);
        s.accept(&token("a", Some(3600.0), None, T0), &Renewal::Configured);
        agree(&s);
        s.accept(&token("b", Some(30.0), Some("r"), T0), &Renewal::Configured);
        agree(&s);
        s.accept(&token("c", None, None, T0), &Renewal::Configured);
        agree(&s);
        s.invalidate();
        agree(&s);
        assert!(s.adopt(&token("d", Some(3600.0), None, T0), T0));
        agree(&s);
        assert!(s.retry_after(401, true, generation(&s)));
        agree(&s);
    }

    #[test]
    fn renews_skew_before_expiry() {
        let (_, mut s) = setup(&[]);
        assert_eq!(s.plan(T0), Plan::Renew);
        s.accept(&token("a", Some(3600.0), None, T0), &Renewal::Configured);
        assert_eq!(s.plan(T0), Plan::Reuse);
        // Default skew 60 s: renew from 3540 s on.
        assert_eq!(s.plan(T0 + 3_539_999.0), Plan::Reuse);
        assert_eq!(s.plan(T0 + 3_540_000.0), Plan::Renew);
        assert_eq!(s.plan(T0 + 7_200_000.0), Plan::Renew);
    }

    #[test]
    fn configured_skew_and_its_cap_at_half_the_lifetime() {
        let (_, mut s) = setup(&[("refreshSkewSeconds", Value::Number(1.0))]);
        s.accept(&token("a", Some(2.0), None, T0), &Renewal::Configured);
        assert_eq!(s.plan(T0 + 999.0), Plan::Reuse);
        assert_eq!(s.plan(T0 + 1_000.0), Plan::Renew);
        // A 30 s token with the default 60 s skew is renewed after 15 s, not on every call.
        let (_, mut s) = setup(&[]);
        s.accept(&token("a", Some(30.0), None, T0), &Renewal::Configured);
        assert_eq!(s.plan(T0 + 14_999.0), Plan::Reuse);
        assert_eq!(s.plan(T0 + 15_000.0), Plan::Renew);
        // Skew 0: renewed exactly at expiry.
        let (_, mut s) = setup(&[("refreshSkewSeconds", Value::Number(0.0))]);
        s.accept(&token("a", Some(10.0), None, T0), &Renewal::Configured);
        assert_eq!(s.plan(T0 + 9_999.0), Plan::Reuse);
        assert_eq!(s.plan(T0 + 10_000.0), Plan::Renew);
    }

    #[test]
    fn a_token_without_expires_in_lives_until_invalidated() {
        let (_, mut s) = setup(&[]);
        s.accept(&token("a", None, None, T0), &Renewal::Configured);
        assert_eq!(s.plan(T0 + 1e12), Plan::Reuse);
        s.invalidate();
        assert_eq!(s.plan(T0), Plan::Renew);
    }

    /// The generation of the held token, as a REST call hands it back.
    fn generation(s: &Session) -> u32 {
        s.authorization(None).expect("a held token").0
    }

    #[test]
    fn the_header_comes_from_the_held_token() {
        let (_, mut s) = setup(&[]);
        assert_eq!(s.authorization(None), None);
        s.accept(&token("a", None, None, T0), &Renewal::Configured);
        assert_eq!(s.authorization(None).unwrap().1, "Bearer a");
        assert_eq!(s.authorization(Some("Token")).unwrap().1, "Token a");
        s.accept(&token("b", None, None, T0), &Renewal::Configured);
        assert_eq!(s.authorization(None).unwrap().1, "Bearer b");
        s.invalidate();
        assert_eq!(s.authorization(None), None);
    }

    #[test]
    fn a_401_drops_only_the_token_it_answered() {
        let (_, mut s) = setup(&[]);
        s.accept(&token("old", None, None, T0), &Renewal::Configured);
        let old = generation(&s);
        s.accept(&token("new", None, None, T0), &Renewal::Configured);
        assert!(s.retry_after(401, true, old));
        assert_eq!(s.plan(T0), Plan::Reuse, "a late 401 for an older token keeps the new one");
        assert!(s.retry_after(401, true, generation(&s)));
        assert_eq!(s.plan(T0), Plan::Renew);
    }

    #[test]
    fn a_401_drops_the_token_and_retries_replayable_calls() {
        let (_, mut s) = setup(&[]);
        s.accept(&token("a", None, Some("r"), T0), &Renewal::Configured);
        let a = generation(&s);
        for status in [200, 204, 400, 403, 404, 500] {
            assert!(!s.retry_after(status, true, a), "{status}");
            assert_eq!(s.plan(T0), Plan::Reuse, "{status} keeps the token");
        }
        // Not replayable: no retry, but the token is dropped all the same.
        assert!(!s.retry_after(401, false, a));
        assert_eq!(s.plan(T0), Plan::Renew);
        assert_eq!(s.renewal(), Renewal::Refresh(RefreshToken::new("r".into())), "the refresh token stays");
        s.accept(&token("b", None, None, T0), &Renewal::Configured);
        assert!(s.retry_after(401, true, generation(&s)));
        assert_eq!(s.plan(T0), Plan::Renew);
    }

    #[test]
    fn refresh_token_first_rotation_and_keeping() {
        let (config, mut s) = setup(&[("grantType", s("password")), ("username", s("u")), ("password", s("p"))]);
        assert_eq!(s.renewal(), Renewal::Configured);
        s.accept(&token("a1", Some(60.0), Some("r1"), T0), &Renewal::Configured);
        let r1 = Renewal::Refresh(RefreshToken::new("r1".into()));
        assert_eq!(s.renewal(), r1);
        let req = s.request(&config, &s.renewal());
        // §6: no scope, no password; client authentication as configured.
        assert_eq!(req.body, "grant_type=refresh_token&refresh_token=r1");
        assert!(req.headers.iter().any(|(n, v)| *n == "Authorization" && v.starts_with("Basic ")));
        // Rotation: the new one replaces the old.
        s.accept(&token("a2", Some(60.0), Some("r2"), T0), &r1);
        assert_eq!(s.renewal(), Renewal::Refresh(RefreshToken::new("r2".into())));
        // No new one issued: the used one stays.
        let r2 = s.renewal();
        s.accept(&token("a3", Some(60.0), None, T0), &r2);
        assert_eq!(s.renewal(), r2);
        // A 401 on the access token keeps the refresh token.
        s.invalidate();
        assert_eq!(s.renewal(), r2);
        // A configured-grant token without one clears it.
        s.accept(&token("a4", Some(60.0), None, T0), &Renewal::Configured);
        assert_eq!(s.renewal(), Renewal::Configured);
    }

    #[test]
    fn invalid_grant_falls_back_to_the_configured_grant() {
        let (config, mut s) = setup(&[("grantType", s("password")), ("username", s("u")), ("password", s("p"))]);
        s.accept(&token("a1", Some(60.0), Some("r1"), T0), &Renewal::Configured);
        let used = s.renewal();
        // Other failures keep the refresh token for the next try and do not fall back.
        assert_eq!(s.after_failure(&config, &used, &Error::Network { detail: "x".into() }), None);
        assert_eq!(s.after_failure(&config, &used, &oauth("invalid_client")), None);
        assert_eq!(s.renewal(), used);
        assert_eq!(s.after_failure(&config, &used, &oauth("invalid_grant")), Some(Renewal::Configured));
        for refused in ["unauthorized_client", "unsupported_grant_type"] {
            s.accept(&token("a1", Some(60.0), Some("r1"), T0), &Renewal::Configured);
            assert_eq!(s.after_failure(&config, &s.renewal(), &oauth(refused)), Some(Renewal::Configured));
        }
        assert_eq!(s.renewal(), Renewal::Configured);
        assert!(s.request(&config, &Renewal::Configured).body.starts_with("grant_type=password&"));
        // A failure of the configured grant ends the renewal.
        assert_eq!(s.after_failure(&config, &Renewal::Configured, &oauth("invalid_grant")), None);
    }

    #[test]
    fn a_configured_refresh_token_that_is_rejected_is_not_retried() {
        let (config, mut s) = setup(&[("grantType", s("refresh_token")), ("refreshToken", s("r0"))]);
        assert_eq!(s.request(&config, &Renewal::Configured).body, "grant_type=refresh_token&refresh_token=r0");
        let r0 = Renewal::Refresh(RefreshToken::new("r0".into()));
        assert_eq!(s.after_failure(&config, &r0, &oauth("invalid_grant")), None);
        // A rotated one that is rejected falls back to the configured one.
        let r1 = Renewal::Refresh(RefreshToken::new("r1".into()));
        assert_eq!(s.after_failure(&config, &r1, &oauth("invalid_grant")), Some(Renewal::Configured));
    }

    /// A token another connection received at `received` and stored in a shared cache.
    fn cached(access: &str, expires_in: f64, received: f64) -> TokenResponse {
        token(access, Some(expires_in), None, received)
    }

    #[test]
    fn a_cached_token_is_taken_with_its_original_expiry_and_this_skew() {
        let (_, mut s) = setup(&[]);
        // Received by another isolate 1000 s ago: it expires at T0 + 2600 s, renewed 60 s before.
        let t = cached("c", 3600.0, T0 - 1_000_000.0);
        assert!(s.adopt(&t, T0));
        assert_eq!(s.plan(T0 + 2_539_999.0), Plan::Reuse);
        assert_eq!(s.plan(T0 + 2_540_000.0), Plan::Renew);
        // Inside the skew window (30 s left, skew 60 s): not taken; taken with skew 10 s.
        let late = cached("c", 3600.0, T0 - 3_570_000.0);
        let (_, mut s) = setup(&[]);
        assert!(!s.adopt(&late, T0));
        assert_eq!(s.plan(T0), Plan::Renew);
        let (_, mut s) = setup(&[("refreshSkewSeconds", Value::Number(10.0))]);
        assert!(s.adopt(&late, T0));
        assert!(!s.adopt(&late, T0 + 20_000.0), "10 s left");
        // Expired, and expiring exactly now.
        let (_, mut s) = setup(&[("refreshSkewSeconds", Value::Number(0.0))]);
        assert!(!s.adopt(&cached("c", 60.0, T0 - 61_000.0), T0));
        assert!(!s.adopt(&cached("c", 60.0, T0 - 60_000.0), T0));
        assert!(s.adopt(&cached("c", 60.0, T0 - 59_999.0), T0));
        // The skew is capped at half the lifetime, as for the endpoint's tokens.
        let (_, mut s) = setup(&[]);
        assert!(s.adopt(&cached("c", 30.0, T0 - 14_000.0), T0));
        assert!(!s.adopt(&cached("c", 30.0, T0 - 15_000.0), T0));
        // No expiry: never taken (such tokens are not stored).
        assert!(!s.adopt(&token("c", None, None, T0), T0));
    }

    #[test]
    fn a_cached_token_keeps_the_held_refresh_token() {
        let (_, mut s) = setup(&[]);
        s.accept(&token("a", Some(60.0), Some("r"), T0), &Renewal::Configured);
        s.invalidate();
        assert!(s.adopt(&cached("c", 3600.0, T0), T0));
        assert_eq!(s.renewal(), Renewal::Refresh(RefreshToken::new("r".into())));
    }

    #[test]
    fn a_dropped_token_is_not_taken_back_from_the_cache() {
        // A 401 drops T; the cache still holds T (no other isolate replaced it yet).
        let (_, mut s) = setup(&[]);
        s.accept(&token("T", Some(3600.0), None, T0), &Renewal::Configured);
        assert!(!s.retry_after(401, false, generation(&s)));
        assert!(!s.adopt(&cached("T", 3600.0, T0), T0));
        assert_eq!(s.plan(T0), Plan::Renew);
        // Another isolate's newer token is taken.
        assert!(s.adopt(&cached("T2", 3600.0, T0), T0));
        // invalidate() drops the held token the same way.
        s.invalidate();
        assert!(!s.adopt(&cached("T2", 3600.0, T0), T0));
        assert!(s.adopt(&cached("T", 3600.0, T0), T0), "only the last dropped token is remembered");
        // The endpoint issuing the dropped token again clears the mark.
        let (_, mut s) = setup(&[]);
        s.accept(&token("T", Some(3600.0), None, T0), &Renewal::Configured);
        s.invalidate();
        assert!(!s.adopt(&cached("T", 3600.0, T0), T0));
        s.accept(&token("T", Some(3600.0), None, T0), &Renewal::Configured);
        s.held = None;
        assert!(s.adopt(&cached("T", 3600.0, T0), T0));
    }

    #[test]
    fn a_coordinators_token_is_held_for_this_skew_even_once_dropped() {
        let (_, mut s) = setup(&[]);
        s.accept(&token("T", Some(3600.0), Some("r"), T0), &Renewal::Configured);
        s.invalidate();
        // The object answers what it holds; a dropped token answered again was issued again.
        assert!(s.vouched(&cached("T", 3600.0, T0), T0, 0.0));
        assert_eq!((s.plan(T0 + 3_539_999.0), s.dropped()), (Plan::Reuse, None));
        assert_eq!(s.refresh_token(), Some(&RefreshToken::new("r".into())), "the held one stays");
        // Inside the skew, or expired: not taken. Without expiry: until dropped.
        let (_, mut s) = setup(&[]);
        assert!(!s.vouched(&cached("c", 3600.0, T0 - 3_550_000.0), T0, 0.0));
        assert!(s.vouched(&token("n", None, None, T0), T0, 0.0));
        assert_eq!(s.reuse_until(), f64::INFINITY);
        // Due for less than `late_ms` (10 s left, due 50 s ago): taken, renewed from then on.
        assert!(s.vouched(&cached("c", 3600.0, T0 - 3_590_000.0), T0, 60_000.0));
        assert_eq!(s.plan(T0), Plan::Renew);
        // Expired: never, however late an answer may be.
        assert!(!s.vouched(&cached("c", 3600.0, T0 - 3_600_000.0), T0, 120_000.0));
        // The object restores the stored refresh token for its renewal.
        s.restore(Some(RefreshToken::new("r9".into())));
        assert_eq!(s.renewal(), Renewal::Refresh(RefreshToken::new("r9".into())));
    }

    #[test]
    fn cache_ttl_until_expiry_at_least_a_minute_and_only_with_an_expiry() {
        let (_, s) = setup(&[]);
        assert_eq!(s.cache_ttl(&token("a", Some(3600.0), None, T0), T0), Some(3600));
        // Fractions round up: the entry never dies before the token.
        assert_eq!(s.cache_ttl(&token("a", Some(3599.5), None, T0), T0), Some(3600));
        assert_eq!(s.cache_ttl(&token("a", Some(3600.0), None, T0), T0 + 1_500.0), Some(3599));
        // Workers KV's minimum expirationTtl is 60 s.
        assert_eq!(s.cache_ttl(&token("a", Some(30.0), None, T0), T0), Some(60));
        assert_eq!(s.cache_ttl(&token("a", Some(1.0), None, T0), T0), Some(60));
        // Not stored: no expires_in, or not valid even now.
        assert_eq!(s.cache_ttl(&token("a", None, None, T0), T0), None);
        assert_eq!(s.cache_ttl(&token("a", Some(0.0), None, T0), T0), None);
        assert_eq!(s.cache_ttl(&token("a", Some(3600.0), None, T0), T0 + 3_540_000.0), None);
    }

    #[test]
    fn header_values() {
        // RFC 6750 §2.1: the scheme is "Bearer", whatever case the token type came in.
        assert_eq!(authorization_value("bearer", "t0k", None), "Bearer t0k");
        assert_eq!(authorization_value("BEARER", "t0k", None), "Bearer t0k");
        assert_eq!(authorization_value("DPoP", "t0k", None), "DPoP t0k");
        assert_eq!(authorization_value("bearer", "t0k", Some("Token")), "Token t0k");
        assert_eq!(authorization_value("bearer", "t0k", Some("")), "t0k");
    }

    #[test]
    fn connection_options() {
        let opts = |extra: &[(&'static str, Value)]| {
            let mut pairs = base();
            pairs.extend_from_slice(extra);
            parse_connection(&entries(&pairs), &parse_url).map(|(_, o)| o)
        };
        let d = opts(&[]).unwrap();
        assert_eq!((d.refresh_skew_ms, d.header_name.as_str(), d.header_prefix), (60_000.0, "Authorization", None));
        let o = opts(&[
            ("headerName", s("X-Api-Token")),
            ("headerPrefix", s(" Token ")),
            ("refreshSkewSeconds", Value::Number(1.5)),
        ])
        .unwrap();
        assert_eq!(
            (o.refresh_skew_ms, o.header_name.as_str(), o.header_prefix.as_deref()),
            (1_500.0, "X-Api-Token", Some("Token"))
        );
        for bad in [
            ("headerName", s("Bad Header")),
            ("headerName", s("")),
            ("headerPrefix", s("Bearer\r\nX-Evil: 1")),
            ("refreshSkewSeconds", Value::Number(-1.0)),
            ("refreshSkewSeconds", Value::Number(f64::NAN)),
            ("refreshSkewSeconds", s("60")),
        ] {
            assert_eq!(opts(std::slice::from_ref(&bad)).unwrap_err().code(), "ERR_INVALID_CONFIG", "{bad:?}");
        }
        // requestToken refuses them by name.
        let mut pairs = base();
        pairs.push(("headerName", s("X")));
        let e = crate::config::parse(&entries(&pairs), &parse_url).unwrap_err();
        assert_eq!(e.message(), "headerName is an option of createConnection, not of requestToken");
    }
}

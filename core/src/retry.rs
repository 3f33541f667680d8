//! Retries that respect the server: whether a failed attempt is sent again, and after how long.
//! Off unless `retry` is configured. A request is repeated only where that is safe (the
//! configured grant's [`Repeat`]); the delay is the server's `Retry-After` (RFC 9110 §10.2.3:
//! seconds or an HTTP date), else full jitter (a random delay up to an exponential cap); it gives
//! up when the delay would exceed `maxDelaySeconds` or pass the overall timeout. The host waits
//! and supplies the randomness; the clock comes in as a value.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::{concat, decimal};

/// The default entry's `.wasm` leaves retries out.
pub const NOT_IN_THIS_BUILD: &str = "retry is in the 'oauth-token-connection/full' entry; import from there";

/// `retry`'s defaults and limits.
pub const DEFAULT_ATTEMPTS: u32 = 2;
pub const MAX_ATTEMPTS: u32 = 10;
pub const DEFAULT_MAX_DELAY_SECONDS: f64 = 30.0;
/// The first jittered delay is up to this long; each retry doubles it, up to `maxDelaySeconds`.
const BASE_MS: f64 = 1000.0;

/// A validated `retry` setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// How many times a failed request may be sent again.
    pub attempts: u32,
    pub max_delay_ms: f64,
}

/// How safe it is to send a request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// A metadata GET, or a grant whose repetition only issues another token
    /// (`client_credentials`): a busy answer (408, 429, 502-504) or a network error before any
    /// response byte.
    Always,
    /// The password grant: a network error before any response byte only.
    BeforeResponse,
    /// A refresh token, which the server may rotate (consume) when it sees it (RFC 6749 §10.4):
    /// only when the request provably never left (connection refused, no DNS answer).
    NeverSent,
}

/// A failed attempt, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// An HTTP answer, with its `Retry-After` value.
    Status { status: u16, retry_after: Option<&'a str> },
    /// fetch rejected before a response (not a timeout, an abort or TLS); `never_sent`: the
    /// connection was refused or the host name did not resolve.
    Network { never_sent: bool },
    /// Anything else: never retried.
    Other,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Wait this long, then send it again; `note` is the warning that records it.
    Retry { delay_ms: u64, note: String },
    /// The failure stands; `Some`: why it was not retried although it could have been.
    Stop(Option<String>),
}

/// Whether a host's `cause.code` says the request never reached a server.
pub fn never_sent(codes: &[String]) -> bool {
    codes
        .iter()
        .any(|c| matches!(c.as_str(), "ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "ENETUNREACH" | "EHOSTUNREACH"))
}

/// Decides after `done` retries. `deadline_ms`: when the overall timeout ends; `random`: a number
/// in [0, 1) from the host, for the jitter.
pub fn decide(
    retry: &Retry,
    done: u32,
    repeat: Repeat,
    failure: Failure<'_>,
    now_ms: f64,
    deadline_ms: f64,
    random: f64,
) -> Decision {
    let (what, retry_after) = match (failure, repeat) {
        (Failure::Status { status: s @ (408 | 429 | 502 | 503 | 504), retry_after }, Repeat::Always) => {
            (concat(&["HTTP ", &decimal(u64::from(s))]), retry_after)
        }
        (Failure::Network { never_sent: true }, _) => (String::from("a refused connection"), None),
        (Failure::Network { .. }, Repeat::Always | Repeat::BeforeResponse) => (String::from("a network error"), None),
        _ => return Stop(None),
    };
    if done >= retry.attempts {
        return Stop(Some(concat(&["not retried again: retry.attempts (", &decimal(u64::from(done)), ") used up"])));
    }
    let asked = retry_after.and_then(|v| retry_after_ms(v, now_ms));
    let delay_ms = match asked {
        Some(ms) if ms > retry.max_delay_ms => {
            return Stop(Some(concat(&[
                "not retried: Retry-After asks for ",
                &decimal(crate::config::ceil(ms / 1000.0)),
                " s, more than retry.maxDelaySeconds (",
                &decimal(crate::config::ceil(retry.max_delay_ms / 1000.0)),
                ")",
            ])))
        }
        Some(ms) => ms,
        // Full jitter: uniform in [0, min(cap, base * 2^done)).
        None => random.clamp(0.0, 1.0) * retry.max_delay_ms.min(BASE_MS * f64::from(1u32 << done.min(20))),
    };
    let delay_ms = crate::config::ceil(delay_ms);
    if now_ms + delay_ms as f64 >= deadline_ms {
        return Stop(Some(concat(&[
            "not retried: waiting ",
            &decimal(delay_ms),
            " ms would pass timeoutSeconds, which bounds the whole call",
        ])));
    }
    let source = if asked.is_some() { " (Retry-After)" } else { " (jitter)" };
    let note = concat(&["retried after ", &what, ": waited ", &decimal(delay_ms), " ms", source]);
    Decision::Retry { delay_ms, note }
}

use Decision::Stop;

/// `Retry-After` (RFC 9110 §10.2.3) as a delay from `now_ms`: delay-seconds, or an HTTP-date
/// (a past date is no delay). `None`: neither.
pub fn retry_after_ms(value: &str, now_ms: f64) -> Option<f64> {
    let v = value.trim();
    if let Some(seconds) = digits(v) {
        return Some(seconds as f64 * 1000.0);
    }
    if v.len() > 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(f64::INFINITY); // over 30,000 years: more than any cap
    }
    http_date_ms(v).map(|at| (at - now_ms).max(0.0))
}

/// An HTTP-date (RFC 9110 §5.6.7) in epoch milliseconds: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`)
/// and asctime (`Sun Nov  6 08:49:37 1994`) forms recipients must accept.
pub fn http_date_ms(value: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (mut month, mut time, mut numbers) = (None, None, Vec::new());
    for (i, token) in value.split([' ', ',', '-']).filter(|t| !t.is_empty()).enumerate() {
        if let Some(m) = MONTHS.iter().position(|m| *m == token) {
            month = Some(m as u32 + 1);
        } else if token.contains(':') {
            let mut parts = token.split(':').map(|p| if p.len() == 2 { digits(p) } else { None });
            time = Some((parts.next()??, parts.next()??, parts.next()??));
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(token);
        } else if !(i == 0 || token == "GMT") {
            return None; // only a leading day name and GMT are words
        }
    }
    let [day, year] = numbers[..] else { return None };
    let (day, year) = if day.len() <= 2 { (day, year) } else { (year, day) };
    let (day, mut year) = (digits(day)?, digits(year)? as i64);
    if year < 100 {
        // RFC 850's two-digit year: the century that puts it no more than 50 years ahead.
        year += if year < 70 { 2000 } else { 1900 };
    }
    let (month, (h, m, s)) = (month?, time?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day as u32);
    Some(((days * 86_400 + (h * 3600 + m * 60 + s) as i64) * 1000) as f64)
}

/// 1 to 12 ASCII digits as a number (no `str::parse` in the .wasm).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn http_dates_in_the_three_forms() {
        for v in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(http_date_ms(v), Some(NOW), "{v}");
        }
        assert_eq!(http_date_ms("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0.0));
        assert_eq!(http_date_ms("Tue, 29 Feb 2028 23:59:59 GMT"), Some(1_835_481_599_000.0));
        for bad in
            ["", "soon", "Sun, 06 Nov 1994", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:00:00 GMT", "1 2 3"]
        {
            assert_eq!(http_date_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_seconds_or_date() {
        assert_eq!(retry_after_ms("1", NOW), Some(1000.0));
        assert_eq!(retry_after_ms(" 120 ", NOW), Some(120_000.0));
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:49:40 GMT", NOW), Some(3000.0));
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:00:00 GMT", NOW), Some(0.0), "a past date: no delay");
        assert_eq!(retry_after_ms("99999999999999999999", NOW), Some(f64::INFINITY));
        assert_eq!(retry_after_ms("-1", NOW), None);
        assert_eq!(retry_after_ms("1.5", NOW), None);
    }

    const RETRY: Retry = Retry { attempts: 2, max_delay_ms: 30_000.0 };
    const FAR: f64 = NOW + 1e9;

    fn status(status: u16, retry_after: Option<&str>) -> Failure<'_> {
        Failure::Status { status, retry_after }
    }

    #[test]
    fn which_failures_are_retried_for_which_requests() {
        let d = |repeat, failure| decide(&RETRY, 0, repeat, failure, NOW, FAR, 0.5);
        for s in [408, 429, 502, 503, 504] {
            assert!(matches!(d(Repeat::Always, status(s, None)), Decision::Retry { .. }), "{s}");
            assert_eq!(d(Repeat::BeforeResponse, status(s, None)), Stop(None), "{s}");
            assert_eq!(d(Repeat::NeverSent, status(s, Some("1"))), Stop(None), "{s}");
        }
        for s in [400, 401, 404, 500, 501] {
            assert_eq!(d(Repeat::Always, status(s, Some("1"))), Stop(None), "{s}");
        }
        let network = Failure::Network { never_sent: false };
        let refused = Failure::Network { never_sent: true };
        assert!(matches!(d(Repeat::Always, network), Decision::Retry { .. }));
        assert!(matches!(d(Repeat::BeforeResponse, network), Decision::Retry { .. }));
        assert_eq!(d(Repeat::NeverSent, network), Stop(None), "a refresh token may have reached the server");
        assert!(matches!(d(Repeat::NeverSent, refused), Decision::Retry { .. }));
        assert_eq!(d(Repeat::Always, Failure::Other), Stop(None));
        assert!(never_sent(&["ECONNREFUSED".into()]) && !never_sent(&["ECONNRESET".into()]));
    }

    #[test]
    fn delays_caps_and_the_overall_timeout() {
        let d = |done, failure, deadline, random| decide(&RETRY, done, Repeat::Always, failure, NOW, deadline, random);
        let Decision::Retry { delay_ms, note } = d(0, status(429, Some("1")), FAR, 0.9) else { panic!() };
        assert_eq!((delay_ms, note.as_str()), (1000, "retried after HTTP 429: waited 1000 ms (Retry-After)"));
        let Decision::Retry { delay_ms, .. } = d(0, status(503, Some("Sun, 06 Nov 1994 08:49:39 GMT")), FAR, 0.9)
        else {
            panic!()
        };
        assert_eq!(delay_ms, 2000);
        // Beyond the cap: not retried, and the reason says so.
        let Stop(Some(why)) = d(0, status(429, Some("120")), FAR, 0.0) else { panic!() };
        assert_eq!(why, "not retried: Retry-After asks for 120 s, more than retry.maxDelaySeconds (30)");
        // Full jitter without Retry-After: up to 1 s, then 2 s, ... capped at maxDelaySeconds.
        let jitter = |done, random| match d(done, status(503, Some("soon")), FAR, random) {
            Decision::Retry { delay_ms, .. } => delay_ms,
            other => panic!("{other:?}"),
        };
        assert_eq!((jitter(0, 0.0), jitter(0, 0.5), jitter(1, 0.5)), (0, 500, 1000));
        let long = Retry { attempts: 10, max_delay_ms: 3000.0 };
        let Decision::Retry { delay_ms, .. } = decide(&long, 5, Repeat::Always, status(503, None), NOW, FAR, 0.99)
        else {
            panic!()
        };
        assert_eq!(delay_ms, 2970);
        // The overall timeout.
        let Stop(Some(why)) = d(0, status(429, Some("2")), NOW + 1500.0, 0.0) else { panic!() };
        assert!(why.contains("would pass timeoutSeconds"), "{why}");
        // Attempts used up.
        let Stop(Some(why)) = d(2, status(429, Some("1")), FAR, 0.0) else { panic!() };
        assert_eq!(why, "not retried again: retry.attempts (2) used up");
    }
}

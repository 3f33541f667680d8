//! Response interpretation from an arbitrary status, content type, Content-Length and body:
//! never panics; a token it accepts is an RFC 6750 b64token with a sane expiry; an error on a
//! 2xx never quotes the body's strings (except §5.2 text the server sent as an error).
#![no_main]

#[path = "../common.rs"]
mod common;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use oauth_token_core::response::{self, HttpResponse};
use oauth_token_core::value::{Json, Value};
use oauth_token_core::Error;

/// Input, so that seeds can be written by hand: 3 ASCII digits of status, one flags byte
/// ('r': an opaque redirect, 'm': members from the fuzzer instead of JSON text, anything else:
/// neither), the Content-Type line ("-" for none), the Content-Length line, then the body.
struct Input<'a> {
    status: u16,
    opaque_redirect: bool,
    direct_members: bool,
    content_type: Option<&'a str>,
    content_length: Option<&'a str>,
    body: &'a [u8],
}

fn line<'a>(data: &mut &'a [u8]) -> Option<&'a str> {
    let end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let l = core::str::from_utf8(&data[..end]).ok()?;
    *data = data.get(end + 1..).unwrap_or_default();
    Some(l)
}

fn input(mut data: &[u8]) -> Option<Input<'_>> {
    if data.len() < 4 {
        return None;
    }
    let status = data[..3].iter().fold(0u16, |a, &b| a.wrapping_mul(10).wrapping_add(u16::from(b.wrapping_sub(b'0'))));
    let flags = data[3];
    data = &data[4..];
    let content_type = line(&mut data).filter(|c| *c != "-");
    let content_length = line(&mut data);
    Some(Input {
        status,
        opaque_redirect: flags == b'r',
        direct_members: flags == b'm',
        content_type,
        content_length,
        body: data,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = input(data) else { return };
    let limit = 1u64 << 20;
    let _ = response::check_declared_length(input.content_length, limit);
    let _ = response::check_body_length(input.body.len() as u64, limit);
    let mut u = Unstructured::new(input.body);

    let members: Vec<(String, Value)> = if input.direct_members {
        let n = u.int_in_range(0..=6u8).unwrap_or(0);
        let mut m = Vec::new();
        for _ in 0..n {
            let name = match u.int_in_range(0..=8u8).unwrap_or(0) {
                0 => "access_token",
                1 => "token_type",
                2 => "expires_in",
                3 => "refresh_token",
                4 => "scope",
                5 => "error",
                6 => "error_description",
                7 => "error_uri",
                _ => "other",
            };
            let Ok(v) = common::value(&mut u, 1) else { break };
            m.push((name.to_owned(), v));
        }
        m
    } else {
        Vec::new()
    };
    let direct = input.direct_members;
    let resp = HttpResponse {
        status: input.status,
        opaque_redirect: input.opaque_redirect,
        content_type: input.content_type,
        body: input.body,
    };
    let now = 1.7e12;
    let mut seen = Json::Invalid;
    let result = response::interpret(
        &resp,
        &mut |text| {
            let j = if direct { Json::Object(members.clone()) } else { common::read_json(text) };
            seen = j.clone();
            j
        },
        now,
    );
    match result {
        Ok(t) => {
            assert!((200..300).contains(&input.status) && !input.opaque_redirect);
            assert!(common::is_b64token(t.access_token.expose()), "accepted a token outside b64token");
            assert!(!t.token_type.is_empty());
            if let Some(s) = t.expires_in {
                assert!(s.is_finite() && s >= 0.0);
                let at = t.expires_at.unwrap();
                assert!(at.is_finite() && at <= 8.64e15);
            }
        }
        Err(e) => {
            let message = e.message();
            assert!(!message.is_empty());
            if let Error::OAuth { error, error_description, error_uri, .. } = &e {
                for text in [Some(error), error_description.as_ref(), error_uri.as_ref()].into_iter().flatten() {
                    assert!(!text.chars().any(char::is_control));
                }
            } else if (200..300).contains(&input.status) {
                // The body's string values (a token, maybe) are never quoted, unless the
                // content type (which messages name) happens to hold them.
                if let Json::Object(m) = &seen {
                    for (_, v) in m {
                        if let Value::String(s) = v {
                            let in_ct = input.content_type.is_some_and(|c| c.contains(s.as_str()));
                            if s.chars().count() >= 2 && !s.is_ascii() && !in_ct {
                                assert!(!message.contains(s.as_str()), "quoted a body string: {message}");
                            }
                        }
                    }
                }
            }
        }
    }
});

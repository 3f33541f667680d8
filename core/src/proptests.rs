//! Property tests (proptest): the encodings round-trip through independent decoders, the parsers
//! never panic on arbitrary input, and scope validation is exactly RFC 6749 §3.3. Native only
//! (`cargo test`); case counts keep the whole module to a few seconds.

use base64::Engine as _;
use proptest::prelude::*;

use crate::config::tests::parse_url;
use crate::config::{self, BasicEncoding, CONNECTION_KEYS, KEYS};
use crate::request::{self, basic_authorization, form_encode};
use crate::response::{self, HttpResponse};
use crate::secret::ClientSecret;
use crate::value::testing::parse_json;
use crate::value::{Json, Value};
use crate::{cookies, Error};

/// A real form decoder: the `form_urlencoded` crate's parser (WHATWG), as a server would.
fn decode_form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

/// RFC 6749 §2.3.1 inverted: base64-decode, split at the first ':', form-decode each half.
fn decode_basic(header: &str) -> (String, String) {
    let b64 = header.strip_prefix("Basic ").expect("Basic scheme");
    let pair = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    let pair = String::from_utf8(pair).expect("form encoding is ASCII");
    let (user, pass) = pair.split_once(':').expect("a ':'");
    let one = |s: &str| {
        let mut v = decode_form(&["x=", s].concat());
        assert_eq!(v.len(), 1);
        v.remove(0).1
    };
    (one(user), one(pass))
}

/// Arbitrary Unicode, with the characters form and Basic encoding care about made frequent.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just(':'),
                Just('+'),
                Just('%'),
                Just('&'),
                Just('='),
                Just(' '),
                Just('/'),
                Just('*'),
                Just('é'),
                Just('\u{1F511}'),
                Just('\u{0}'),
                Just('\n'),
                any::<char>(),
                proptest::char::range('a', 'z'),
            ],
            0..24,
        )
        .prop_map(|cs| cs.into_iter().collect()),
    ]
}

/// Non-empty and without control characters (what clientId and username accept).
fn name() -> impl Strategy<Value = String> {
    text()
        .prop_map(|s| s.chars().filter(|c| !c.is_control()).collect::<String>())
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn non_empty() -> impl Strategy<Value = String> {
    text().prop_filter("non-empty", |s| !s.is_empty())
}

/// RFC 6749 §3.3, written from the grammar and independently of `config::parse_scope`:
/// `scope = scope-token *( SP scope-token )`, `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
/// The core also accepts runs of spaces and leading/trailing spaces (it collapses them), so the
/// reference checks the tokens between spaces.
fn reference_scope(s: &str) -> Result<Option<String>, ()> {
    let nqchar = |c: char| matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}');
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in s.chars() {
        if c == ' ' {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        } else if nqchar(c) {
            current.push(c);
        } else {
            return Err(());
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(if tokens.is_empty() { None } else { Some(tokens.join(" ")) })
}

fn scope_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('\u{21}', '\u{7E}'),
            3 => Just(' '),
            1 => prop_oneof![Just('"'), Just('\\'), Just('\t'), Just('\u{7f}'), Just('\u{0}'), Just('\u{a0}'), Just('é'), Just('\u{3000}'), any::<char>()],
        ],
        0..16,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// An arbitrary value tree, strings biased towards what the configuration recognises.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        Just(Value::Other),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(0.5), Just(-1.0), Just(30.0)]
            .prop_map(Value::Number),
        prop_oneof![
            text(),
            Just("https://auth.example.com/t".to_owned()),
            Just("http://127.0.0.1:1/t".to_owned()),
            Just("password".to_owned()),
            Just("body".to_owned()),
            Just("none".to_owned()),
            Just("refresh_token".to_owned()),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..4).prop_map(Value::Object),
        ]
    })
}

fn entries() -> impl Strategy<Value = Vec<(String, Value)>> {
    let key = prop_oneof![
        9 => proptest::sample::select([KEYS, CONNECTION_KEYS].concat()).prop_map(str::to_owned),
        1 => text(),
    ];
    proptest::collection::vec((key, value()), 0..10).prop_map(|mut v| {
        // Object.entries never repeats a key.
        let mut seen = std::collections::HashSet::new();
        v.retain(|(k, _)| seen.insert(k.clone()));
        v
    })
}

/// JSON texts: documents serde_json writes (objects with the token members, nesting, escapes,
/// numbers of every form), with bytes flipped, cut or inserted.
fn json_document() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<f64>().prop_filter("finite", |n| n.is_finite()).prop_map(|n| serde_json::json!(n)),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        text().prop_map(serde_json::Value::String),
    ];
    let tree = leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::vec(
                (prop_oneof![Just("access_token".to_owned()), Just("expires_in".to_owned()), text()], inner),
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    let byte = prop_oneof![prop::sample::select(b"0123456789-+.eE\"\\/u{}[],: \t\x1f".to_vec()), any::<u8>()];
    let edit = (any::<prop::sample::Index>(), prop_oneof![Just(None), byte.prop_map(Some)], any::<bool>());
    (tree, proptest::collection::vec(edit, 0..3)).prop_map(|(v, edits)| {
        let mut bytes = serde_json::to_vec(&v).unwrap();
        for (at, byte, insert) in edits {
            let i = at.index(bytes.len() + 1);
            match (byte, insert) {
                (Some(b), true) => bytes.insert(i, b),
                (Some(b), false) if i < bytes.len() => bytes[i] = b,
                _ => bytes.truncate(i),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

proptest! {
    // Mostly broken documents, so many cases: the reader is fast.
    #![proptest_config(ProptestConfig { cases: 8192, failure_persistence: None, ..ProptestConfig::default() })]

    /// The core's JSON reader agrees with serde_json (which, like `JSON.parse`, implements RFC
    /// 8259 strictly) on what is JSON, what kind a document is, and the members picked; except
    /// where serde_json is stricter than `JSON.parse`: unpaired surrogate escapes, numbers beyond
    /// f64.
    #[test]
    fn json_reader_agrees_with_serde_json(text in json_document()) {
        crate::value::testing::read_checked(&text, &response::MEMBERS);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// The JSON the wasm module hands to `JSON.parse` reads back as written (serde_json as the
    /// independent parser): any string, and any number it agrees to write.
    #[test]
    fn json_text_round_trips(key in text(), value in text(), pair in (text(), text()), n in any::<f64>()) {
        let key = ["k:", &key].concat(); // never "pairs" or "n"
        let mut o = crate::json::JsonObject::default();
        o.string(&key, &value);
        o.pairs("pairs", [(pair.0.as_str(), pair.1.as_str())]);
        let written = o.number("n", n);
        let parsed: serde_json::Value = serde_json::from_str(&o.finish()).unwrap();
        prop_assert_eq!(parsed[&key].as_str(), Some(value.as_str()));
        prop_assert_eq!(&parsed["pairs"][0][0], &serde_json::Value::from(pair.0.as_str()));
        prop_assert_eq!(&parsed["pairs"][0][1], &serde_json::Value::from(pair.1.as_str()));
        prop_assert_eq!(written, n.is_finite() && n.trunc() == n && n.abs() <= 9_007_199_254_740_992.0);
        if written {
            prop_assert_eq!(parsed["n"].as_f64(), Some(n));
        }
    }

    #[test]
    fn form_encode_round_trips(s in text()) {
        let enc = form_encode(&s);
        prop_assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._+%".contains(&b)));
        prop_assert_eq!(decode_form(&["v=", &enc].concat()), vec![("v".to_owned(), s)]);
    }

    #[test]
    fn basic_header_decodes_to_the_inputs(id in text(), secret in text()) {
        let h = basic_authorization(&id, Some(&ClientSecret::new(secret.clone())), BasicEncoding::Form);
        prop_assert_eq!(decode_basic(&h), (id.clone(), secret.clone()));
        if !id.contains(':') {
            let h = basic_authorization(&id, Some(&ClientSecret::new(secret.clone())), BasicEncoding::None);
            let raw = base64::engine::general_purpose::STANDARD.decode(h.strip_prefix("Basic ").unwrap()).unwrap();
            prop_assert_eq!(raw, [id.as_bytes(), b":", secret.as_bytes()].concat());
        }
    }

    /// The whole request, password grant, both client authentication modes: the body decodes to
    /// exactly the configured parameters in order, and the Basic header back to the id and secret.
    #[test]
    fn token_request_round_trips(
        id in name(), secret in non_empty(), user in name(), password in non_empty(),
        scope in proptest::collection::vec("[!#-\\[\\]-~]{1,8}", 0..4),
        extra in proptest::collection::vec(("[a-z]{1,6}", text()), 0..3),
        body_mode in any::<bool>(),
    ) {
        prop_assume!(extra.iter().all(|(k, _)| !config::RESERVED_PARAMS.contains(&k.as_str())));
        let s = |v: &str| Value::String(v.to_owned());
        let mut e = vec![
            ("tokenEndpoint".to_owned(), s("https://auth.example.com/token")),
            ("grantType".to_owned(), s("password")),
            ("clientId".to_owned(), s(&id)),
            ("clientSecret".to_owned(), s(&secret)),
            ("username".to_owned(), s(&user)),
            ("password".to_owned(), s(&password)),
            ("scope".to_owned(), s(&scope.join(" "))),
            ("extraParams".to_owned(), Value::Object(extra.iter().map(|(k, v)| (k.clone(), s(v))).collect())),
        ];
        if body_mode {
            e.push(("clientAuthentication".to_owned(), s("body")));
        }
        let config = config::parse(&e, &parse_url).expect("a valid configuration");
        let req = request::build(&config);
        let mut expected = vec![
            ("grant_type".to_owned(), "password".to_owned()),
            ("username".to_owned(), user),
            ("password".to_owned(), password),
        ];
        if !scope.is_empty() {
            expected.push(("scope".to_owned(), scope.join(" ")));
        }
        expected.extend(extra);
        let auth = req.headers.iter().find(|(n, _)| *n == "Authorization").map(|(_, v)| v.clone());
        if body_mode {
            expected.push(("client_id".to_owned(), id));
            expected.push(("client_secret".to_owned(), secret));
            prop_assert_eq!(auth, None);
        } else {
            prop_assert_eq!(decode_basic(&auth.expect("a Basic header")), (id, secret));
        }
        prop_assert_eq!(decode_form(&req.body), expected);
    }

    #[test]
    fn scope_is_exactly_rfc_6749_3_3(s in scope_text()) {
        let got = config::parse_scope(&s).map(|o| o.map(|sc| sc.as_str().to_owned()));
        match (got, reference_scope(&s)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(e), Err(())) => prop_assert_eq!(e.code(), "ERR_INVALID_CONFIG"),
            (got, want) => prop_assert!(false, "{:?}: core {:?}, reference {:?}", s, got, want),
        }
    }

    #[test]
    fn config_parsing_never_panics(e in entries(), connection in any::<bool>()) {
        let r = if connection {
            config::parse_connection(&e, &parse_url).map(|(c, _)| c)
        } else {
            config::parse(&e, &parse_url)
        };
        match r {
            Ok(c) => {
                let _ = request::build(&c);
                let _ = crate::preview::preview(&c);
            }
            Err(err) => prop_assert!(!err.message().is_empty()),
        }
    }

    #[test]
    fn response_interpretation_never_panics(
        status in prop_oneof![any::<u16>(), 100u16..600],
        opaque in any::<bool>(),
        content_type in proptest::option::of(prop_oneof![text(), Just("application/json".to_owned()), Just("text/html".to_owned())]),
        content_length in proptest::option::of(text()),
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            text().prop_map(String::into_bytes),
            (text(), text(), any::<i32>()).prop_map(|(a, b, n)| serde_json::json!({"access_token": a, "token_type": b, "expires_in": n, "error": a}).to_string().into_bytes()),
        ],
    ) {
        let _ = response::check_declared_length(content_length.as_deref(), 1 << 20);
        let resp = HttpResponse { status, opaque_redirect: opaque, content_type: content_type.as_deref(), body: &body };
        match response::interpret(&resp, &mut |t| parse_json(t), 1.7e12) {
            Ok(t) => {
                prop_assert!((200..300).contains(&status));
                prop_assert_eq!(response::b64token_problem(t.access_token.expose()), None);
            }
            Err(e) => prop_assert!(Error::CODES.iter().any(|(c, _)| *c == e.code())),
        }
    }

    #[test]
    fn interpretation_of_arbitrary_members_never_panics(
        status in 100u16..600,
        members in proptest::collection::vec((prop_oneof![
            proptest::sample::select(vec!["access_token", "token_type", "expires_in", "refresh_token", "scope", "error", "error_description", "error_uri"]).prop_map(str::to_owned),
            text(),
        ], value()), 0..8),
    ) {
        let resp = HttpResponse { status, opaque_redirect: false, content_type: None, body: b"{}" };
        let r = response::interpret(&resp, &mut |_| Json::Object(members.clone()), 1.7e12);
        if let Ok(t) = r {
            prop_assert!(t.expires_at.map_or(true, |at| at.is_finite()));
        }
    }

    #[test]
    fn set_cookie_checking_never_panics(cookies_in in proptest::collection::vec(text(), 0..4), host in text(), ignore in any::<bool>()) {
        let w = cookies::check(&cookies_in, &host, ignore);
        prop_assert!(w.len() <= cookies_in.len());
        prop_assert!(!ignore || w.is_empty());
        for c in &cookies_in {
            let _ = cookies::domain_attribute(c);
        }
    }
}

//! JWS compact serialization (RFC 7515 §7.1) of a JWT (RFC 7519): the algorithms a signer may
//! use and what WebCrypto calls them, the JSON of the header and the claims, the signing input,
//! and the assembled JWS. The host computes the signature (`crypto.subtle.sign`) over the
//! signing input's bytes; base64url comes from the `base64ct` crate.

#[allow(unused_imports)]
use crate::prelude::*;

use base64ct::{Base64UrlUnpadded, Encoding as _};

use crate::json::JsonObject;
use crate::pem::{Curve, KeyType};

/// A JWS `alg` (RFC 7518 §3.1; EdDSA: RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Ps256,
    Es256,
    Es384,
    EdDsa,
    Hs256,
    Hs384,
    Hs512,
}

/// Every algorithm by its JWS name, in the order messages list them.
pub const ALGORITHMS: [(&str, Algorithm); 8] = [
    ("RS256", Algorithm::Rs256),
    ("PS256", Algorithm::Ps256),
    ("ES256", Algorithm::Es256),
    ("ES384", Algorithm::Es384),
    ("EdDSA", Algorithm::EdDsa),
    ("HS256", Algorithm::Hs256),
    ("HS384", Algorithm::Hs384),
    ("HS512", Algorithm::Hs512),
];

/// A WebCrypto algorithm object (`AlgorithmIdentifier` with its parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebCrypto {
    pub name: &'static str,
    /// `hash` (RSA and HMAC imports, ECDSA signatures).
    pub hash: Option<&'static str>,
    /// `namedCurve` (ECDSA imports).
    pub named_curve: Option<&'static str>,
    /// `saltLength` in bytes (RSA-PSS signatures: the hash's size, RFC 7518 §3.5).
    pub salt_length: Option<u32>,
}

const fn webcrypto(name: &'static str) -> WebCrypto {
    WebCrypto { name, hash: None, named_curve: None, salt_length: None }
}

impl Algorithm {
    /// The JWS `alg` value.
    pub fn name(self) -> &'static str {
        match ALGORITHMS.iter().find(|(_, a)| *a == self) {
            Some((name, _)) => name,
            None => "",
        }
    }

    /// Whether the key is the client secret (HMAC) rather than a private key.
    pub fn is_hmac(self) -> bool {
        matches!(self, Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512)
    }

    fn hash(self) -> &'static str {
        match self {
            Algorithm::Es384 | Algorithm::Hs384 => "SHA-384",
            Algorithm::Hs512 => "SHA-512",
            _ => "SHA-256",
        }
    }

    /// The algorithm `crypto.subtle.importKey` takes.
    pub fn import(self) -> WebCrypto {
        let hash = Some(self.hash());
        match self {
            Algorithm::Rs256 => WebCrypto { hash, ..webcrypto("RSASSA-PKCS1-v1_5") },
            Algorithm::Ps256 => WebCrypto { hash, ..webcrypto("RSA-PSS") },
            Algorithm::Es256 => WebCrypto { named_curve: Some("P-256"), ..webcrypto("ECDSA") },
            Algorithm::Es384 => WebCrypto { named_curve: Some("P-384"), ..webcrypto("ECDSA") },
            Algorithm::EdDsa => webcrypto("Ed25519"),
            Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512 => WebCrypto { hash, ..webcrypto("HMAC") },
        }
    }

    /// The algorithm `crypto.subtle.sign` takes.
    pub fn sign(self) -> WebCrypto {
        match self {
            Algorithm::Ps256 => WebCrypto { salt_length: Some(32), ..webcrypto("RSA-PSS") },
            Algorithm::Es256 | Algorithm::Es384 => WebCrypto { hash: Some(self.hash()), ..webcrypto("ECDSA") },
            other => webcrypto(other.import().name),
        }
    }

    /// The signature's length in bytes where the algorithm fixes it: ECDSA's raw `r || s` (RFC
    /// 7518 §3.4, what WebCrypto returns), Ed25519's, HMAC's. RSA's is the modulus's.
    pub fn signature_len(self) -> Option<usize> {
        match self {
            Algorithm::Es256 | Algorithm::EdDsa | Algorithm::Hs512 => Some(64),
            Algorithm::Es384 => Some(96),
            Algorithm::Hs256 => Some(32),
            Algorithm::Hs384 => Some(48),
            Algorithm::Rs256 | Algorithm::Ps256 => None,
        }
    }

    /// The default algorithm for a private key.
    pub fn for_key(key: KeyType) -> Algorithm {
        match key {
            KeyType::Rsa { .. } => Algorithm::Rs256,
            KeyType::Ec(Curve::P256) => Algorithm::Es256,
            KeyType::Ec(Curve::P384) => Algorithm::Es384,
            KeyType::Ed25519 => Algorithm::EdDsa,
        }
    }

    /// Whether this algorithm signs with `key`; `Err`: why not (the end of a sentence that
    /// begins with "privateKey").
    pub fn fits(self, key: KeyType) -> Result<(), &'static str> {
        match (self, key) {
            // RFC 7518 §3.3 and §3.5: 2048 bits or larger.
            (Algorithm::Rs256 | Algorithm::Ps256, KeyType::Rsa { bits }) if bits < 2048 => {
                Err("is an RSA key under 2048 bits (RFC 7518 section 3.3)")
            }
            (Algorithm::Rs256 | Algorithm::Ps256, KeyType::Rsa { .. })
            | (Algorithm::Es256, KeyType::Ec(Curve::P256))
            | (Algorithm::Es384, KeyType::Ec(Curve::P384))
            | (Algorithm::EdDsa, KeyType::Ed25519) => Ok(()),
            (_, KeyType::Rsa { .. }) => Err("is an RSA key: use RS256 or PS256"),
            (_, KeyType::Ec(Curve::P256)) => Err("is a P-256 key: use ES256"),
            (_, KeyType::Ec(Curve::P384)) => Err("is a P-384 key: use ES384"),
            (_, KeyType::Ed25519) => Err("is an Ed25519 key: use EdDSA"),
        }
    }
}

/// base64url without padding (RFC 7515 §2).
pub fn base64url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// The JOSE header (RFC 7515 §4.1): `alg`, `typ` JWT, and `kid`, `x5t` (SHA-1 of the
/// certificate's DER, which Entra ID requires) and `x5t#S256` when given.
pub fn header(algorithm: Algorithm, key_id: Option<&str>, thumbprints: Option<&Thumbprints>) -> String {
    let mut h = JsonObject::default();
    h.string("alg", algorithm.name());
    h.string("typ", "JWT");
    if let Some(kid) = key_id {
        h.string("kid", kid);
    }
    if let Some(t) = thumbprints {
        h.string("x5t", &t.sha1);
        h.string("x5t#S256", &t.sha256);
    }
    h.finish()
}

/// A certificate's thumbprints, base64url (RFC 7515 §4.1.7, §4.1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbprints {
    pub sha1: String,
    pub sha256: String,
}

/// `BASE64URL(header) || '.' || BASE64URL(payload)` (RFC 7515 §5.1 step 8).
pub fn signing_input(header: &[u8], payload: &[u8]) -> String {
    let mut s = base64url(header);
    s.push('.');
    s.push_str(&base64url(payload));
    s
}

/// The compact serialization: the signing input, `.`, the signature (RFC 7515 §7.1).
pub fn compact(signing_input: &str, signature: &[u8]) -> String {
    let mut s = String::with_capacity(signing_input.len() + 1 + signature.len().div_ceil(3) * 4);
    s.push_str(signing_input);
    s.push('.');
    s.push_str(&base64url(signature));
    s
}

#[cfg(test)]
mod tests {
    //! RFC 7515 Appendix A.1 (HS256) and A.2 (RS256): their signing inputs, and the JWS our
    //! assembly makes with a signature computed from their keys (HMAC natively with the `hmac`
    //! crate; RSA by openssl from the JWK's key), byte for byte.
    use super::*;
    use crate::pem::tests::openssl;
    use base64::Engine as _; // the base64 crate: an independent codec for the vectors

    /// A.1's and A.2's header and payload octets (CRLF line breaks and all), and their JWS.
    const A1_HEADER: &[u8] = b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
    const A2_HEADER: &[u8] = b"{\"alg\":\"RS256\"}";
    const PAYLOAD: &[u8] = b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
    const A1_JWS: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const A1_KEY: &str = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    const A2_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    /// A.2's RSA key (n, e, d, p, q, dp, dq, qi), base64url.
    pub const A2_KEY: [(&str, &str); 8] = [
        ("n", "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"),
        ("e", "AQAB"),
        ("d", "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"),
        ("p", "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc"),
        ("q", "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc"),
        ("dp", "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0"),
        ("dq", "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU"),
        ("qi", "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"),
    ];

    #[test]
    fn rfc7515_a1_hs256() {
        use hmac::{Hmac, Mac};
        let input = signing_input(A1_HEADER, PAYLOAD);
        assert_eq!(input, A1_JWS.rsplit_once('.').unwrap().0);
        let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(A1_KEY).unwrap();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(input.as_bytes());
        let signature = mac.finalize().into_bytes();
        assert_eq!(Some(signature.len()), Algorithm::Hs256.signature_len());
        assert_eq!(compact(&input, &signature), A1_JWS);
    }

    #[test]
    fn rfc7515_a2_rs256() {
        let input = signing_input(A2_HEADER, PAYLOAD);
        assert_eq!(input, A2_JWS.rsplit_once('.').unwrap().0);
        // The JWK as PKCS#1 DER (RFC 8017 A.1.2), for openssl to sign with (RS256 is deterministic).
        let b64 = |name: &str| {
            let v = A2_KEY.iter().find(|(n, _)| *n == name).unwrap().1;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v).unwrap()
        };
        let integer = |bytes: &[u8]| {
            let mut content = if bytes[0] & 0x80 != 0 { vec![0] } else { vec![] };
            content.extend_from_slice(bytes);
            let mut out = vec![0x02];
            der_len(&mut out, content.len());
            out.extend(content);
            out
        };
        let mut body = integer(&[0]);
        for name in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
            body.extend(integer(&b64(name)));
        }
        let mut der = vec![0x30];
        der_len(&mut der, body.len());
        der.extend(body);
        let pem = [
            "-----BEGIN RSA PRIVATE KEY-----\n",
            &base64::engine::general_purpose::STANDARD.encode(&der),
            "\n-----END RSA PRIVATE KEY-----\n",
        ]
        .concat();
        assert_eq!(crate::pem::private_key(&pem).unwrap().key_type, KeyType::Rsa { bits: 2048 });
        let dir = std::env::temp_dir().join(["otc-jws-", &std::process::id().to_string()].concat());
        std::fs::create_dir_all(&dir).unwrap();
        let key_path = dir.join("a2.pem");
        std::fs::write(&key_path, &pem).unwrap();
        let signature = openssl(&["dgst", "-sha256", "-sign", key_path.to_str().unwrap()], input.as_bytes());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(compact(&input, &signature), A2_JWS);
    }

    fn der_len(out: &mut Vec<u8>, n: usize) {
        if n < 128 {
            out.push(n as u8);
        } else if n < 256 {
            out.extend([0x81, n as u8]);
        } else {
            out.extend([0x82, (n >> 8) as u8, n as u8]);
        }
    }

    #[test]
    fn header_json() {
        assert_eq!(header(Algorithm::Rs256, None, None), r#"{"alg":"RS256","typ":"JWT"}"#);
        let t = Thumbprints { sha1: "a-_".into(), sha256: "b".into() };
        assert_eq!(
            header(Algorithm::Ps256, Some("k\"1\\\u{1}é"), Some(&t)),
            r#"{"alg":"PS256","typ":"JWT","kid":"k\"1\\\u0001é","x5t":"a-_","x5t#S256":"b"}"#
        );
        let parsed: serde_json::Value =
            serde_json::from_str(&header(Algorithm::EdDsa, Some("\n\t\r\u{1f}"), None)).unwrap();
        assert_eq!(parsed["kid"], "\n\t\r\u{1f}");
        assert_eq!(parsed["alg"], "EdDSA");
    }

    #[test]
    fn algorithms_and_keys() {
        for (name, alg) in ALGORITHMS {
            assert_eq!(alg.name(), name);
        }
        assert_eq!(Algorithm::Rs256.import(), WebCrypto { hash: Some("SHA-256"), ..webcrypto("RSASSA-PKCS1-v1_5") });
        assert_eq!(Algorithm::Ps256.sign(), WebCrypto { salt_length: Some(32), ..webcrypto("RSA-PSS") });
        assert_eq!(Algorithm::Es384.sign(), WebCrypto { hash: Some("SHA-384"), ..webcrypto("ECDSA") });
        assert_eq!(Algorithm::Hs512.import(), WebCrypto { hash: Some("SHA-512"), ..webcrypto("HMAC") });
        assert_eq!(Algorithm::EdDsa.sign(), webcrypto("Ed25519"));
        let rsa = KeyType::Rsa { bits: 2048 };
        assert_eq!(Algorithm::for_key(rsa), Algorithm::Rs256);
        assert!(Algorithm::Ps256.fits(rsa).is_ok());
        assert!(Algorithm::Rs256.fits(KeyType::Rsa { bits: 2047 }).unwrap_err().contains("2048"));
        assert!(Algorithm::Rs256.fits(KeyType::Ec(Curve::P256)).unwrap_err().contains("ES256"));
        assert!(Algorithm::Es256.fits(KeyType::Ec(Curve::P384)).unwrap_err().contains("ES384"));
        assert!(Algorithm::Es256.fits(rsa).is_err() && Algorithm::Hs256.fits(rsa).is_err());
        assert!(Algorithm::EdDsa.fits(KeyType::Ed25519).is_ok());
    }

    #[test]
    fn base64url_has_no_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url(b"any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw");
    }
}

//! PEM private keys and certificates (RFC 7468), as far as a signer needs them: which key it is
//! (RSA and its modulus size, an EC curve, Ed25519), and the key as PKCS#8, the one private-key
//! format WebCrypto's `importKey` takes. PKCS#1 (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`)
//! keys are rewrapped into PKCS#8 exactly as `openssl pkcs8 -topk8 -nocrypt` does (RFC 5208 §5;
//! for SEC1, RFC 5915 §3 with the curve moved into the AlgorithmIdentifier). Nothing here signs
//! or checks a signature: the host does that, and its `importKey` checks the key's mathematics.
//!
//! DER is read and written by the few lines below ([`element`], [`push_element`]): the wrapper is
//! fixed, and only the elements named here are looked at. Every buffer that held key bytes is
//! dropped as soon as it is no longer needed (the .wasm's allocator zeroes freed blocks). No
//! error message quotes the input.

#[allow(unused_imports)]
use crate::prelude::*;

use base64ct::{Base64, Encoding as _};

/// rsaEncryption (RFC 8017 Appendix C).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey (RFC 5480 §2.1.1).
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / P-256 (RFC 5480 §2.1.1.1).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 / P-384.
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// id-Ed25519 (RFC 8410 §3).
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const NULL: u8 = 0x05;
/// `[0]`, constructed: SEC1's `parameters`.
const CONTEXT_0: u8 = 0xa0;

/// The curves a signer can use (JWS ES256 and ES384).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

impl Curve {
    /// The JWK `crv` and WebCrypto `namedCurve` name.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }
}

/// What a private key is, as far as choosing and checking an algorithm goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa { bits: u32 },
    Ec(Curve),
    Ed25519,
}

/// A private key as PKCS#8 DER (`Debug` shows only its type).
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey {
    pub key_type: KeyType,
    pub pkcs8: Vec<u8>,
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrivateKey").field("key_type", &self.key_type).field("pkcs8", &"[redacted]").finish()
    }
}

/// Why a text is not a usable private key or certificate: the end of a sentence that begins with
/// the setting's name ("privateKey …").
pub type Refusal = &'static str;

/// One PEM block: its label and its DER bytes.
struct Block<'a> {
    label: &'a str,
    der: Vec<u8>,
}

/// The blocks of a PEM text, in order. Text between blocks is ignored (OpenSSL's "Bag
/// Attributes", comments). A key pasted from a JSON string or an environment variable may carry
/// its line breaks as the two characters `\n`: those are read as line breaks.
fn blocks(text: &str) -> Result<Vec<Block<'_>>, Refusal> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = find(rest, "-----BEGIN ") {
        let after = &rest[at + 11..];
        let Some(end_label) = find(after, "-----") else { return Err(MALFORMED) };
        let label = &after[..end_label];
        let body_and_rest = &after[end_label + 5..];
        // The END line must name the same label.
        let Some(end) = find(body_and_rest, "-----END ") else { return Err(MALFORMED) };
        let closing = &body_and_rest[end + 9..];
        if !closing.starts_with(label) || !closing[label.len()..].starts_with("-----") {
            return Err(MALFORMED);
        }
        out.push(Block { label, der: base64_body(&body_and_rest[..end])? });
        rest = &closing[label.len() + 5..];
    }
    Ok(out)
}

const MALFORMED: Refusal = "is not a PEM text (-----BEGIN …----- base64 -----END …-----)";
/// Any DER structure that is not the key its label says.
const BAD: Refusal = "is not a well-formed private key";
const ENCRYPTED: Refusal = "is an encrypted private key: decrypt it first (openssl pkcs8 -topk8 -nocrypt -in key.pem)";

/// `str::find` for ASCII needles, over bytes (no `str` searcher in the .wasm).
fn find(haystack: &str, needle: &str) -> Option<usize> {
    haystack.as_bytes().windows(needle.len()).position(|w| w == needle.as_bytes())
}

/// A block's base64 body, whitespace and `\n` escapes dropped. RFC 1421 headers (`Proc-Type:
/// 4,ENCRYPTED`, `DEK-Info: …`) mean a legacy encrypted key.
fn base64_body(body: &str) -> Result<Vec<u8>, Refusal> {
    if body.as_bytes().contains(&b':') {
        return Err(ENCRYPTED);
    }
    let mut b64 = Vec::with_capacity(body.len());
    let mut bytes = body.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            // A literal `\n` (or `\r`): a line break escaped by JSON or a shell.
            b'\\' => match bytes.next() {
                Some(b'n' | b'r') => {}
                _ => return Err(MALFORMED),
            },
            _ => b64.push(b),
        }
    }
    // Padded, and the last symbol's unused bits zero (RFC 4648 §3.5); anything else is refused.
    let mut der = vec![0u8; b64.len() / 4 * 3];
    let n = Base64::decode(&b64, &mut der).map_err(|_| MALFORMED)?.len();
    der.truncate(n);
    Ok(der)
}

/// One DER element at the start of `input`: its tag, its contents and what follows it. Definite
/// lengths only (DER), at most four length bytes.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        (bytes.iter().fold(0usize, |len, &b| (len << 8) | usize::from(b)), rest)
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// The contents of an element with tag `tag`, and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match element(input)? {
        (t, contents, rest) if t == tag => Some((contents, rest)),
        _ => None,
    }
}

/// Appends one DER element.
fn push_element(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    out.push(tag);
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
}

/// The private key in a PEM text: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
/// (`EC PRIVATE KEY`), as PKCS#8. Other blocks (a certificate next to the key, OpenSSL's `EC
/// PARAMETERS`) are skipped; exactly one private key must be there.
pub fn private_key(text: &str) -> Result<PrivateKey, Refusal> {
    let mut found = None;
    let mut public = false;
    for block in blocks(text)? {
        let key = match block.label {
            "PRIVATE KEY" => pkcs8(block.der)?,
            "RSA PRIVATE KEY" => rsa_to_pkcs8(&block.der)?,
            "EC PRIVATE KEY" => sec1_to_pkcs8(&block.der)?,
            "ENCRYPTED PRIVATE KEY" => return Err(ENCRYPTED),
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
                public = true;
                continue;
            }
            _ => continue,
        };
        if found.replace(key).is_some() {
            return Err("holds more than one private key");
        }
    }
    match found {
        Some(key) => Ok(key),
        None if public => Err("holds a public key or a certificate, not a private key"),
        None => Err(MALFORMED),
    }
}

/// The first certificate of a PEM text (the leaf, in a chain), as DER.
pub fn certificate(text: &str) -> Result<Vec<u8>, Refusal> {
    let found = blocks(text)?.into_iter().find(|b| b.label == "CERTIFICATE");
    match found {
        // A certificate is a SEQUENCE filling the block.
        Some(b) if matches!(element(&b.der), Some((SEQUENCE, _, []))) => Ok(b.der),
        Some(_) => Err("is not a well-formed certificate"),
        None => Err("holds no certificate (-----BEGIN CERTIFICATE-----)"),
    }
}

/// A PKCS#8 `PrivateKeyInfo` (RFC 5208 §5; version 1, RFC 5958's `OneAsymmetricKey`, too): its
/// key type, read from the AlgorithmIdentifier and, for RSA, the modulus.
fn pkcs8(der: Vec<u8>) -> Result<PrivateKey, Refusal> {
    let key_type = {
        let (oid, params, private) = (|| {
            let (info, rest) = expect(&der, SEQUENCE)?;
            let (version, info) = expect(info, INTEGER)?;
            let (algorithm, info) = expect(info, SEQUENCE)?;
            let (oid, params) = expect(algorithm, OID)?;
            let (private, _) = expect(info, OCTET_STRING)?;
            (rest.is_empty() && (version == [0] || version == [1])).then_some((oid, params, private))
        })()
        .ok_or(BAD)?;
        if oid == OID_RSA {
            KeyType::Rsa { bits: rsa_bits(private).ok_or(BAD)? }
        } else if oid == OID_EC {
            KeyType::Ec(curve(expect(params, OID).ok_or(BAD)?.0).ok_or(UNSUPPORTED)?)
        } else if oid == OID_ED25519 {
            KeyType::Ed25519
        } else {
            return Err(UNSUPPORTED);
        }
    };
    Ok(PrivateKey { key_type, pkcs8: der })
}

const UNSUPPORTED: Refusal = "is not an RSA, P-256, P-384 or Ed25519 key";

/// The curve of an EC key's named-curve OID (`None`: one no algorithm here uses).
fn curve(oid: &[u8]) -> Option<Curve> {
    match oid {
        OID_P256 => Some(Curve::P256),
        OID_P384 => Some(Curve::P384),
        _ => None,
    }
}

/// The modulus size of a PKCS#1 `RSAPrivateKey` (RFC 8017 Appendix A.1.2), two-prime only.
fn rsa_bits(pkcs1: &[u8]) -> Option<u32> {
    let (key, _) = expect(pkcs1, SEQUENCE)?;
    let (version, key) = expect(key, INTEGER)?;
    if version != [0] {
        return None;
    }
    let (modulus, _) = expect(key, INTEGER)?;
    let significant = match modulus.iter().position(|&b| b != 0) {
        Some(at) => &modulus[at..],
        None => return None,
    };
    Some(significant.len() as u32 * 8 - significant[0].leading_zeros())
}

/// PKCS#1 `RSAPrivateKey` → PKCS#8 with the rsaEncryption AlgorithmIdentifier (NULL parameters).
fn rsa_to_pkcs8(pkcs1: &[u8]) -> Result<PrivateKey, Refusal> {
    let bits = rsa_bits(pkcs1).ok_or(BAD)?;
    let mut algorithm = Vec::with_capacity(13);
    push_element(&mut algorithm, OID, OID_RSA);
    push_element(&mut algorithm, NULL, &[]);
    Ok(PrivateKey { key_type: KeyType::Rsa { bits }, pkcs8: private_key_info(&algorithm, pkcs1) })
}

/// SEC1 `ECPrivateKey` (RFC 5915 §3) → PKCS#8: the curve goes into the AlgorithmIdentifier and
/// leaves the inner key, whose private key and public key stay as they are.
fn sec1_to_pkcs8(sec1: &[u8]) -> Result<PrivateKey, Refusal> {
    let (key, rest) = expect(sec1, SEQUENCE).ok_or(BAD)?;
    let (version, after_version) = expect(key, INTEGER).ok_or(BAD)?;
    let (_, after_private) = expect(after_version, OCTET_STRING).ok_or(BAD)?;
    if version != [1] || !rest.is_empty() {
        return Err(BAD);
    }
    let (params, public) = expect(after_private, CONTEXT_0).ok_or(BAD)?;
    let (oid, _) = expect(params, OID).ok_or(BAD)?;
    let curve = curve(oid).ok_or(UNSUPPORTED)?;
    // The inner key: version and private key, then the public key (`[1]`), without `[0]`.
    let mut inner_contents = Vec::with_capacity(key.len());
    inner_contents.extend_from_slice(&key[..key.len() - after_private.len()]);
    inner_contents.extend_from_slice(public);
    let mut inner = Vec::with_capacity(inner_contents.len() + 4);
    push_element(&mut inner, SEQUENCE, &inner_contents);
    drop(inner_contents);
    let mut algorithm = Vec::with_capacity(21);
    push_element(&mut algorithm, OID, OID_EC);
    push_element(&mut algorithm, OID, oid);
    Ok(PrivateKey { key_type: KeyType::Ec(curve), pkcs8: private_key_info(&algorithm, &inner) })
}

/// `PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, OCTET STRING key }`.
fn private_key_info(algorithm_contents: &[u8], key: &[u8]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(key.len() + algorithm_contents.len() + 12);
    push_element(&mut contents, INTEGER, &[0]);
    push_element(&mut contents, SEQUENCE, algorithm_contents);
    push_element(&mut contents, OCTET_STRING, key);
    let mut out = Vec::with_capacity(contents.len() + 4);
    push_element(&mut out, SEQUENCE, &contents);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    //! The rewraps against `openssl pkcs8 -topk8 -nocrypt` of keys openssl generates at test time.
    use super::*;
    use base64::Engine as _; // the base64 crate: an independent codec for the fixtures
    use proptest::prelude::ProptestConfig;
    use std::process::Command;

    /// Runs openssl with `args`, feeding `input`; its stdout.
    pub fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("openssl is installed (scripts/setup.sh)");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// A fresh key: (traditional PEM, openssl's PKCS#8 PEM of it).
    pub fn generated(kind: &str) -> (String, String) {
        let traditional = match kind {
            "rsa2048" => openssl(&["genrsa", "-traditional", "2048"], b""),
            "rsa1024" => openssl(&["genrsa", "-traditional", "1024"], b""),
            "p256" => openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout"], b""),
            "p384" => openssl(&["ecparam", "-name", "secp384r1", "-genkey", "-noout"], b""),
            "p521" => openssl(&["ecparam", "-name", "secp521r1", "-genkey", "-noout"], b""),
            "ed25519" => openssl(&["genpkey", "-algorithm", "ed25519"], b""),
            _ => unreachable!(),
        };
        let pkcs8 = openssl(&["pkcs8", "-topk8", "-nocrypt"], &traditional);
        (String::from_utf8(traditional).unwrap(), String::from_utf8(pkcs8).unwrap())
    }

    fn der_of(pem: &str) -> Vec<u8> {
        blocks(pem).unwrap().into_iter().next().unwrap().der
    }

    #[test]
    fn pkcs1_and_sec1_rewraps_equal_openssl_topk8() {
        for (kind, key_type) in [
            ("rsa2048", KeyType::Rsa { bits: 2048 }),
            ("p256", KeyType::Ec(Curve::P256)),
            ("p384", KeyType::Ec(Curve::P384)),
        ] {
            let (traditional, pkcs8_pem) = generated(kind);
            assert!(traditional.starts_with(if kind == "rsa2048" { "-----BEGIN RSA" } else { "-----BEGIN EC" }));
            let ours = private_key(&traditional).unwrap();
            assert_eq!(ours.key_type, key_type, "{kind}");
            assert_eq!(ours.pkcs8, der_of(&pkcs8_pem), "{kind}: the rewrap differs from openssl's");
            // openssl's own PKCS#8 passes through unchanged.
            let theirs = private_key(&pkcs8_pem).unwrap();
            assert_eq!((theirs.key_type, &theirs.pkcs8), (key_type, &ours.pkcs8), "{kind}");
        }
    }

    #[test]
    fn ed25519_and_key_sizes() {
        let (pem, _) = generated("ed25519");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(private_key(&pem).unwrap().key_type, KeyType::Ed25519);
        let (rsa1024, _) = generated("rsa1024");
        assert_eq!(private_key(&rsa1024).unwrap().key_type, KeyType::Rsa { bits: 1024 });
        let (p521, p521_pkcs8) = generated("p521");
        assert_eq!(private_key(&p521).unwrap_err(), UNSUPPORTED);
        assert_eq!(private_key(&p521_pkcs8).unwrap_err(), UNSUPPORTED);
    }

    #[test]
    fn escaped_line_breaks_other_blocks_and_crlf() {
        let (pem, pkcs8_pem) = generated("p256");
        let expected = der_of(&pkcs8_pem);
        // As a service-account file's JSON string or an environment variable may carry it.
        let escaped = pem.trim_end().replace('\n', "\\n");
        assert_eq!(private_key(&escaped).unwrap().pkcs8, expected);
        assert_eq!(private_key(&pem.replace('\n', "\r\n")).unwrap().pkcs8, expected);
        let params = openssl(&["ecparam", "-name", "prime256v1"], b"");
        let cert_and_key = [std::str::from_utf8(&params).unwrap(), "Bag Attributes: x\n", &pem].concat();
        assert_eq!(private_key(&cert_and_key).unwrap().pkcs8, expected);
    }

    #[test]
    fn refusals() {
        let (rsa, rsa8) = generated("rsa2048");
        let public = openssl(&["pkey", "-pubout"], rsa8.as_bytes());
        assert_eq!(
            private_key(std::str::from_utf8(&public).unwrap()).unwrap_err(),
            "holds a public key or a certificate, not a private key"
        );
        let encrypted = openssl(&["pkcs8", "-topk8", "-passout", "pass:x"], rsa8.as_bytes());
        assert_eq!(private_key(std::str::from_utf8(&encrypted).unwrap()).unwrap_err(), ENCRYPTED);
        let legacy = openssl(&["rsa", "-traditional", "-aes128", "-passout", "pass:x"], rsa.as_bytes());
        assert!(String::from_utf8_lossy(&legacy).contains("Proc-Type"));
        assert_eq!(private_key(std::str::from_utf8(&legacy).unwrap()).unwrap_err(), ENCRYPTED);
        assert_eq!(private_key(&[rsa.as_str(), &rsa8].concat()).unwrap_err(), "holds more than one private key");
        for bad in [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nMAA=",
        ] {
            assert!(private_key(bad).is_err(), "{bad:?}");
        }
        // Truncated DER: every prefix of a real key is refused, never a panic.
        let der = der_of(&rsa8);
        for n in [0, 1, 2, 10, der.len() / 2, der.len() - 1] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&der[..n]);
            let pem = ["-----BEGIN PRIVATE KEY-----\n", &b64, "\n-----END PRIVATE KEY-----\n"].concat();
            assert!(private_key(&pem).is_err(), "{n}");
        }
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

        /// A body decodes exactly as the base64 crate's STANDARD engine decodes it (padding
        /// required, non-canonical last symbols refused), once line breaks are dropped.
        #[test]
        fn body_decodes_as_the_base64_crate(body in "[A-Za-z0-9+/\n]{0,24}[A-Za-z0-9+/=\n]{0,4}") {
            let expected = base64::engine::general_purpose::STANDARD.decode(body.replace('\n', "")).ok();
            proptest::prop_assert_eq!(base64_body(&body).ok(), expected);
        }
    }

    #[test]
    fn certificates() {
        let (_, key) = generated("p256");
        let dir = std::env::temp_dir().join(["otc-pem-", &std::process::id().to_string()].concat());
        std::fs::create_dir_all(&dir).unwrap();
        let key_path = dir.join("key.pem");
        std::fs::write(&key_path, &key).unwrap();
        let cert = openssl(
            &["req", "-new", "-x509", "-key", key_path.to_str().unwrap(), "-subj", "/CN=otc", "-days", "1"],
            b"",
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let cert = String::from_utf8(cert).unwrap();
        let der = openssl(&["x509", "-outform", "DER"], cert.as_bytes());
        assert_eq!(certificate(&cert).unwrap(), der);
        // A certificate and its key in one file: each setting takes its block.
        let both = [key.as_str(), &cert].concat();
        assert_eq!(certificate(&both).unwrap(), der);
        assert_eq!(private_key(&both).unwrap().key_type, KeyType::Ec(Curve::P256));
        assert_eq!(private_key(&cert).unwrap_err(), "holds a public key or a certificate, not a private key");
        assert!(certificate(&key).is_err());
    }
}

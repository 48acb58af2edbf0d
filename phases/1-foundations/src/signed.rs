//! Signed cookies: a value the server can trust because only the server could have
//! written it.
//!
//! A cookie is stored by the browser and sent back with every request to our site; its
//! holder can read it and change it. So a cookie that said `name=Ana` would prove nothing.
//! We send `<payload>.<mac>` instead, where `mac` is HMAC-SHA256 (RFC 2104) of the payload
//! under a key only the server knows. Changing one byte of the payload without the key
//! gives a MAC the server refuses; that is all a session needs — the payload is not
//! secret (it says who you are to *you*), it is unforgeable.
//!
//! Three details matter:
//!
//! * **Constant-time comparison.** Comparing the MAC byte by byte and stopping at the
//!   first difference tells an attacker, by timing, how many leading bytes they guessed
//!   right. `hmac`'s `verify_slice` compares every byte whatever happens.
//! * **The key** is 32 random bytes from the operating system. Whoever has it can sign
//!   any session, so the file holding it is created with mode `0600`; changing it
//!   signs everyone out, unless the old key is kept as a *previous* key that still
//!   verifies (phase 4's sessions do that for a rotation).
//! * **The cookie's attributes** (RFC 6265 §4.1.2): `HttpOnly` (page scripts cannot read
//!   it, so an injected script cannot steal it), `SameSite=Lax` (a cross-site page's
//!   `fetch` or form `POST` does not carry it), `Path=/`, `Max-Age`. A deployment behind
//!   TLS adds `Secure` (`--session-cookie-secure`), so the cookie never travels in clear.

use std::{fmt::Write as _, io, path::Path};

use hmac::{Hmac, Mac};
use http::{header, HeaderMap, HeaderValue};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes in a key made by [`SigningKey::random`] (the size of SHA-256's output).
pub const KEY_BYTES: usize = 32;

/// The server's secret for signing values. Cheap to clone.
#[derive(Clone)]
pub struct SigningKey(std::sync::Arc<[u8]>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, not even in a debug log.
        f.write_str("SigningKey(..)")
    }
}

/// A number for a draft key file's name, unique within this process.
fn draft_number() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn random() -> io::Result<Self> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Self(bytes.to_vec().into()))
    }

    /// A key of these bytes (at least [`KEY_BYTES`]: a short key is guessable).
    pub fn from_bytes(bytes: &[u8]) -> io::Result<Self> {
        if bytes.len() < KEY_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a signing key needs at least {KEY_BYTES} bytes, this one has {}",
                    bytes.len()
                ),
            ));
        }
        Ok(Self(bytes.to_vec().into()))
    }

    /// The key in `path`, which must exist (a previous key kept for a rotation: never
    /// created).
    pub fn load(path: &Path) -> io::Result<Self> {
        Self::from_bytes(&std::fs::read(path)?)
    }

    // ANCHOR: load_or_create
    /// The key in `path`, or a new random key written there first (mode `0600`: only the
    /// server's user may read it).
    ///
    /// Several servers sharing one key file (phase 7's instances) may start at the same
    /// moment, all finding no file. Each writes its key to a file of its own beside
    /// `path`, then links it to `path`: the link appears whole or not at all, and only the
    /// first succeeds. The others read the winner's key — never a half-written one.
    pub fn load_or_create(path: &Path) -> io::Result<Self> {
        match Self::load(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let key = Self::random()?;
                let mut draft = path.as_os_str().to_owned();
                draft.push(format!(".{}-{}.new", std::process::id(), draft_number()));
                let draft = std::path::PathBuf::from(draft);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let written = options.open(&draft).and_then(|mut file| {
                    io::Write::write_all(&mut file, &key.0)?;
                    file.sync_all()
                });
                let linked = written.and_then(|()| std::fs::hard_link(&draft, path));
                let _ = std::fs::remove_file(&draft);
                match linked {
                    Ok(()) => Ok(key),
                    // Another server linked its key first: that one is the key.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load(path),
                    Err(e) => Err(e),
                }
            }
            loaded => loaded,
        }
    }
    // ANCHOR_END: load_or_create

    // ANCHOR: sign_verify
    /// `payload.mac`: the payload (which must not contain `.`, `;`, `,`, spaces or quotes:
    /// it goes into a cookie) and its HMAC-SHA256 in hex.
    pub fn sign(&self, payload: &str) -> String {
        format!(
            "{payload}.{}",
            hex(&self.mac(payload).finalize().into_bytes())
        )
    }

    /// The payload of `token` if its MAC is right, compared in constant time.
    pub fn verify<'a>(&self, token: &'a str) -> Option<&'a str> {
        // EXERCISE(ch1-signed-cookie): check a signed value's MAC in constant time
        let (payload, mac_hex) = token.rsplit_once('.')?;
        let mac = unhex(mac_hex)?;
        self.mac(payload).verify_slice(&mac).ok()?;
        Some(payload)
        // EXERCISE_END(ch1-signed-cookie)
    }
    // ANCHOR_END: sign_verify

    fn mac(&self, payload: &str) -> HmacSha256 {
        // HMAC takes a key of any length (RFC 2104 §2): this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        mac.update(payload.as_bytes());
        mac
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The bytes of an even-length hex string, or `None`.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

// ANCHOR: read_cookie
/// The value of the cookie `name` in the request's `Cookie` headers (RFC 6265 §5.4:
/// `name=value` pairs separated by `; `), if there is exactly one.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, value)| value);
    let first = found.next()?;
    // Two cookies of one name (another path, another subdomain): refuse to guess.
    found.next().is_none().then_some(first)
}
// ANCHOR_END: read_cookie

/// How a session cookie is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieOptions {
    /// Lifetime in seconds.
    pub max_age_secs: u64,
    /// Adds `Secure`: the browser sends the cookie over HTTPS only.
    pub secure: bool,
}

// ANCHOR: set_cookie
/// A `Set-Cookie` header value for `name=value` with the session attributes: `HttpOnly;
/// SameSite=Lax; Path=/; Max-Age` (and `Secure` if asked).
pub fn set_cookie(name: &str, value: &str, options: CookieOptions) -> Option<HeaderValue> {
    let secure = if options.secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        options.max_age_secs
    ))
    .ok()
}
// ANCHOR_END: set_cookie

/// A `Set-Cookie` header value that deletes the cookie `name` (`Max-Age=0`).
pub fn clear_cookie(name: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{name}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; KEY_BYTES]).unwrap()
    }

    #[test]
    fn a_signed_value_verifies_and_any_change_to_it_does_not() {
        let token = key().sign("abc");
        assert_eq!(key().verify(&token), Some("abc"));
        assert_eq!(key().verify(&token.replacen("abc", "abd", 1)), None);
        let other = SigningKey::from_bytes(&[8u8; KEY_BYTES]).unwrap();
        assert_eq!(other.verify(&token), None, "another key's signature");
        assert_eq!(key().verify("abc"), None, "no mac");
        assert_eq!(key().verify("abc.zz"), None, "mac not hex");
        assert_eq!(
            key().verify(&token[..token.len() - 2]),
            None,
            "mac cut short"
        );
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(SigningKey::from_bytes(&[1u8; 8]).is_err());
    }

    #[test]
    fn a_key_file_is_created_once_with_mode_0600_and_read_back() {
        let dir = std::env::temp_dir().join(format!("lb-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("session.key");
        let _ = std::fs::remove_file(&path);
        let first = SigningKey::load_or_create(&path).unwrap();
        let again = SigningKey::load_or_create(&path).unwrap();
        assert_eq!(again.verify(&first.sign("x")), Some("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn servers_creating_one_key_file_at_once_all_end_up_with_the_same_key() {
        let dir = std::env::temp_dir().join(format!("lb-key-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for round in 0..20 {
            let path = dir.join(format!("session-{round}.key"));
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let keys: Vec<SigningKey> = (0..4)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        SigningKey::load_or_create(&path).unwrap()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            let token = keys[0].sign("x");
            for key in &keys {
                assert_eq!(
                    key.verify(&token),
                    Some("x"),
                    "round {round}: one key for all"
                );
            }
        }
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".new"))
            .collect();
        assert!(left.is_empty(), "no draft file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_cookie_is_found_among_others_and_a_duplicate_is_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; lb=tok; b=2"));
        assert_eq!(read_cookie(&h, "lb"), Some("tok"));
        assert_eq!(read_cookie(&h, "c"), None);
        h.append(header::COOKIE, HeaderValue::from_static("lb=other"));
        assert_eq!(read_cookie(&h, "lb"), None);
    }

    #[test]
    fn the_session_cookie_is_http_only_and_same_site_lax() {
        let opts = CookieOptions {
            max_age_secs: 60,
            secure: false,
        };
        let v = set_cookie("lb", "v", opts).unwrap();
        assert_eq!(v, "lb=v; HttpOnly; SameSite=Lax; Path=/; Max-Age=60");
        let v = set_cookie(
            "lb",
            "v",
            CookieOptions {
                secure: true,
                ..opts
            },
        )
        .unwrap();
        assert!(v.to_str().unwrap().ends_with("; Secure"));
        assert_eq!(hex(&[0, 255]), "00ff");
        assert_eq!(unhex("00ff"), Some(vec![0, 255]));
    }
}

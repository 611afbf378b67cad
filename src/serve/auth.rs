//! Who is asking: password checks (argon2), signed session cookies, CSRF
//! tokens, the API token, and the public form's rate limit.
//!
//! A session cookie is `expiry.signature.name`, signed with a keyed BLAKE3
//! hash under the server's key, HttpOnly and SameSite=Strict. CSRF tokens
//! are signed double-submit: a random cookie, and in each form its keyed
//! hash, which a page on another site can neither read nor make. The key
//! comes from `EARSHOT_SESSION_KEY` (so several instances and restarts
//! accept the same sessions), else it is drawn at start. Secrets are never
//! logged: nothing here implements `Debug` over them.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::config::{Role, ServeConfig};

pub const SESSION_COOKIE: &str = "earshot_session";
pub const CSRF_COOKIE: &str = "earshot_csrf";
/// How long a login lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

/// Hashes a password for `[[serve.users]]` (argon2id, a random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&random::<16>()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the system's random source");
    b
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The server's secrets.
pub struct Keys {
    key: [u8; 32],
    /// BLAKE3 of `EARSHOT_API_TOKEN`, compared in constant time.
    api_token: Option<blake3::Hash>,
}

impl Keys {
    /// From the environment's `EARSHOT_SESSION_KEY` (any string of 32
    /// characters or more) and `EARSHOT_API_TOKEN`.
    pub fn new(session_key: Option<&str>, api_token: Option<&str>) -> Keys {
        let key = match session_key {
            Some(k) => blake3::derive_key("earshot serve session key", k.as_bytes()),
            None => random(),
        };
        Keys {
            key,
            api_token: api_token
                .filter(|t| !t.is_empty())
                .map(|t| blake3::hash(t.as_bytes())),
        }
    }

    fn sign(&self, what: &str) -> String {
        blake3::keyed_hash(&self.key, what.as_bytes()).to_hex()[..32].to_string()
    }

    /// A session cookie value for `name`, valid until `now + SESSION_TTL`.
    pub fn session(&self, name: &str, now_unix: i64) -> String {
        let expiry = now_unix + SESSION_TTL.as_secs() as i64;
        let body = format!("{expiry}.{name}");
        format!("{expiry}.{}.{name}", self.sign(&body))
    }

    /// The user a session cookie names, if its signature holds and it has
    /// not expired.
    pub fn session_user<'a>(&self, cookie: &'a str, now_unix: i64) -> Option<&'a str> {
        let mut parts = cookie.splitn(3, '.');
        let (expiry, sig, name) = (parts.next()?, parts.next()?, parts.next()?);
        let e: i64 = expiry.parse().ok()?;
        let expected = self.sign(&format!("{expiry}.{name}"));
        (constant_eq(sig, &expected) && e > now_unix).then_some(name)
    }

    /// The token a form must carry for the CSRF cookie `cookie`.
    pub fn csrf_token(&self, cookie: &str) -> String {
        self.sign(&format!("csrf.{cookie}"))
    }

    pub fn csrf_ok(&self, cookie: Option<&str>, token: Option<&str>) -> bool {
        match (cookie, token) {
            (Some(c), Some(t)) if !c.is_empty() => constant_eq(t, &self.csrf_token(c)),
            _ => false,
        }
    }

    pub fn api_token_ok(&self, presented: &str) -> bool {
        // blake3::Hash compares in constant time.
        self.api_token
            .is_some_and(|t| t == blake3::hash(presented.as_bytes()))
    }
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks a login against the configured users. Always runs argon2, even
/// for an unknown name, so that timing does not tell which names exist.
pub fn login(cfg: &ServeConfig, name: &str, password: &str) -> Option<Actor> {
    // A hash of a random password nobody knows, made once.
    static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        hash_password(&hex(&random::<16>())).expect("hashing a random password")
    });
    let user = cfg.user(name.trim());
    let ok = verify_password(
        user.map_or(DECOY.as_str(), |u| u.password_hash.as_str()),
        password,
    );
    user.filter(|_| ok).map(|u| Actor {
        name: u.name.clone(),
        role: u.role,
    })
}

/// Submissions per client address in a sliding hour.
pub struct RateLimit {
    per_hour: u32,
    seen: HashMap<IpAddr, VecDeque<Instant>>,
}

/// Addresses remembered at most; past this the map is cleared of idle ones.
const MAX_CLIENTS: usize = 100_000;

impl RateLimit {
    pub fn new(per_hour: u32) -> RateLimit {
        RateLimit {
            per_hour,
            seen: HashMap::new(),
        }
    }

    /// Takes one submission for `ip` at `now`, or refuses it with the wait
    /// until the next would be taken.
    pub fn take(&mut self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        const HOUR: Duration = Duration::from_secs(3600);
        if self.seen.len() >= MAX_CLIENTS {
            self.seen
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < HOUR));
        }
        let q = self.seen.entry(ip).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= HOUR) {
            q.pop_front();
        }
        if q.len() as u32 >= self.per_hour {
            let oldest = *q.front().expect("full");
            return Err(HOUR.saturating_sub(now.duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "correct horsE"));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn sessions_are_signed_and_expire() {
        let keys = Keys::new(Some("a key of at least thirty-two characters"), None);
        let c = keys.session("pat", 1_000);
        assert_eq!(keys.session_user(&c, 1_001), Some("pat"));
        let forged = c.replace(".pat", ".admin");
        assert_eq!(keys.session_user(&forged, 1_001), None);
        let late = 1_000 + SESSION_TTL.as_secs() as i64;
        assert_eq!(keys.session_user(&c, late), None);
        // Another key (another deployment) does not accept it.
        let other = Keys::new(Some("another key of at least thirty-two chars"), None);
        assert_eq!(other.session_user(&c, 1_001), None);
    }

    #[test]
    fn csrf_tokens_belong_to_their_cookie() {
        let keys = Keys::new(None, None);
        let t = keys.csrf_token("cookie-a");
        assert!(keys.csrf_ok(Some("cookie-a"), Some(&t)));
        assert!(!keys.csrf_ok(Some("cookie-b"), Some(&t)));
        assert!(!keys.csrf_ok(None, Some(&t)));
        assert!(!keys.csrf_ok(Some("cookie-a"), None));
    }

    #[test]
    fn the_rate_limit_refuses_past_its_count_until_the_hour_has_passed() {
        let mut r = RateLimit::new(2);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let t0 = Instant::now();
        assert!(r.take(ip, t0).is_ok());
        assert!(r.take(ip, t0 + Duration::from_secs(1)).is_ok());
        let wait = r.take(ip, t0 + Duration::from_secs(2)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(3598));
        assert!(r.take("192.0.2.8".parse().unwrap(), t0).is_ok());
        assert!(r.take(ip, t0 + Duration::from_secs(3600)).is_ok());
    }
}

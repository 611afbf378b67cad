//! Our own redirect policy, decided hop by hop.
//!
//! reqwest's built-in policy follows up to ten hops anywhere. Ours follows at
//! most [`MAX_HOPS`], stops at the first loop, refuses `https` to `http`
//! unless allowed, and lets the client put every hop through the SSRF guard
//! before it is requested. A redirect that is refused is a permanent error
//! with the chain in it: retrying a loop only repeats it. When every hop was
//! permanent (301, 308), the final URL is where the document now lives, and
//! the next poll asks there (as Miniflux does).

use url::Url;

/// Hops followed before giving up.
pub const MAX_HOPS: usize = 5;

/// The redirects a request went through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hops {
    /// Every URL requested, the first one included.
    pub chain: Vec<Url>,
    /// Whether every hop was a permanent redirect.
    pub permanent: bool,
}

impl Hops {
    pub fn start(url: &Url) -> Hops {
        Hops {
            chain: vec![url.clone()],
            permanent: true,
        }
    }

    /// Where the document moved for good, if it did.
    pub fn moved_to(&self) -> Option<&Url> {
        (self.chain.len() > 1 && self.permanent)
            .then(|| self.chain.last())
            .flatten()
    }

    pub fn describe(&self) -> Vec<String> {
        self.chain.iter().map(Url::to_string).collect()
    }
}

/// Whether a status is a redirect to follow.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Decides the next hop of a redirect answered with `status` and
/// `location`, recording it in `hops`. `Err` says why it is not followed.
pub fn follow(
    hops: &mut Hops,
    status: u16,
    location: Option<&str>,
    allow_downgrade: bool,
) -> Result<Url, String> {
    let current = hops.chain.last().expect("a chain starts with its URL");
    let location = location.ok_or_else(|| format!("HTTP {status} without a Location header"))?;
    let next = current
        .join(location.trim())
        .map_err(|e| format!("HTTP {status} to an unreadable Location `{location}`: {e}"))?;
    if hops.chain.len() > MAX_HOPS {
        return Err(format!("more than {MAX_HOPS} redirects"));
    }
    if hops.chain.contains(&next) {
        hops.chain.push(next.clone());
        return Err(format!("redirect loop back to {next}"));
    }
    if current.scheme() == "https" && next.scheme() == "http" && !allow_downgrade {
        hops.chain.push(next.clone());
        return Err(
            "redirect from https to http refused (http.allow_insecure_redirects)".to_string(),
        );
    }
    hops.permanent &= matches!(status, 301 | 308);
    hops.chain.push(next.clone());
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn relative_locations_are_resolved_and_permanence_tracked() {
        let mut h = Hops::start(&url("https://a.example/feed"));
        let next = follow(&mut h, 301, Some("/new/feed"), false).unwrap();
        assert_eq!(next, url("https://a.example/new/feed"));
        assert_eq!(h.moved_to(), Some(&next));
        follow(&mut h, 302, Some("https://b.example/x"), false).unwrap();
        assert_eq!(
            h.moved_to(),
            None,
            "a temporary hop: keep polling the old URL"
        );
    }

    #[test]
    fn at_most_five_hops_are_followed() {
        let mut h = Hops::start(&url("http://a.example/0"));
        for i in 1..=MAX_HOPS {
            follow(&mut h, 302, Some(&format!("/{i}")), false).unwrap();
        }
        let e = follow(&mut h, 302, Some("/6"), false).unwrap_err();
        assert_eq!(e, "more than 5 redirects");
        assert_eq!(h.chain.len(), MAX_HOPS + 1);
    }

    #[test]
    fn a_loop_is_caught_at_once() {
        let mut h = Hops::start(&url("http://a.example/a"));
        follow(&mut h, 302, Some("/b"), false).unwrap();
        let e = follow(&mut h, 302, Some("/a"), false).unwrap_err();
        assert!(e.contains("loop back to http://a.example/a"), "{e}");
        assert_eq!(
            h.describe(),
            [
                "http://a.example/a",
                "http://a.example/b",
                "http://a.example/a"
            ]
        );
    }

    #[test]
    fn https_to_http_only_when_allowed() {
        let mut h = Hops::start(&url("https://a.example/"));
        assert!(follow(&mut h, 301, Some("http://a.example/"), false)
            .unwrap_err()
            .contains("allow_insecure_redirects"));
        let mut h = Hops::start(&url("https://a.example/"));
        assert!(follow(&mut h, 301, Some("http://a.example/"), true).is_ok());
    }

    #[test]
    fn a_redirect_without_location_is_an_error() {
        let mut h = Hops::start(&url("http://a.example/"));
        assert!(follow(&mut h, 302, None, false)
            .unwrap_err()
            .contains("without a Location"));
        assert!(is_redirect(308) && !is_redirect(304) && !is_redirect(300));
    }
}

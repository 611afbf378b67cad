//! Comparing where an item lives: hosts for `site:`, URL prefixes for
//! `url:` and language tags for `lang:`.
//!
//! Owns the normalization both the query value and the item's metadata go
//! through, so they are compared like for like. It does not fetch, resolve
//! or validate URLs beyond what the comparison needs.

/// The comparable form of a URL: scheme, user info and a leading `www.`
/// dropped, host lowercased; path, query and fragment kept as written
/// (paths are case-sensitive on most servers).
pub(crate) fn url_key(url: &str) -> String {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(i)
            if url[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
        {
            &url[i + 3..]
        }
        _ => url,
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let mut key = clean_host(host);
    key.push_str(path);
    key
}

fn clean_host(host: &str) -> String {
    let host = host.to_lowercase();
    let host = host.trim_end_matches('.');
    host.strip_prefix("www.").unwrap_or(host).to_string()
}

/// The host part of a [`url_key`], without a port.
pub(crate) fn key_host(key: &str) -> &str {
    let end = key.find(['/', '?', '#']).unwrap_or(key.len());
    let host = &key[..end];
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Validates a `site:` value; `Err` says what was found instead of a host.
pub(crate) fn site_host(value: &str) -> Result<String, String> {
    let key = url_key(value);
    let key = key.strip_prefix("*.").unwrap_or(&key);
    let key = key.strip_suffix('/').unwrap_or(key);
    if key.contains(['/', '?', '#']) {
        return Err(format!("a path in '{value}' (use url: for a URL prefix)"));
    }
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(format!("'{value}'"));
    }
    Ok(key_host(key).to_string())
}

/// `site` is the host itself or a parent domain of it.
pub(crate) fn host_matches(host: &str, site: &str) -> bool {
    host == site
        || (host.len() > site.len()
            && host.ends_with(site)
            && host[..host.len() - site.len()].ends_with('.'))
}

/// The host and each parent domain: `a.b.com`, `b.com`, `com`.
pub(crate) fn host_suffixes(host: &str) -> impl Iterator<Item = &str> {
    std::iter::once(host).chain(host.match_indices('.').map(move |(i, _)| &host[i + 1..]))
}

/// A URL prefix that ends at the host must end the host too, so
/// `url:example.com` does not match `example.com.au`.
pub(crate) fn url_matches(doc_key: &str, prefix_key: &str) -> bool {
    if !doc_key.starts_with(prefix_key) {
        return false;
    }
    if prefix_key.contains(['/', '?', '#']) {
        return true;
    }
    matches!(
        doc_key[prefix_key.len()..].chars().next(),
        None | Some('/' | '?' | '#' | ':')
    )
}

/// Lowercased, `_` read as `-`; `Err` names the offending value.
pub(crate) fn lang_tag(value: &str) -> Result<String, String> {
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!("'{value}'"));
    }
    Ok(value.to_ascii_lowercase().replace('_', "-"))
}

/// The primary subtag: `en` for `en-gb`.
pub(crate) fn lang_primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// `en` matches `en` and `en-GB`; `en-gb` matches `en-GB` but not `en`.
pub(crate) fn lang_matches(doc_tag: &str, query_tag: &str) -> bool {
    doc_tag == query_tag
        || doc_tag
            .strip_prefix(query_tag)
            .is_some_and(|r| r.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_keys_ignore_scheme_www_user_and_host_case() {
        assert_eq!(
            url_key("HTTPS://user@WWW.Example.COM/Blog/Post?x=1"),
            "example.com/Blog/Post?x=1"
        );
        assert_eq!(url_key("example.com/blog"), "example.com/blog");
        assert_eq!(key_host("example.com:8080/x"), "example.com");
    }

    #[test]
    fn sites_match_the_host_and_its_subdomains_only() {
        let site = site_host("www.Example.com").unwrap();
        assert_eq!(site, "example.com");
        assert!(host_matches("example.com", &site));
        assert!(host_matches("blog.example.com", &site));
        assert!(!host_matches("badexample.com", &site));
        assert!(!host_matches("example.com.au", &site));
        assert!(site_host("https://example.com/").is_ok());
        assert!(site_host("example.com/blog").is_err());
        let suffixes: Vec<_> = host_suffixes("a.b.com").collect();
        assert_eq!(suffixes, ["a.b.com", "b.com", "com"]);
    }

    #[test]
    fn url_prefixes_respect_the_host_boundary() {
        let p = url_key("https://example.com/blog");
        assert!(url_matches(
            &url_key("http://www.example.com/blog/post-1"),
            &p
        ));
        assert!(!url_matches(&url_key("https://example.com/Blog"), &p));
        let host_only = url_key("example.com");
        assert!(url_matches(&url_key("https://example.com"), &host_only));
        assert!(url_matches(&url_key("https://example.com/x"), &host_only));
        assert!(!url_matches(
            &url_key("https://example.com.au/x"),
            &host_only
        ));
    }

    #[test]
    fn language_tags_match_on_subtag_boundaries() {
        let en = lang_tag("EN").unwrap();
        assert!(lang_matches(&lang_tag("en_GB").unwrap(), &en));
        assert!(lang_matches("en", &en));
        assert!(!lang_matches("eng", &en));
        assert!(!lang_matches("en", "en-gb"));
        assert_eq!(lang_primary("en-gb"), "en");
        assert!(lang_tag("en gb").is_err());
    }
}

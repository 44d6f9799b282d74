//! Build tags: the Engine's reference grammar, checked before anything is sent.

use crate::error::{Error, Result};

/// Checks a build tag against the Engine's reference grammar (distribution
/// `reference.ParseNormalizedNamed`): `[domain[:port]/]path[:tag]`, path components
/// lowercase alphanumerics joined by `.`, `_`, `__` or dashes, tag `[\w][\w.-]{0,127}`,
/// name at most 255 characters, no digest.
///
/// ```
/// use berth_core::api::build::validate_tag;
/// assert!(validate_tag("localhost:5000/team/app_x:v1.2-rc").is_ok());
/// assert!(validate_tag("Uppercase/app").is_ok()); // an uppercase first part is a domain
/// assert!(validate_tag("team/App").is_err());
/// assert!(validate_tag("app:-bad").is_err());
/// ```
pub fn validate_tag(tag: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::InvalidArgument(format!(
            "invalid tag {tag:?}: {why} (expected [registry[:port]/]name[:tag], lowercase name)"
        )))
    };
    if tag.is_empty() {
        return bad("it is empty");
    }
    if tag.contains('@') {
        return bad("a build tag cannot contain a digest");
    }
    let (name, t) = match tag.rfind(':') {
        Some(i) if !tag[i..].contains('/') => (&tag[..i], Some(&tag[i + 1..])),
        _ => (tag, None),
    };
    if let Some(t) = t {
        let mut chars = t.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok
            || t.len() > 128
            || !chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return bad("the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
        }
    }
    if name.len() > 255 {
        return bad("the repository name is longer than 255 characters");
    }
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    };
    if let Some(d) = domain
        && !valid_domain(d)
    {
        return bad("the registry part is not a valid host[:port]");
    }
    if path.to_lowercase() != path {
        return bad("repository names must be lowercase");
    }
    if path.is_empty() || !path.split('/').all(valid_path_component) {
        return bad("the repository name has an invalid component");
    }
    Ok(())
}

fn valid_domain(d: &str) -> bool {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty()
            || !v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match after {
            "" => return true,
            p => match p.strip_prefix(':') {
                Some(port) => ("ipv6", Some(port)),
                None => return false,
            },
        }
    } else {
        match d.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (d, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
        })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

//! Image references and the image/registry allowlist.
//!
//! References are normalised like the docker CLI (`busybox` →
//! `docker.io/library/busybox:latest`, `index.docker.io` → `docker.io`). A reference
//! that is (or may be taken by the daemon as) an image ID — hex digits, optionally after
//! `sha256:` — names no repository, so only a grant allowing every image (`*`) admits it.

use super::grant::glob;

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    /// `docker.io/library/busybox`, `127.0.0.1:5000/busybox`.
    pub name: String,
    /// The tag, if given.
    pub tag: Option<String>,
    /// The digest (`sha256:…`), if given.
    pub digest: Option<String>,
    /// The daemon may resolve this as an image ID rather than a name.
    pub id_like: bool,
}

fn is_component(c: &str) -> bool {
    // [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        match ch {
            b'.' => {
                if !b[i + 1].is_ascii_alphanumeric() {
                    return false;
                }
                i += 1;
            }
            b'_' => {
                if b[i + 1] == b'_' {
                    i += 1;
                }
                if !b[i + 1].is_ascii_alphanumeric() {
                    return false;
                }
                i += 1;
            }
            b'-' => {
                while b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
    true
}

fn is_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || d.starts_with('[') => (h, Some(p)),
        _ => (d, None),
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if host.starts_with('[') {
        return host.ends_with(']')
            && host[1..host.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':');
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

fn is_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some((algo, hex)) => {
            !algo.is_empty()
                && algo
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b))
                && hex.len() >= 32
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }
        None => false,
    }
}

/// Splits `name[:tag]` (tag only after the last `/`).
fn split_tag(s: &str) -> (&str, Option<&str>) {
    let slash = s.rfind('/').map_or(0, |i| i + 1);
    match s[slash..].rfind(':') {
        Some(i) => (&s[..slash + i], Some(&s[slash + i + 1..])),
        None => (s, None),
    }
}

/// Splits a name into (domain, path) with docker's defaults.
fn normalize_name(name: &str) -> (String, String) {
    let (first, rest) = match name.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (name, None),
    };
    match rest {
        Some(r) if first.contains('.') || first.contains(':') || first == "localhost" => {
            let mut domain = first.to_ascii_lowercase();
            if domain == "index.docker.io" {
                domain = "docker.io".to_owned();
            }
            let path = if domain == "docker.io" && !r.contains('/') {
                format!("library/{r}")
            } else {
                r.to_owned()
            };
            (domain, path)
        }
        Some(_) => ("docker.io".to_owned(), name.to_owned()),
        None => ("docker.io".to_owned(), format!("library/{name}")),
    }
}

impl ImageRef {
    /// Parses a reference (`busybox`, `busybox:1`, `reg:5000/a/b@sha256:…`).
    pub fn parse(text: &str) -> Result<ImageRef, String> {
        let bad = |why: &str| format!("invalid image reference {text:?}: {why}");
        if text.is_empty() || text.len() > 4096 {
            return Err(bad("empty or too long"));
        }
        let hex_part = text.strip_prefix("sha256:").unwrap_or(text);
        let id_like = !hex_part.is_empty()
            && hex_part.len() <= 64
            && hex_part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => {
                if !is_digest(d) {
                    return Err(bad("bad digest"));
                }
                (r, Some(d.to_owned()))
            }
            None => (text, None),
        };
        let (name, tag) = split_tag(rest);
        if let Some(t) = tag
            && !is_tag(t)
        {
            return Err(bad("bad tag"));
        }
        let (domain, path) = normalize_name(name);
        if !is_domain(&domain) {
            return Err(bad("bad registry host"));
        }
        if path.split('/').any(|c| !is_component(c)) {
            return Err(bad(
                "repository names are lowercase letters, digits and . _ -",
            ));
        }
        Ok(ImageRef {
            name: format!("{domain}/{path}"),
            tag: tag.map(str::to_owned),
            digest,
            id_like: id_like && !text.contains('@'),
        })
    }

    /// Applies a separate `tag` query value the way the daemon does (a digest replaces
    /// the reference's tag and digest, a tag replaces the tag).
    pub fn with_tag_param(mut self, tag: &str) -> Result<ImageRef, String> {
        if tag.is_empty() {
            return Ok(self);
        }
        if is_digest(tag) {
            self.tag = None;
            self.digest = Some(tag.to_owned());
        } else if is_tag(tag) {
            self.tag = Some(tag.to_owned());
        } else {
            return Err(format!("invalid tag {tag:?}"));
        }
        self.id_like = false;
        Ok(self)
    }
}

/// One entry of the image allowlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImagePattern {
    any: bool,
    name: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImagePattern {
    /// Parses `busybox`, `busybox:1.36`, `127.0.0.1:5000/*`, `*`.
    pub fn parse(text: &str) -> Result<ImagePattern, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "invalid image pattern {text:?}: use names like \"busybox\", \"busybox:1.36\" or \"127.0.0.1:5000/*\""
            )
        };
        if t == "*" {
            return Ok(ImagePattern {
                any: true,
                name: String::new(),
                tag: None,
                digest: None,
            });
        }
        if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (rest, digest) = match t.split_once('@') {
            Some((r, d)) if is_digest(d) => (r, Some(d.to_owned())),
            Some(_) => return Err(bad()),
            None => (t, None),
        };
        let (name, tag) = split_tag(rest);
        if name.is_empty() || tag.is_some_and(str::is_empty) {
            return Err(bad());
        }
        if !name.contains('*') {
            // Validate it as a reference so typos fail early.
            ImageRef::parse(name).map_err(|_| bad())?;
        }
        let (domain, path) = normalize_name(name);
        Ok(ImagePattern {
            any: false,
            name: format!("{domain}/{path}"),
            tag: tag.map(str::to_owned),
            digest,
        })
    }

    /// `*`: every image, image IDs included.
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// Whether the reference matches.
    pub fn matches(&self, r: &ImageRef) -> bool {
        if self.any {
            return true;
        }
        if r.id_like || !glob(&self.name, &r.name) {
            return false;
        }
        if let Some(d) = &self.digest {
            return r.digest.as_deref() == Some(d.as_str());
        }
        match &self.tag {
            None => true,
            Some(t) => r.digest.is_none() && glob(t, r.tag.as_deref().unwrap_or("latest")),
        }
    }
}

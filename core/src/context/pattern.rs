//! One `.dockerignore` pattern: moby `patternmatcher`'s compile step (pattern →
//! exact, prefix, suffix or regexp match) done as tokens and a small memoised matcher,
//! with Go's `filepath.Match` syntax check.

use super::dockerignore::clean;
use crate::error::{Error, Result};

/// One line of a `.dockerignore` file, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub(super) cleaned: String,
    pub(super) exclusion: bool,
    kind: MatchKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum MatchKind {
    /// The path equals the pattern.
    Exact,
    /// `dir/**`: the path starts with the pattern minus `**`.
    Prefix,
    /// `**/name`: the path ends with the pattern minus `**` (or equals it minus `**/`).
    Suffix,
    /// Anything else: a small backtracking matcher over tokens.
    Tokens(Vec<Token>),
}

/// The pieces of moby's pattern → regexp translation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A literal character.
    Lit(char),
    /// `?` → `[^/]`.
    One,
    /// `*` → `[^/]*`.
    Star,
    /// `**/` inside a pattern → `(.*/)?`.
    AnyDirs,
    /// `**` at the end after other wildcards → `.*`.
    Any,
    /// `[...]` → a regexp class (note: a negated class also matches `/`, as in moby).
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Pattern {
    /// Compiles one pattern as moby's `patternmatcher.New` does (trimmed, cleaned,
    /// `!` prefix for an exception). Empty patterns yield `None`.
    pub fn new(raw: &str) -> Result<Option<Pattern>> {
        let p = raw.trim();
        if p.is_empty() {
            return Ok(None);
        }
        let p = clean(p);
        let (exclusion, body) = match p.strip_prefix('!') {
            Some("") => {
                return Err(Error::InvalidArgument(
                    "invalid .dockerignore: illegal exclusion pattern \"!\"".into(),
                ));
            }
            Some(rest) => (true, rest.to_owned()),
            None => (false, p),
        };
        validate(&body)?;
        let kind = compile(&body);
        Ok(Some(Pattern {
            cleaned: body,
            exclusion,
            kind,
        }))
    }

    /// The cleaned pattern, without the `!`.
    pub fn as_str(&self) -> &str {
        &self.cleaned
    }

    /// True for an exception (`!pattern`).
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    /// Does the pattern match `path` itself (no parent matching)?
    pub fn matches(&self, path: &str) -> bool {
        match &self.kind {
            MatchKind::Exact => path == self.cleaned,
            MatchKind::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            MatchKind::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            MatchKind::Tokens(tokens) => {
                let text: Vec<char> = path.chars().collect();
                match_tokens(tokens, &text)
            }
        }
    }
}

/// The syntax check moby gets from `filepath.Match(p, ".")`.
fn validate(p: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::InvalidArgument(format!(
            "invalid .dockerignore pattern {p:?}: {why} (syntax error in pattern)"
        )))
    };
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return bad("it ends with a lone '\\'");
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut n = 0;
                loop {
                    match chars.get(i) {
                        None => return bad("'[' has no closing ']'"),
                        Some(']') if n > 0 => {
                            i += 1;
                            break;
                        }
                        _ => {}
                    }
                    let Some(next) = class_char(&chars, &mut i) else {
                        return bad("bad character class");
                    };
                    let _ = next;
                    if chars.get(i) == Some(&'-') {
                        i += 1;
                        if class_char(&chars, &mut i).is_none() {
                            return bad("bad range in character class");
                        }
                    }
                    n += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// One (possibly escaped) character of a class, Go's `getEsc`.
fn class_char(chars: &[char], i: &mut usize) -> Option<char> {
    let c = *chars.get(*i)?;
    if c == '-' || c == ']' {
        return None;
    }
    if c == '\\' {
        let e = *chars.get(*i + 1)?;
        *i += 2;
        return Some(e);
    }
    *i += 1;
    Some(c)
}

/// moby's `Pattern.compile`, producing tokens instead of a regexp.
fn compile(p: &str) -> MatchKind {
    #[derive(PartialEq)]
    enum Detected {
        Exact,
        Prefix,
        Suffix,
        Regexp,
    }
    let chars: Vec<char> = p.chars().collect();
    let mut tokens = Vec::new();
    let mut detected = Detected::Exact;
    let mut i = 0;
    let mut index = 0; // moby's loop counter: one per scanned rune group
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        match ch {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        tokens.push(Token::Any);
                        detected = Detected::Regexp;
                    }
                } else {
                    tokens.push(Token::AnyDirs);
                    detected = Detected::Regexp;
                }
                if index == 0 {
                    detected = Detected::Suffix;
                }
            }
            '*' => {
                tokens.push(Token::Star);
                detected = Detected::Regexp;
            }
            '?' => {
                tokens.push(Token::One);
                detected = Detected::Regexp;
            }
            '\\' => {
                // validate() guarantees a following character.
                if let Some(&next) = chars.get(i) {
                    i += 1;
                    tokens.push(Token::Lit(next));
                    detected = Detected::Regexp;
                }
            }
            '[' => {
                let negated = chars.get(i) == Some(&'^');
                if negated {
                    i += 1;
                }
                let mut ranges = Vec::new();
                while i < chars.len() && (chars[i] != ']' || ranges.is_empty()) {
                    let Some(lo) = class_char(&chars, &mut i) else {
                        break;
                    };
                    let mut hi = lo;
                    if chars.get(i) == Some(&'-') {
                        i += 1;
                        hi = class_char(&chars, &mut i).unwrap_or(lo);
                    }
                    ranges.push((lo, hi));
                }
                i += 1; // the ']'
                tokens.push(Token::Class { negated, ranges });
                detected = Detected::Regexp;
            }
            c => tokens.push(Token::Lit(c)),
        }
        index += 1;
    }
    match detected {
        Detected::Exact => MatchKind::Exact,
        Detected::Prefix => MatchKind::Prefix,
        Detected::Suffix => MatchKind::Suffix,
        Detected::Regexp => MatchKind::Tokens(tokens),
    }
}

/// Matches the whole of `text` against `tokens` (an anchored regexp with `.*`
/// groups; memoised so a pathological pattern stays polynomial).
fn match_tokens(tokens: &[Token], text: &[char]) -> bool {
    let width = text.len() + 1;
    // memo[t * width + s]: 0 unknown, 1 false, 2 true
    let mut memo = vec![0u8; (tokens.len() + 1) * width];
    fn go(tokens: &[Token], text: &[char], t: usize, s: usize, memo: &mut [u8]) -> bool {
        let width = text.len() + 1;
        let key = t * width + s;
        if memo[key] != 0 {
            return memo[key] == 2;
        }
        let result = match tokens.get(t) {
            None => s == text.len(),
            Some(Token::Lit(c)) => text.get(s) == Some(c) && go(tokens, text, t + 1, s + 1, memo),
            Some(Token::One) => {
                matches!(text.get(s), Some(&c) if c != '/') && go(tokens, text, t + 1, s + 1, memo)
            }
            Some(Token::Star) => {
                let mut e = s;
                loop {
                    if go(tokens, text, t + 1, e, memo) {
                        break true;
                    }
                    match text.get(e) {
                        Some(&c) if c != '/' => e += 1,
                        _ => break false,
                    }
                }
            }
            Some(Token::Any) => {
                // `.*` does not cross a newline in Go's regexp.
                let mut e = s;
                loop {
                    if go(tokens, text, t + 1, e, memo) {
                        break true;
                    }
                    match text.get(e) {
                        Some(&c) if c != '\n' => e += 1,
                        _ => break false,
                    }
                }
            }
            Some(Token::AnyDirs) => {
                // `(.*/)?`: nothing, or anything (no newline) ending in '/'.
                go(tokens, text, t + 1, s, memo) || {
                    let mut found = false;
                    let mut e = s;
                    while let Some(&c) = text.get(e) {
                        if c == '\n' {
                            break;
                        }
                        e += 1;
                        if c == '/' && go(tokens, text, t + 1, e, memo) {
                            found = true;
                            break;
                        }
                    }
                    found
                }
            }
            Some(Token::Class { negated, ranges }) => match text.get(s) {
                Some(&c) => {
                    let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                    inside != *negated && go(tokens, text, t + 1, s + 1, memo)
                }
                None => false,
            },
        };
        memo[key] = if result { 2 } else { 1 };
        result
    }
    go(tokens, text, 0, 0, &mut memo)
}

//! Java regular expressions (`java.util.regex`) on the `regex` crate, for `RegexRouter` and
//! `TopicNameMatches`: `matches()` (the whole text), `replaceFirst` with Java's replacement syntax
//! (`$1`, `${name}`, `\` escapes), and a translation of the Java-only syntax that has a direct
//! equivalent (`\Q...\E` quoting, ASCII-only `\d \w \s` and POSIX `\p{Alpha}` classes, `Is`
//! property prefixes, `\e \h \H \v \V \R \Z`, `\<` style escapes of punctuation).
//!
//! What the `regex` crate cannot do (back-references, look-around, possessive quantifiers,
//! atomic groups) is refused when the pattern is compiled, which Kafka reports as an invalid regex
//! at configuration time; Java would accept those patterns.

use regex::Regex;

use crate::error::{Error, Result};

/// A compiled Java pattern.
#[derive(Debug, Clone)]
pub(crate) struct JavaRegex {
    /// For `find` (what `replaceFirst` replaces).
    find: Regex,
    /// Anchored at both ends, for `matches()`.
    whole: Regex,
}

impl JavaRegex {
    /// Compiles a Java pattern; the error is the reason the `regex` crate gives.
    pub(crate) fn compile(pattern: &str) -> std::result::Result<Self, String> {
        let translated = translate(pattern);
        let find = Regex::new(&translated).map_err(|e| e.to_string())?;
        let whole = Regex::new(&format!(r"\A(?:{translated})\z")).map_err(|e| e.to_string())?;
        Ok(JavaRegex { find, whole })
    }

    /// Java's `Matcher.matches()`: the pattern matches the whole text.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.whole.is_match(text)
    }

    /// Java's `Matcher.replaceFirst(replacement)`: the first match found from the start replaced
    /// by the expanded replacement; the text unchanged when nothing matches. A malformed
    /// replacement is an error when a match is expanded, as in Java.
    pub(crate) fn replace_first(&self, text: &str, replacement: &str) -> Result<String> {
        let Some(captures) = self.find.captures(text) else { return Ok(text.to_owned()) };
        let matched = captures.get(0).expect("group 0 is the match");
        let mut out = String::with_capacity(text.len() + replacement.len());
        out.push_str(&text[..matched.start()]);
        self.expand(&captures, replacement, &mut out)?;
        out.push_str(&text[matched.end()..]);
        Ok(out)
    }

    /// Java's `Matcher.appendExpandedReplacement`.
    fn expand(&self, captures: &regex::Captures<'_>, replacement: &str, out: &mut String) -> Result<()> {
        let group_count = self.find.captures_len() - 1;
        let chars: Vec<char> = replacement.chars().collect();
        let mut cursor = 0;
        while cursor < chars.len() {
            let c = chars[cursor];
            cursor += 1;
            match c {
                '\\' => {
                    let escaped = chars.get(cursor).ok_or_else(|| Error::data("character to be escaped is missing"))?;
                    out.push(*escaped);
                    cursor += 1;
                }
                '$' => {
                    let next = *chars
                        .get(cursor)
                        .ok_or_else(|| Error::data("Illegal group reference: group index is missing"))?;
                    let group = if next == '{' {
                        cursor += 1;
                        let start = cursor;
                        while cursor < chars.len() && chars[cursor].is_ascii_alphanumeric() {
                            cursor += 1;
                        }
                        let name: String = chars[start..cursor].iter().collect();
                        if name.is_empty() {
                            return Err(Error::data("named capturing group has 0 length name"));
                        }
                        if chars.get(cursor) != Some(&'}') {
                            return Err(Error::data("named capturing group is missing trailing '}'"));
                        }
                        cursor += 1;
                        let index = self.find.capture_names().position(|n| n == Some(name.as_str()));
                        index.ok_or_else(|| Error::data(format!("No group with name {{{name}}}")))?
                    } else {
                        let mut group =
                            next.to_digit(10).ok_or_else(|| Error::data("Illegal group reference"))? as usize;
                        cursor += 1;
                        if group > group_count {
                            return Err(Error::data(format!("No group {group}")));
                        }
                        // Java takes the longest run of digits that still names a group.
                        while let Some(digit) = chars.get(cursor).and_then(|c| c.to_digit(10)) {
                            let longer = group * 10 + digit as usize;
                            if longer > group_count {
                                break;
                            }
                            group = longer;
                            cursor += 1;
                        }
                        group
                    };
                    if let Some(text) = captures.get(group) {
                        out.push_str(text.as_str());
                    }
                }
                other => out.push(other),
            }
        }
        Ok(())
    }
}

/// Java's `\p{Name}` / `\P{Name}`: its POSIX names are ASCII classes; its `Is` prefix (`IsLatin`,
/// `IsAlphabetic`) is dropped, the regex crate knowing the bare names; others pass as they are.
fn property(negated: bool, name: &str) -> String {
    const POSIX: [(&str, &str); 13] = [
        ("Lower", "lower"),
        ("Upper", "upper"),
        ("ASCII", "ascii"),
        ("Alpha", "alpha"),
        ("Digit", "digit"),
        ("Alnum", "alnum"),
        ("Punct", "punct"),
        ("Graph", "graph"),
        ("Print", "print"),
        ("Blank", "blank"),
        ("Cntrl", "cntrl"),
        ("XDigit", "xdigit"),
        ("Space", "space"),
    ];
    let caret = if negated { "^" } else { "" };
    if let Some((_, posix)) = POSIX.iter().find(|(java, _)| *java == name) {
        return format!("[{caret}[:{posix}:]]");
    }
    let name = name.strip_prefix("Is").unwrap_or(name);
    format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' })
}

/// Java's `\h` and `\v` (horizontal and vertical whitespace), as class contents.
const HORIZONTAL: &str = r" \t\xA0\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}";
const VERTICAL: &str = r"\n\x0B\f\r\x{85}\x{2028}\x{2029}";

/// Java syntax → `regex` crate syntax, where the two differ but an equivalent exists.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(next) = chars.next() else {
            out.push('\\'); // a trailing backslash: let the regex crate refuse it
            break;
        };
        match next {
            'Q' => {
                // Literal text up to \E (or the end).
                let mut literal = String::new();
                while let Some(q) = chars.next() {
                    if q == '\\' && chars.peek() == Some(&'E') {
                        chars.next();
                        break;
                    }
                    literal.push(q);
                }
                out.push_str(&regex::escape(&literal));
            }
            // Java's predefined classes are ASCII-only; the regex crate's are Unicode.
            'd' => out.push_str("[[:digit:]]"),
            'D' => out.push_str("[^[:digit:]]"),
            'w' => out.push_str("[[:word:]]"),
            'W' => out.push_str("[^[:word:]]"),
            's' => out.push_str("[[:space:]]"),
            'S' => out.push_str("[^[:space:]]"),
            'p' | 'P' if chars.peek() == Some(&'{') => {
                let name: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push_str(&property(next == 'P', &name));
            }
            'e' => out.push_str(r"\x1B"),
            'h' => out.push_str(&format!("[{HORIZONTAL}]")),
            'H' => out.push_str(&format!("[^{HORIZONTAL}]")),
            'v' => out.push_str(&format!("[{VERTICAL}]")),
            'V' => out.push_str(&format!("[^{VERTICAL}]")),
            'R' => out.push_str(&format!(r"(?:\r\n|[{VERTICAL}])")),
            // The end of input, or before a final line terminator: topics have none, so the end.
            'Z' => out.push_str(r"\z"),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => out.push_str(&regex::escape(&c.to_string())),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(regex: &str, replacement: &str, text: &str) -> Result<String> {
        JavaRegex::compile(regex).unwrap().replace_first(text, replacement)
    }

    #[test]
    fn matches_is_a_whole_match() {
        let re = JavaRegex::compile("my-prefix-.*").unwrap();
        assert!(re.matches("my-prefix-foo"));
        assert!(!re.matches("x-my-prefix-foo"));
        assert!(!JavaRegex::compile("a|ab").unwrap().matches("abc"));
        assert!(JavaRegex::compile("a|ab").unwrap().matches("ab"));
    }

    #[test]
    fn replacement_follows_java() {
        assert_eq!(replace("(.*)", "prefix-$1", "orig").unwrap(), "prefix-orig");
        assert_eq!(replace("(?<n>.*)-x", "${n}!", "a-x").unwrap(), "a!");
        assert_eq!(replace("(a)", r"\$1", "a").unwrap(), "$1");
        // $12 with one group is group 1 then a literal 2.
        assert_eq!(replace("(a)", "$12", "a").unwrap(), "a2");
        // replaceFirst finds the first match, which a lazy pattern makes empty.
        assert_eq!(replace("(.*?)", "x$1", "foo").unwrap(), "xfoo");
        assert_eq!(replace("(a)", "$2", "a").unwrap_err().to_string(), "No group 2");
        assert_eq!(replace("(a)", "$x", "a").unwrap_err().to_string(), "Illegal group reference");
        assert_eq!(replace("(a)", "x\\", "a").unwrap_err().to_string(), "character to be escaped is missing");
        assert_eq!(replace("b", "$x", "a").unwrap(), "a", "no match: the replacement is not read");
    }

    #[test]
    fn java_only_syntax_is_translated() {
        assert!(JavaRegex::compile(r"\Qa.b\E").unwrap().matches("a.b"));
        assert!(!JavaRegex::compile(r"\Qa.b\E").unwrap().matches("axb"));
        assert!(!JavaRegex::compile(r"\d").unwrap().matches("٣"), "\\d is ASCII-only in Java");
        assert!(JavaRegex::compile(r"[\w-]+").unwrap().matches("a_b-c"));
        assert!(JavaRegex::compile(r"\<x\>").unwrap().matches("<x>"));
        assert!(JavaRegex::compile(r"[^\d]x").unwrap().matches("ax"));
        assert!(!JavaRegex::compile(r"[^\d]x").unwrap().matches("1x"));
        assert!(JavaRegex::compile(r"[\D]").unwrap().matches("a"));
        assert!(JavaRegex::compile(r"a\hb\Hc\Z").unwrap().matches("a b-c"));
        assert!(JavaRegex::compile(r"a\Rb\vc\V").unwrap().matches("a\r\nb\nc."));
        assert!(JavaRegex::compile(r"\p{Lower}\P{Digit}\p{IsLatin}\p{Lu}").unwrap().matches("a-bC"));
        assert!(!JavaRegex::compile(r"\p{Lower}").unwrap().matches("é"), "POSIX classes are ASCII in Java");
        assert!(JavaRegex::compile("(").is_err());
        assert!(JavaRegex::compile("*").is_err());
    }
}

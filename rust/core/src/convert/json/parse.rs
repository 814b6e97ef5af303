//! A JSON reader with the leniencies of Kafka's (Jackson's, as JsonConverter configures it):
//! numbers may have leading zeros, and content after the first complete value is ignored (a
//! root-level number or literal must still end cleanly). Numbers are kept as their text, so
//! decimals and 64-bit integers lose nothing before the schema says what they are. Strings
//! without escapes borrow from the input.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// The number's text; `integral` when it has no fraction or exponent.
    Number {
        text: &'a str,
        integral: bool,
    },
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order (duplicates kept; `get` returns the last, as Jackson does).
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Jackson's node type names, used in Kafka's error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "NULL",
            Node::Bool(_) => "BOOLEAN",
            Node::Number { .. } => "NUMBER",
            Node::String(_) => "STRING",
            Node::Array(_) => "ARRAY",
            Node::Object(_) => "OBJECT",
        }
    }

    /// The member called `key` of an object (the last one when repeated).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Nesting deeper than this is refused (Jackson's default limit is 1000 too).
const MAX_DEPTH: usize = 1000;

/// A parsed document with the byte span of each top-level object member (for the envelope's
/// schema cache). `None` for empty (all-whitespace) input, Jackson's "missing node".
pub struct Document<'a> {
    pub root: Option<Node<'a>>,
    pub member_spans: Vec<(usize, usize)>,
}

/// Parses the first JSON value of `input`.
pub fn parse(input: &[u8]) -> Result<Document<'_>> {
    parse_skipping(input, None)
}

/// Like `parse`, but the value of the top-level member called `skip` is only scanned for its
/// end (its node is `Null`; its span is recorded): the envelope's schema, which is usually
/// found in the cache by its text and so need not be built.
pub fn parse_skipping<'a>(input: &'a [u8], skip: Option<&'a str>) -> Result<Document<'a>> {
    let mut p = Parser { input, pos: 0, depth: 0, skip_key: skip };
    p.skip_ws();
    if p.pos == input.len() {
        return Ok(Document { root: None, member_spans: Vec::new() });
    }
    let mut spans = Vec::new();
    let root = p.value(Some(&mut spans))?;
    if let Node::Number { .. } = root {
        // Jackson wants a space between root-level values after a number.
        if let Some(&b) = input.get(p.pos) {
            if !b.is_ascii_whitespace() {
                return Err(p.error("Expected space separating root-level values"));
            }
        }
    }
    Ok(Document { root: Some(root), member_spans: spans })
}

/// A position in JSON text, moved forward as values are read (`guided.rs` reads with it too).
pub(super) struct Parser<'a> {
    input: &'a [u8],
    pub(super) pos: usize,
    depth: usize,
    skip_key: Option<&'a str>,
}

impl<'a> Parser<'a> {
    /// A parser at byte `at` of `input`, `depth` containers deep (the nesting limit counts them).
    pub(super) fn at(input: &'a [u8], at: usize, depth: usize) -> Self {
        Parser { input, pos: at, depth, skip_key: None }
    }

    /// Moves past `byte` if it is next (after whitespace); false, not moving, if another is.
    pub(super) fn consume(&mut self, byte: u8) -> bool {
        self.skip_ws();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Moves past the object key `"name"` if it is next, spelled exactly so (no escapes). A
    /// name that JSON would have to escape never matches, so what matches is the key itself.
    pub(super) fn consume_key(&mut self, name: &str) -> bool {
        self.skip_ws();
        let name = name.as_bytes();
        let end = self.pos + 1 + name.len();
        let found = self.input.get(self.pos) == Some(&b'"')
            && self.input.get(self.pos + 1..end) == Some(name)
            && self.input.get(end) == Some(&b'"')
            && !name.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
        if found {
            self.pos = end + 1;
        }
        found
    }

    /// Enters an object or array whose opening bracket is next: false when the nesting limit is
    /// passed (the bracket is then left unread).
    pub(super) fn open(&mut self) -> bool {
        if !self.deeper() {
            return false;
        }
        self.pos += 1;
        true
    }

    /// One level deeper, unless that passes the nesting limit: the one place the limit is checked.
    fn deeper(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            return false;
        }
        self.depth += 1;
        true
    }

    /// Leaves the object or array whose closing bracket was just read.
    pub(super) fn close(&mut self) {
        self.depth -= 1;
    }

    fn error(&self, what: &str) -> Error {
        Error::data(format!("{what} at byte {}", self.pos))
    }

    pub(super) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    pub(super) fn value(&mut self, spans: Option<&mut Vec<(usize, usize)>>) -> Result<Node<'a>> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("Unexpected end of input")),
            Some(b'{') => self.object(spans),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Node::String(self.string()?)),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(c) => Err(self.error(&format!("Unexpected character ({:?})", c as char))),
        }
    }

    fn literal(&mut self, word: &str, node: Node<'a>) -> Result<Node<'a>> {
        let end = self.pos + word.len();
        if self.input.get(self.pos..end) != Some(word.as_bytes()) {
            return Err(self.error("Unrecognized token"));
        }
        if self.input.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$') {
            return Err(self.error("Unrecognized token"));
        }
        self.pos = end;
        Ok(node)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node<'a>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.digits() == 0 {
            return Err(self.error("Invalid numeric value: no digits"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integral = false;
            if self.digits() == 0 {
                return Err(self.error("Decimal point not followed by a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integral = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("Exponent indicator not followed by a digit"));
            }
        }
        let text = std::str::from_utf8(&self.input[start..self.pos]).expect("ASCII number");
        Ok(Node::Number { text, integral })
    }

    fn enter(&mut self) -> Result<()> {
        if !self.deeper() {
            return Err(self.error("Document nesting depth exceeds the maximum allowed (1000)"));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Node<'a>> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value(None)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Node::Array(items));
                }
                _ => return Err(self.error("Unexpected character in array: expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, mut spans: Option<&mut Vec<(usize, usize)>>) -> Result<Node<'a>> {
        self.enter()?;
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Node::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("Unexpected character: was expecting double-quote to start field name"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("Unexpected character: was expecting a colon to separate field name and value"));
            }
            self.pos += 1;
            self.skip_ws();
            let start = self.pos;
            let skip = spans.is_some() && self.skip_key.is_some_and(|k| k == key);
            let value = if skip { self.skip_value().map(|()| Node::Null)? } else { self.value(None)? };
            if let Some(spans) = spans.as_deref_mut() {
                spans.push((start, self.pos));
            }
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Node::Object(members));
                }
                _ => return Err(self.error("Unexpected character in object: expected ',' or '}'")),
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes.
        loop {
            match self.peek() {
                None => return Err(self.error("Unexpected end of input in a string")),
                Some(b'"') => {
                    let s = std::str::from_utf8(&self.input[start..self.pos])
                        .map_err(|_| self.error("Invalid UTF-8 in a string"))?;
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => return Err(self.error("Illegal unquoted character in a string")),
                Some(_) => self.pos += 1,
            }
        }
        let mut out: Vec<u8> = self.input[start..self.pos].to_vec();
        loop {
            match self.peek() {
                None => return Err(self.error("Unexpected end of input in a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return String::from_utf8(out).map(Cow::Owned).map_err(|_| self.error("Invalid UTF-8 in a string"));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek().ok_or_else(|| self.error("Unexpected end of input in a string"))?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0C),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.error("Unrecognized character escape")),
                    }
                }
                Some(b) if b < 0x20 => return Err(self.error("Illegal unquoted character in a string")),
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// Moves past one value without building it (strings, brackets and escapes are tracked so
    /// the end is found; the value is fully parsed later if it is needed).
    fn skip_value(&mut self) -> Result<()> {
        let mut depth = 0usize;
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.error("Unexpected end of input")),
                Some(b'"') => {
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            None => return Err(self.error("Unexpected end of input in a string")),
                            Some(b'\\') => self.pos += 2,
                            Some(b'"') => {
                                self.pos += 1;
                                break;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                }
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.pos += 1;
                    continue;
                }
                Some(b'}' | b']') => {
                    if depth == 0 {
                        return Err(self.error("Unexpected close marker"));
                    }
                    depth -= 1;
                    self.pos += 1;
                }
                Some(_) => {
                    while self.peek().is_some_and(|b| !b" \t\r\n,:]}".contains(&b)) {
                        self.pos += 1;
                    }
                }
            }
            // Between values inside containers: separators.
            loop {
                self.skip_ws();
                match self.peek() {
                    Some(b',' | b':') if depth > 0 => {
                        self.pos += 1;
                        break;
                    }
                    Some(b'}' | b']') if depth > 0 => {
                        depth -= 1;
                        self.pos += 1;
                    }
                    _ if depth == 0 => return Ok(()),
                    None => return Err(self.error("Unexpected end of input")),
                    _ => return Err(self.error("Unexpected character")),
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let text = self.input.get(self.pos..self.pos + 4).ok_or_else(|| self.error("Truncated \\u escape"))?;
        let text = std::str::from_utf8(text).map_err(|_| self.error("Invalid \\u escape"))?;
        let v = u32::from_str_radix(text, 16).map_err(|_| self.error("Invalid \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }

    /// A `\uXXXX` escape, joining surrogate pairs; a lone surrogate (valid in Java strings, not
    /// in Rust's) becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high) && self.input.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(high).unwrap_or('\u{FFFD}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node<'_> {
        parse(text.as_bytes()).unwrap().root.unwrap()
    }

    #[test]
    fn reads_what_jackson_reads() {
        assert_eq!(root("007"), Node::Number { text: "007", integral: true });
        assert_eq!(root("{\"a\":1} trailing"), Node::Object(vec![("a".into(), root("1"))]));
        assert_eq!(root("\"\\u00e9\\ud83d\\ude00\""), Node::String("é😀".into()));
        assert!(parse(b"   ").unwrap().root.is_none());
        assert!(parse(b"123abc").is_err());
        assert!(parse(b"truex").is_err());
        assert!(parse(b"{\"a\":}").is_err());
        assert!(parse(b"1.").is_err());
        assert!(parse(b"\"a\nb\"").is_err());
        assert_eq!(root("{\"a\":1,\"a\":2}").get("a"), Some(&root("2")));
        let text = b"{\"schema\":{\"a\":[1,\"]}\\\"\",{}]},\"payload\":3}";
        let doc = parse_skipping(text, Some("schema")).unwrap();
        let (start, end) = doc.member_spans[0];
        assert_eq!(&text[start..end], &b"{\"a\":[1,\"]}\\\"\",{}]}"[..]);
        assert_eq!(doc.root.unwrap().get("payload"), Some(&root("3")));
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "[".repeat(2000);
        assert!(parse(deep.as_bytes()).is_err());
    }
}

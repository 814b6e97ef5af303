//! Arbitrary-precision decimals as Kafka's Decimal logical type carries them: an unscaled integer
//! (two's-complement, big-endian bytes on the wire, like Java's `BigInteger.toByteArray`) and a
//! scale. Only what converters need: parse decimal text, rescale exactly, print like Java's
//! `BigDecimal.toString`, and move between digits and bytes. Digits are kept as ASCII text so
//! no big-integer library is needed; the conversions are schoolbook base 10^9 arithmetic.

use std::fmt;

use crate::error::{Error, Result};

/// A decimal number: `(-1)^negative × digits × 10^(-scale)`. `digits` has no leading zeros
/// (zero is `"0"`), and zero is never negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigDecimal {
    pub negative: bool,
    pub digits: String,
    pub scale: i32,
}

const BASE: u64 = 1_000_000_000;

impl BigDecimal {
    /// A decimal from a sign, decimal digits (leading zeros allowed) and a scale.
    pub fn new(negative: bool, digits: &str, scale: i32) -> Result<Self> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::data(format!("Invalid decimal digits: {digits:?}")));
        }
        let trimmed = digits.trim_start_matches('0');
        let digits = if trimmed.is_empty() { "0" } else { trimmed };
        Ok(BigDecimal { negative: negative && digits != "0", digits: digits.to_owned(), scale })
    }

    /// Parses JSON/Java number text: `-12.50`, `1E+3`, `0.001e-2`, `+7` (scale follows the text,
    /// as `new BigDecimal(text)` does: `12.50` has scale 2, `1E+3` has scale -3).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || Error::data(format!("Invalid decimal number: {text:?}"));
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().map_err(|_| bad())?),
            None => (rest, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        let digits = format!("{int_part}{frac_part}");
        let scale = i64::try_from(frac_part.len()).map_err(|_| bad())? - exponent;
        let scale = i32::try_from(scale).map_err(|_| bad())?;
        BigDecimal::new(negative, &digits, scale).map_err(|_| bad())
    }

    /// The same number at `scale`: adds zeros, or drops trailing zeros; a change that would lose
    /// digits is an error (Kafka refuses a decimal whose scale differs from its schema's).
    pub fn rescale(&self, scale: i32) -> Result<Self> {
        if scale == self.scale || self.digits == "0" {
            return Ok(BigDecimal { scale, ..self.clone() });
        }
        if scale > self.scale {
            let zeros = usize::try_from(i64::from(scale) - i64::from(self.scale)).unwrap_or(usize::MAX);
            if zeros > 100_000 {
                return Err(Error::data(format!("Decimal {self} cannot be rescaled to scale {scale}")));
            }
            let digits = format!("{}{}", self.digits, "0".repeat(zeros));
            return Ok(BigDecimal { negative: self.negative, digits, scale });
        }
        let drop = usize::try_from(i64::from(self.scale) - i64::from(scale)).unwrap_or(usize::MAX);
        let keep = self.digits.len().saturating_sub(drop);
        if self.digits[keep..].bytes().any(|b| b != b'0') {
            return Err(Error::data(format!(
                "Decimal value {self} has more digits after the point than the schema's scale {scale} allows"
            )));
        }
        BigDecimal::new(self.negative, if keep == 0 { "0" } else { &self.digits[..keep] }, scale)
    }

    /// Reads a two's-complement big-endian unscaled integer (Java's `new BigInteger(bytes)`).
    pub fn from_unscaled_bytes(bytes: &[u8], scale: i32) -> Result<Self> {
        if bytes.is_empty() {
            return Err(Error::data("Invalid Decimal bytes: zero length"));
        }
        let negative = bytes[0] & 0x80 != 0;
        let magnitude = if negative { negate(bytes) } else { bytes.to_vec() };
        BigDecimal::new(negative, &magnitude_to_digits(&magnitude), scale)
    }

    /// The unscaled integer in two's-complement big-endian bytes, minimal length (Java's
    /// `BigInteger.toByteArray`).
    pub fn unscaled_bytes(&self) -> Vec<u8> {
        let mut magnitude = digits_to_magnitude(&self.digits);
        // One more byte when the top bit is taken, so the sign reads back right.
        if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
            magnitude.insert(0, 0);
        }
        if !self.negative {
            return magnitude;
        }
        let mut bytes = negate(&magnitude);
        // -128 is 0x80, not 0xFF80: drop redundant sign bytes.
        while bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0x80 != 0 {
            bytes.remove(0);
        }
        bytes
    }
}

/// Minimal two's-complement form of `bytes` (what Java's `BigInteger.toByteArray` would give).
pub fn normalize_unscaled(bytes: &[u8]) -> Vec<u8> {
    let mut start = 0;
    while start + 1 < bytes.len() {
        let (b0, b1) = (bytes[start], bytes[start + 1]);
        if (b0 == 0 && b1 & 0x80 == 0) || (b0 == 0xFF && b1 & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

/// Two's-complement negation of a big-endian byte string (same length).
fn negate(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = bytes.iter().map(|b| !b).collect();
    for b in out.iter_mut().rev() {
        let (sum, carry) = b.overflowing_add(1);
        *b = sum;
        if !carry {
            break;
        }
    }
    out
}

/// Unsigned big-endian bytes → decimal digits.
fn magnitude_to_digits(bytes: &[u8]) -> String {
    // Big-endian base-2^32 limbs, then repeated division by 10^9.
    let mut limbs: Vec<u32> = Vec::with_capacity(bytes.len() / 4 + 1);
    let pad = (4 - bytes.len() % 4) % 4;
    let mut padded = vec![0u8; pad];
    padded.extend_from_slice(bytes);
    for chunk in padded.chunks(4) {
        limbs.push(u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
    }
    let mut groups = Vec::new();
    while limbs.iter().any(|l| *l != 0) {
        let mut remainder: u64 = 0;
        for limb in limbs.iter_mut() {
            let current = (remainder << 32) | u64::from(*limb);
            *limb = (current / BASE) as u32;
            remainder = current % BASE;
        }
        groups.push(remainder as u32);
        while limbs.first() == Some(&0) {
            limbs.remove(0);
        }
    }
    match groups.split_last() {
        None => "0".to_owned(),
        Some((top, rest)) => {
            let mut s = top.to_string();
            for g in rest.iter().rev() {
                s.push_str(&format!("{g:09}"));
            }
            s
        }
    }
}

/// Decimal digits → unsigned big-endian bytes, minimal (zero is `[0]`).
fn digits_to_magnitude(digits: &str) -> Vec<u8> {
    // Little-endian base-2^32 limbs; multiply by 10^k and add each group of up to 9 digits.
    let mut limbs: Vec<u32> = vec![0];
    let bytes = digits.as_bytes();
    let first = bytes.len() % 9;
    let mut chunks: Vec<&[u8]> = Vec::new();
    if first > 0 {
        chunks.push(&bytes[..first]);
    }
    chunks.extend(bytes[first..].chunks(9));
    for chunk in chunks {
        let multiplier = 10u64.pow(chunk.len() as u32);
        let mut carry = chunk.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        for limb in limbs.iter_mut() {
            let product = u64::from(*limb) * multiplier + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut out: Vec<u8> = limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    while out.len() > 1 && out[0] == 0 {
        out.remove(0);
    }
    out
}

impl fmt::Display for BigDecimal {
    /// Java's `BigDecimal.toString`: plain notation unless the scale is negative or the adjusted
    /// exponent is below -6, then scientific (`1.23E+4`, `1E-10`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        let digits = &self.digits;
        let len = digits.len() as i64;
        let scale = i64::from(self.scale);
        let adjusted = -scale + (len - 1);
        if scale >= 0 && adjusted >= -6 {
            if scale == 0 {
                return f.write_str(digits);
            }
            let scale = scale as usize;
            if digits.len() > scale {
                let point = digits.len() - scale;
                return write!(f, "{}.{}", &digits[..point], &digits[point..]);
            }
            return write!(f, "0.{}{}", "0".repeat(scale - digits.len()), digits);
        }
        f.write_str(&digits[..1])?;
        if digits.len() > 1 {
            write!(f, ".{}", &digits[1..])?;
        }
        if adjusted != 0 {
            f.write_str("E")?;
            if adjusted > 0 {
                f.write_str("+")?;
            }
            write!(f, "{adjusted}")?;
        }
        Ok(())
    }
}

/// The unscaled bytes (as `unscaled_bytes` gives them) of plain decimal text (`-12.34`: sign,
/// digits, at most one point, no exponent) at `scale`, computed in an `i128`: the common case,
/// without the digit strings of `parse` and `rescale`. `None` for anything else (an exponent,
/// more than 38 digits, a rescale that would lose digits, text that is not a number): the caller
/// takes the general path, which also words the errors.
pub fn unscaled_bytes_of_plain(text: &str, scale: i32) -> Option<Vec<u8>> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text.as_bytes()[1..]),
        Some(b'+') => (false, &text.as_bytes()[1..]),
        _ => (false, text.as_bytes()),
    };
    let (mut unscaled, mut digits, mut fraction, mut point) = (0i128, 0usize, 0i32, false);
    for &b in rest {
        match b {
            b'0'..=b'9' => {
                unscaled = unscaled.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
                digits += 1;
                fraction += i32::from(point);
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let shift = scale.checked_sub(fraction)?;
    let factor = 10i128.checked_pow(shift.unsigned_abs())?;
    if shift >= 0 {
        unscaled = unscaled.checked_mul(factor)?;
    } else if unscaled % factor == 0 {
        unscaled /= factor;
    } else {
        return None;
    }
    if negative {
        unscaled = -unscaled;
    }
    // Java's `BigInteger.toByteArray`: the fewest bytes that keep the sign.
    let bytes = unscaled.to_be_bytes();
    let redundant = bytes
        .windows(2)
        .take_while(|w| (w[0] == 0x00 && w[1] & 0x80 == 0) || (w[0] == 0xFF && w[1] & 0x80 != 0))
        .count();
    Some(bytes[redundant..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_gives_the_general_paths_bytes() {
        let plain = "0 -0 +0 0.00 -0.0 12.34 -12.34 12.3 12 1. .5 -.5 127 128 -128 -129 0.01 -0.01 -1.10 12.345 \
                     12.340 00012.3400 99999999999999999999999999999999999 170141183460469231731687303715884105727";
        let texts = plain.split_whitespace().chain(["1E+3", "NaN", "", ".", "-", "1.2.3", "1e5"]);
        for text in texts {
            for scale in [-2, 0, 1, 2, 3, 10, 40] {
                let general = BigDecimal::parse(text).and_then(|d| d.rescale(scale)).map(|d| d.unscaled_bytes());
                match unscaled_bytes_of_plain(text, scale) {
                    Some(bytes) => assert_eq!(Ok(bytes), general.map_err(|e| e.to_string()), "{text} at {scale}"),
                    // Only text the fast path does not take on, or a result it could not hold.
                    None => assert!(
                        general.is_err() || text.contains(['e', 'E']) || text.len() > 30 || scale >= 10,
                        "{text} at {scale}"
                    ),
                }
            }
        }
    }

    fn dec(text: &str) -> BigDecimal {
        BigDecimal::parse(text).unwrap()
    }

    #[test]
    fn prints_like_java() {
        assert_eq!(dec("1.56").to_string(), "1.56");
        assert_eq!(dec("-0.000001").to_string(), "-0.000001");
        assert_eq!(dec("0.0000001").to_string(), "1E-7");
        assert_eq!(dec("1.23E+4").to_string(), "1.23E+4");
        assert_eq!(dec("100").to_string(), "100");
        assert_eq!(dec("0.00").to_string(), "0.00");
        assert_eq!(BigDecimal::new(false, "123", -2).unwrap().to_string(), "1.23E+4");
        assert_eq!(BigDecimal::new(false, "1", 10).unwrap().to_string(), "1E-10");
    }

    #[test]
    fn bytes_match_java_big_integer() {
        let cases: &[(&str, &[u8])] = &[
            ("156", &[0x00, 0x9C]),
            ("0", &[0x00]),
            ("127", &[0x7F]),
            ("128", &[0x00, 0x80]),
            ("-1", &[0xFF]),
            ("-128", &[0x80]),
            ("-129", &[0xFF, 0x7F]),
            ("-156", &[0xFF, 0x64]),
            ("4294967296", &[0x01, 0x00, 0x00, 0x00, 0x00]),
        ];
        for (digits, bytes) in cases {
            let d = dec(digits);
            assert_eq!(d.unscaled_bytes(), *bytes, "{digits}");
            assert_eq!(BigDecimal::from_unscaled_bytes(bytes, 0).unwrap(), d);
        }
        let big = "123456789012345678901234567890123456789012345678901234567890";
        let d = BigDecimal::new(true, big, 5).unwrap();
        assert_eq!(BigDecimal::from_unscaled_bytes(&d.unscaled_bytes(), 5).unwrap(), d);
    }

    #[test]
    fn rescales_only_exactly() {
        assert_eq!(dec("1.5").rescale(2).unwrap(), dec("1.50"));
        assert_eq!(dec("1.50").rescale(1).unwrap(), dec("1.5"));
        assert_eq!(dec("1E+3").rescale(0).unwrap(), dec("1000"));
        assert!(dec("1.55").rescale(1).is_err());
    }

    #[test]
    fn normalizes_redundant_sign_bytes() {
        assert_eq!(normalize_unscaled(&[0, 0, 1]), vec![1]);
        assert_eq!(normalize_unscaled(&[0xFF, 0xFF, 0x80]), vec![0x80]);
        assert_eq!(normalize_unscaled(&[0x00, 0x80]), vec![0x00, 0x80]);
    }
}

//! Numbers as Java handles them, for the transforms that convert values the way Kafka's do
//! (`Cast`, `MaskField`): `Number.byteValue()` and friends (narrowing that wraps, floats through
//! `int`), `Byte.parseByte`/`Long.parseLong`/`Double.parseDouble`, `BigDecimal`'s conversions,
//! and Kafka's `Values.convertToLong`/`convertToDouble` of text (through `new BigDecimal(text)`).

use crate::data::BigDecimal;

/// A boxed Java number of one of the classes Connect values use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JavaNumber {
    Byte(i8),
    Short(i16),
    Integer(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    BigDecimal(BigDecimal),
}

impl JavaNumber {
    /// `Number.intValue()`: floats saturate (NaN is 0), a `BigDecimal` keeps the low 32 bits of
    /// its integer part.
    pub(crate) fn int_value(&self) -> i32 {
        match self {
            JavaNumber::Float(v) => *v as i32,
            JavaNumber::Double(v) => *v as i32,
            other => other.long_value() as i32,
        }
    }

    /// `Number.longValue()`: floats saturate, a `BigDecimal` keeps the low 64 bits of its integer part.
    pub(crate) fn long_value(&self) -> i64 {
        match self {
            JavaNumber::Byte(v) => i64::from(*v),
            JavaNumber::Short(v) => i64::from(*v),
            JavaNumber::Integer(v) => i64::from(*v),
            JavaNumber::Long(v) => *v,
            JavaNumber::Float(v) => *v as i64,
            JavaNumber::Double(v) => *v as i64,
            JavaNumber::BigDecimal(d) => decimal_long_value(d),
        }
    }

    /// `Number.byteValue()`: integers wrap, floats go through `int` first.
    pub(crate) fn byte_value(&self) -> i8 {
        match self {
            JavaNumber::Long(v) => *v as i8,
            other => other.int_value() as i8,
        }
    }

    /// `Number.shortValue()`: integers wrap, floats go through `int` first.
    pub(crate) fn short_value(&self) -> i16 {
        match self {
            JavaNumber::Long(v) => *v as i16,
            other => other.int_value() as i16,
        }
    }

    /// `Number.floatValue()` (nearest float; a `BigDecimal` rounds once, from its exact value).
    pub(crate) fn float_value(&self) -> f32 {
        match self {
            JavaNumber::Byte(v) => f32::from(*v),
            JavaNumber::Short(v) => f32::from(*v),
            JavaNumber::Integer(v) => *v as f32,
            JavaNumber::Long(v) => *v as f32,
            JavaNumber::Float(v) => *v,
            JavaNumber::Double(v) => *v as f32,
            JavaNumber::BigDecimal(d) => scientific(d).parse().unwrap_or(f32::NAN),
        }
    }

    /// `Number.doubleValue()`.
    pub(crate) fn double_value(&self) -> f64 {
        match self {
            JavaNumber::Float(v) => f64::from(*v),
            JavaNumber::Double(v) => *v,
            JavaNumber::BigDecimal(d) => decimal_double_value(d),
            other => other.long_value() as f64,
        }
    }
}

/// `BigDecimal.longValue()`: the integer part (truncated toward zero), low 64 bits.
pub(crate) fn decimal_long_value(d: &BigDecimal) -> i64 {
    let digits = d.digits.as_bytes();
    let keep = if d.scale >= 0 { digits.len().saturating_sub(d.scale as usize) } else { digits.len() };
    let mut v: u64 = 0;
    for b in &digits[..keep] {
        v = v.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
    }
    if d.scale < 0 {
        // 10^64 is a multiple of 2^64: past 64 more zeros the low bits stay 0.
        for _ in 0..(-i64::from(d.scale)).min(64) {
            v = v.wrapping_mul(10);
        }
    }
    let v = v as i64;
    if d.negative {
        v.wrapping_neg()
    } else {
        v
    }
}

/// `BigDecimal.doubleValue()`: the nearest double to the exact value.
pub(crate) fn decimal_double_value(d: &BigDecimal) -> f64 {
    scientific(d).parse().unwrap_or(f64::NAN)
}

/// The decimal as `[-]digitsE-scale`, which Rust's float parsing rounds correctly.
fn scientific(d: &BigDecimal) -> String {
    format!("{}{}e{}", if d.negative { "-" } else { "" }, d.digits, -i64::from(d.scale))
}

/// Java's `Long.parseLong` (and, with narrower bounds, `Integer.parseInt`, `Short.parseShort`,
/// `Byte.parseByte`): an optional sign then decimal digits, in range; `None` where Java throws
/// `NumberFormatException`.
pub(crate) fn parse_integer(text: &str, min: i64, max: i64) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Accumulate negatively, as Java does, so MIN_VALUE parses.
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    let v = if negative { v } else { v.checked_neg()? };
    (min..=max).contains(&v).then_some(v)
}

/// Java's `Double.parseDouble`: surrounding whitespace (chars up to U+0020) ignored, an optional
/// sign, `NaN`, `Infinity`, or decimal digits with an optional point and exponent and an optional
/// `f`/`F`/`d`/`D` suffix. Hexadecimal floats (`0x1.8p1`) are not read. `None` where Java throws.
pub(crate) fn parse_double(text: &str) -> Option<f64> {
    java_float_text(text).and_then(|t| t.parse().ok())
}

/// Java's `Float.parseFloat` (the grammar of [`parse_double`], rounded once to a float).
pub(crate) fn parse_float(text: &str) -> Option<f32> {
    java_float_text(text).and_then(|t| t.parse().ok())
}

/// The text Rust's float parser reads the same as Java reads `text`, if Java reads it.
fn java_float_text(text: &str) -> Option<String> {
    let trimmed = text.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match trimmed.as_bytes().first() {
        Some(b'-') => ("-", &trimmed[1..]),
        Some(b'+') => ("", &trimmed[1..]),
        _ => ("", trimmed),
    };
    match body {
        "NaN" => return Some("NaN".into()),
        "Infinity" => return Some(format!("{sign}inf")),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let bytes = body.as_bytes();
    let mut i = 0;
    let int_digits = count_digits(&bytes[i..]);
    i += int_digits;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(&bytes[i..]);
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent_digits = count_digits(&bytes[i..]);
        if exponent_digits == 0 {
            return None;
        }
        i += exponent_digits;
    }
    (i == bytes.len()).then(|| format!("{sign}{body}"))
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Kafka's `Values.convertToLong(null, text)` (and `convertToByte`... which narrow it): the
/// integer part of `new BigDecimal(text)`, low 64 bits; `None` where `BigDecimal` refuses the text.
pub(crate) fn values_long(text: &str) -> Option<i64> {
    BigDecimal::parse(text).ok().map(|d| decimal_long_value(&d))
}

/// Kafka's `Values.convertToDouble(null, text)`: `new BigDecimal(text).doubleValue()`.
pub(crate) fn values_double(text: &str) -> Option<f64> {
    BigDecimal::parse(text).ok().map(|d| decimal_double_value(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> BigDecimal {
        BigDecimal::parse(text).unwrap()
    }

    #[test]
    fn narrowing_is_javas() {
        assert_eq!(JavaNumber::Integer(300).byte_value(), 44);
        assert_eq!(JavaNumber::Long(-129).byte_value(), 127);
        assert_eq!(JavaNumber::Float(300.7).byte_value(), 44);
        assert_eq!(JavaNumber::Double(1e20).byte_value(), -1); // (byte) Integer.MAX_VALUE
        assert_eq!(JavaNumber::Double(1e20).short_value(), -1);
        assert_eq!(JavaNumber::Double(f64::NAN).long_value(), 0);
        assert_eq!(JavaNumber::Double(-1e300).long_value(), i64::MIN);
        assert_eq!(JavaNumber::Long(i64::MAX).float_value(), 9.223372e18);
        assert_eq!(JavaNumber::BigDecimal(dec("2147483648")).int_value(), i32::MIN);
        assert_eq!(JavaNumber::BigDecimal(dec("-1.9")).long_value(), -1);
        assert_eq!(JavaNumber::BigDecimal(dec("1E+20")).long_value(), 7_766_279_631_452_241_920);
        assert_eq!(JavaNumber::BigDecimal(dec("1E+100")).long_value(), 0);
        assert_eq!(JavaNumber::BigDecimal(dec("0.1")).double_value(), 0.1);
        assert_eq!(JavaNumber::BigDecimal(dec("0.1")).float_value(), 0.1f32);
    }

    #[test]
    fn parses_integers_like_java() {
        assert_eq!(parse_integer("+42", -128, 127), Some(42));
        assert_eq!(parse_integer("-128", -128, 127), Some(-128));
        assert_eq!(parse_integer("128", -128, 127), None);
        assert_eq!(parse_integer("-9223372036854775808", i64::MIN, i64::MAX), Some(i64::MIN));
        assert_eq!(parse_integer("9223372036854775808", i64::MIN, i64::MAX), None);
        for bad in ["", "-", "+", " 1", "1.0", "0x10", "1_0"] {
            assert_eq!(parse_integer(bad, i64::MIN, i64::MAX), None, "{bad:?}");
        }
    }

    #[test]
    fn parses_floats_like_java() {
        assert_eq!(parse_double(" 1.5 "), Some(1.5));
        assert_eq!(parse_double("1.5f"), Some(1.5));
        assert_eq!(parse_double("-.5e1D"), Some(-5.0));
        assert_eq!(parse_double("1."), Some(1.0));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_double("NaN").unwrap().is_nan());
        assert_eq!(parse_float("3.4028236e38"), Some(f32::INFINITY));
        for bad in ["", ".", "inf", "nan", "infinity", "1e", "1.5ff", "e5", "1 5"] {
            assert_eq!(parse_double(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn values_reads_text_through_big_decimal() {
        assert_eq!(values_long("1.9"), Some(1));
        assert_eq!(values_long("1e3"), Some(1000));
        assert_eq!(values_long("99999999999999999999"), Some(7_766_279_631_452_241_919));
        assert_eq!(values_long("NaN"), None);
        assert_eq!(values_double("1e40").map(|d| d as f32), Some(f32::INFINITY));
    }
}

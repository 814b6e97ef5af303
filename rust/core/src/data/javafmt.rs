//! Floating-point numbers printed as Java prints them (`Double.toString`, `Float.toString`), which
//! is what Kafka's JsonConverter and `Values` write: `1.0`, `0.001`, `1.0E7`, `1.0E-4`, `NaN`.
//!
//! Digits follow the JDK 19+ specification (Raffaello Giulietti's algorithm): the shortest decimal
//! that reads back as the same number, except that when that is a single digit, a two-digit decimal
//! closer to the exact binary value wins (`4.9E-324`, not `5.0E-324`). Older JDKs sometimes print
//! one or two more digits for rare values; both read back to the same number.

use std::fmt::Write;

/// Java's `Double.toString(v)`.
pub fn double_to_string(v: f64) -> String {
    let mut out = String::with_capacity(24);
    write_double(&mut out, v);
    out
}

/// Java's `Float.toString(v)`.
pub fn float_to_string(v: f32) -> String {
    let mut out = String::with_capacity(16);
    write_float(&mut out, v);
    out
}

/// Appends Java's `Double.toString(v)` to `out`.
pub fn write_double(out: &mut String, v: f64) {
    if let Some(special) = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative()) {
        out.push_str(special);
        return;
    }
    let abs = v.abs();
    let mut sci = Scratch::default();
    let _ = write!(sci, "{abs:e}");
    // A one-digit shortest form may have a closer two-digit neighbour (only where doubles are
    // sparse: exact small integers never do).
    if !sci.as_str().contains('.') && (abs.fract() != 0.0 || abs >= 9.0e15) {
        let mut two = Scratch::default();
        let _ = write!(two, "{abs:.1e}");
        if !two.as_str().contains(".0e") && two.as_str().parse::<f64>() == Ok(abs) {
            sci = two;
        }
    }
    if v < 0.0 {
        out.push('-');
    }
    layout(out, sci.as_str(), (1e-3..1e7).contains(&abs));
}

/// Appends Java's `Float.toString(v)` to `out`.
pub fn write_float(out: &mut String, v: f32) {
    if let Some(special) = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative()) {
        out.push_str(special);
        return;
    }
    let abs = v.abs();
    let mut sci = Scratch::default();
    let _ = write!(sci, "{abs:e}");
    if !sci.as_str().contains('.') && (abs.fract() != 0.0 || abs >= 1.6e7) {
        let mut two = Scratch::default();
        let _ = write!(two, "{abs:.1e}");
        if !two.as_str().contains(".0e") && two.as_str().parse::<f32>() == Ok(abs) {
            sci = two;
        }
    }
    if v < 0.0 {
        out.push('-');
    }
    layout(out, sci.as_str(), (1e-3..1e7).contains(&abs));
}

fn special(nan: bool, infinite: bool, zero: bool, negative: bool) -> Option<&'static str> {
    match (nan, infinite, zero, negative) {
        (true, ..) => Some("NaN"),
        (_, true, _, false) => Some("Infinity"),
        (_, true, _, true) => Some("-Infinity"),
        (_, _, true, false) => Some("0.0"),
        (_, _, true, true) => Some("-0.0"),
        _ => None,
    }
}

/// Lays out Rust's scientific form (`d.ddde-x`) the Java way: plain for 10^-3 ≤ |v| < 10^7,
/// otherwise `d.dddE-x`, always with a digit after the point.
fn layout(out: &mut String, sci: &str, plain: bool) {
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits = Scratch::default();
    for &b in mantissa.as_bytes().iter().filter(|b| **b != b'.') {
        digits.bytes[digits.len] = b;
        digits.len += 1;
    }
    let digits = digits.as_str();
    if !plain {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        let _ = write!(out, "{exponent}");
        return;
    }
    if exponent >= 0 {
        let int_len = exponent as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
        out.push_str(digits);
    }
}

/// Room on the stack for a number's scientific form (`{:e}` of an `f64` is at most 24 bytes:
/// 17 digits, the point, `e-324`): a number printed without a heap allocation.
#[derive(Default)]
struct Scratch {
    bytes: [u8; 32],
    len: usize,
}

impl Scratch {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("only whole UTF-8 text is written")
    }
}

impl Write for Scratch {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (-1.0, "-1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (1.0e10, "1.0E10"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (0.1, "0.1"),
            (0.3, "0.3"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123.456, "123.456"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (1e23, "1.0E23"),
            (2e23, "2.0E23"),
            (9007199254740993.0, "9.007199254740992E15"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (4.25781, "4.25781"),
            (1e-3, "0.001"),
            (9999999.999, "9999999.999"),
        ];
        for (v, expected) in cases {
            assert_eq!(double_to_string(*v), *expected, "{v:e}");
        }
    }

    #[test]
    fn floats_print_like_java() {
        let cases: &[(f32, &str)] = &[
            (1.0, "1.0"),
            (0.1, "0.1"),
            (3.4028235e38, "3.4028235E38"),
            (1.4e-45, "1.4E-45"),
            (1.0e10, "1.0E10"),
            (123.456, "123.456"),
            (16777216.0, "1.6777216E7"),
            (0.33333334, "0.33333334"),
        ];
        for (v, expected) in cases {
            assert_eq!(float_to_string(*v), *expected, "{v:e}");
        }
    }
}

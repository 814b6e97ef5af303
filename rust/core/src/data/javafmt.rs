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
    let mut shortest = Scientific::of(ryu::Buffer::new().format_finite(abs));
    // A one-digit shortest form may have a closer two-digit neighbour (only where doubles are
    // sparse: exact small integers never do).
    if shortest.digits.len == 1 && (abs.fract() != 0.0 || abs >= 9.0e15) {
        let mut two = Scratch::default();
        let _ = write!(two, "{abs:.1e}");
        if !two.as_str().contains(".0e") && two.as_str().parse::<f64>() == Ok(abs) {
            shortest = Scientific::of(two.as_str());
        }
    }
    if v < 0.0 {
        out.push('-');
    }
    shortest.layout(out, (1e-3..1e7).contains(&abs));
}

/// Appends Java's `Float.toString(v)` to `out`.
pub fn write_float(out: &mut String, v: f32) {
    if let Some(special) = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative()) {
        out.push_str(special);
        return;
    }
    let abs = v.abs();
    let mut shortest = Scientific::of(ryu::Buffer::new().format_finite(abs));
    if shortest.digits.len == 1 && (abs.fract() != 0.0 || abs >= 1.6e7) {
        let mut two = Scratch::default();
        let _ = write!(two, "{abs:.1e}");
        if !two.as_str().contains(".0e") && two.as_str().parse::<f32>() == Ok(abs) {
            shortest = Scientific::of(two.as_str());
        }
    }
    if v < 0.0 {
        out.push('-');
    }
    shortest.layout(out, (1e-3..1e7).contains(&abs));
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

/// A positive number's significant digits (no leading or trailing zeros, at least one) and the
/// power of ten of the first: `1.23e2` is `123` and 2.
struct Scientific {
    digits: Scratch,
    exponent: i32,
}

impl Scientific {
    /// The number `ryu` printed (in its own layout: `123.0`, `0.001234`, `1.5e-7`), or `{:e}`
    /// printed (`1.5e-7`). `ryu` finds the same digits as `core::fmt`, the shortest that read back
    /// as the number and of those the closest, in about half its instructions (with this layout,
    /// ~640 against ~1,340 per double in the JSON writer), but breaks a tie between two closest to
    /// the even digit, as Java's `Double.toString` does since JDK 19 (`core::fmt` rounds it up).
    fn of(text: &str) -> Scientific {
        let bytes = text.as_bytes();
        let (mantissa, exponent) = match bytes.iter().position(|b| *b == b'e') {
            Some(at) => (&bytes[..at], text[at + 1..].parse::<i32>().expect("an integer exponent")),
            None => (bytes, 0),
        };
        let (int, fraction) = match mantissa.iter().position(|b| *b == b'.') {
            Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
            None => (mantissa, &[][..]),
        };
        let mut digits = Scratch::default();
        let total = int.len() + fraction.len();
        digits.bytes[..int.len()].copy_from_slice(int);
        digits.bytes[int.len()..total].copy_from_slice(fraction);
        let leading = digits.bytes[..total].iter().take_while(|b| **b == b'0').count();
        let end = total - digits.bytes[leading + 1..total].iter().rev().take_while(|b| **b == b'0').count();
        digits.bytes.copy_within(leading..end, 0);
        digits.len = end - leading;
        let exponent = exponent + int.len() as i32 - 1 - leading as i32;
        Scientific { digits, exponent }
    }

    /// Appends the number the Java way: plain for 10^-3 ≤ |v| < 10^7, otherwise `d.dddE-x`,
    /// always with a digit after the point.
    fn layout(&self, out: &mut String, plain: bool) {
        let (digits, exponent) = (self.digits.as_str(), self.exponent);
        if !plain {
            out.push_str(&digits[..1]);
            out.push('.');
            out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
            out.push('E');
            out.push_str(itoa::Buffer::new().format(exponent));
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

    /// `ryu`'s digits are `{:e}`'s, for doubles and floats of every magnitude, except
    /// where two shortest forms are equally close to the number: `core::fmt` then rounds the last
    /// digit up, `ryu` (and Java's `Double.toString` since JDK 19) to the even one.
    #[test]
    fn ryu_digits_match_core_fmt_but_break_ties_to_even() {
        fn check<F: ryu::Float + std::fmt::LowerExp + std::str::FromStr + PartialEq + std::fmt::Debug>(v: F) {
            let ours = Scientific::of(ryu::Buffer::new().format_finite(v));
            let core = Scientific::of(&format!("{v:e}"));
            let (digits, core_digits) = (ours.digits.as_str(), core.digits.as_str());
            assert_eq!(ours.exponent, core.exponent, "{v:?}: {digits} and {core_digits}");
            if digits == core_digits {
                return;
            }
            assert_eq!(digits.len(), core_digits.len(), "{v:?}: {digits} and {core_digits}");
            let text = format!("{}.{}e{}", &digits[..1], &digits[1..], ours.exponent);
            assert!(text.parse::<F>().ok() == Some(v), "{v:?}: {text} does not read back");
            let last = |s: &str| s.bytes().last().expect("a digit");
            assert_eq!(last(digits) % 2, 0, "{v:?}: {digits} is not the even one of a tie");
            assert_eq!(last(core_digits), last(digits) + 1, "{v:?}: {core_digits} is not the one rounded up");
        }
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let edges = [1.0, 0.1, 123.0, 1e7, 1e16, 1e-5, 1e-7, 5e-324, f64::MAX, f64::MIN_POSITIVE, 9007199254740993.0];
        let doubles = edges.into_iter().chain((0..200_000).map(|_| f64::from_bits(next())));
        doubles.map(f64::abs).filter(|v| v.is_finite() && *v != 0.0).for_each(check);
        let floats = (0..200_000).map(|_| f32::from_bits(next() as u32)).chain([1.4e-45, 3.4028235e38, 16777216.0]);
        floats.map(f32::abs).filter(|v| v.is_finite() && *v != 0.0).for_each(check);
        // The tie found by the loop above: exactly 1658206780088562.25.
        assert_eq!(double_to_string(1658206780088562.0 + 0.25), "1.6582067800885622E15");
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

//! Formatting instants with a `java.text.SimpleDateFormat` pattern in UTC, as `TimestampRouter`
//! does (and `TimestampConverter` will; the integrator may move this module where both reach it).
//!
//! Every letter Java knows (`G y Y M L w W d D E u F a H k K h m s S z Z X`) with Java's counts
//! (text for `MMM`/`EEE` and longer; two-digit years for `yy`/`YY`), quoted text (`'...'`, `''`),
//! and Java's calendar: Julian before the Gregorian cutover of 1582-10-15, as `GregorianCalendar`.
//! Texts and weeks follow the `en_US` locale (weeks start on Sunday, week 1 holds January 1st),
//! the JVM default we assume. Java checks a pattern when the format is built; the error texts are
//! Java's `IllegalArgumentException` messages.

const MILLIS_PER_DAY: i64 = 86_400_000;
/// The Julian day number of 1970-01-01.
const EPOCH_JDN: i64 = 2_440_588;
/// The Julian day number of 1582-10-15, the first Gregorian day of `GregorianCalendar`.
const CUTOVER_JDN: i64 = 2_299_161;

/// The letters `SimpleDateFormat` knows; any other ASCII letter is an error.
const JAVA_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    /// A pattern letter and how many times it is repeated.
    Field(char, usize),
}

/// A compiled `SimpleDateFormat` pattern, formatting in UTC.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JavaDateFormat {
    parts: Vec<Part>,
}

/// A calendar date and time of day in UTC, in Java's hybrid calendar.
struct Fields {
    era_ad: bool,
    year_of_era: i64,
    month: u32,
    day: u32,
    day_of_year: i64,
    /// 1 = Sunday.
    weekday: usize,
    /// The year its week belongs to, and the week's number in it (`Y`, `w`).
    week_year: i64,
    week_of_year: i64,
    week_of_month: i64,
    millis_of_day: i64,
}

impl JavaDateFormat {
    /// Compiles a pattern; the error is Java's message for it.
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                // Quoted text up to the closing quote; '' inside is one quote.
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("Unterminated quote".to_owned()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            literal.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(q) => {
                            literal.push(*q);
                            i += 1;
                        }
                    }
                }
            } else if c.is_ascii_alphabetic() {
                if !JAVA_LETTERS.contains(c) {
                    return Err(format!("Illegal pattern character '{c}'"));
                }
                let count = chars[i..].iter().take_while(|x| **x == c).count();
                if c == 'X' && count > 3 {
                    return Err(format!("invalid ISO 8601 format: length={count}"));
                }
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Field(c, count));
                i += count;
            } else {
                literal.push(c);
                i += 1;
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(JavaDateFormat { parts })
    }

    /// Java's `format(new Date(millis))` with the UTC time zone.
    pub(crate) fn format(&self, millis: i64) -> String {
        let f = fields(millis);
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(letter, count) => format_field(&mut out, &f, *letter, *count),
            }
        }
        out
    }
}

fn fields(millis: i64) -> Fields {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let millis_of_day = millis.rem_euclid(MILLIS_PER_DAY);
    let jdn = days + EPOCH_JDN;
    let (year, month, day) = date_of(jdn);
    let day_of_year = jdn - jdn_of(year, 1, 1) + 1;
    let weekday = weekday_of(jdn);
    let (era_ad, year_of_era) = if year > 0 { (true, year) } else { (false, 1 - year) };
    // en_US weeks: Sunday to Saturday; week 1 is the one holding January 1st, so the last days of
    // December may be in week 1 of the next year.
    let next_year = jdn_of(year + 1, 1, 1);
    let (week_year, week_of_year) = if jdn >= next_year - (weekday_of(next_year) as i64 - 1) {
        (year + 1, 1)
    } else {
        (year, (day_of_year - 1 + weekday_of(jdn_of(year, 1, 1)) as i64 - 1) / 7 + 1)
    };
    let week_of_month = (i64::from(day) - 1 + weekday_of(jdn_of(year, month, 1)) as i64 - 1) / 7 + 1;
    let week_year = if week_year > 0 { week_year } else { 1 - week_year };
    Fields {
        era_ad,
        year_of_era,
        month,
        day,
        day_of_year,
        weekday,
        week_year,
        week_of_year,
        week_of_month,
        millis_of_day,
    }
}

/// The day of the week of a Julian day number, 1 = Sunday.
fn weekday_of(jdn: i64) -> usize {
    ((jdn + 1).rem_euclid(7) + 1) as usize
}

/// The (proleptic-year, month, day) of a Julian day number in Java's hybrid calendar.
fn date_of(jdn: i64) -> (i64, u32, u32) {
    if jdn >= CUTOVER_JDN {
        crate::data::logical::civil_from_days(jdn - EPOCH_JDN)
    } else {
        // Julian calendar (Richards' algorithm, in floor arithmetic for years before 1 AD).
        let c = jdn + 32_082;
        let d = (4 * c + 3).div_euclid(1461);
        let e = c - (1461 * d).div_euclid(4);
        let m = (5 * e + 2).div_euclid(153);
        let day = (e - (153 * m + 2).div_euclid(5) + 1) as u32;
        let month = (m + 3 - 12 * m.div_euclid(10)) as u32;
        let year = d - 4800 + m.div_euclid(10);
        (year, month, day)
    }
}

/// The Julian day number of a date, read in the calendar in force on it.
fn jdn_of(year: i64, month: u32, day: u32) -> i64 {
    let gregorian = crate::data::logical::days_from_civil(year, month, day) + EPOCH_JDN;
    if gregorian >= CUTOVER_JDN {
        return gregorian;
    }
    let a = (14 - i64::from(month)) / 12;
    let y = year + 4800 - a;
    let m = i64::from(month) + 12 * a - 3;
    i64::from(day) + (153 * m + 2) / 5 + 365 * y + y.div_euclid(4) - 32_083
}

fn pad(out: &mut String, value: i64, count: usize) {
    let digits = value.unsigned_abs().to_string();
    if value < 0 {
        out.push('-');
    }
    for _ in digits.len()..count {
        out.push('0');
    }
    out.push_str(&digits);
}

fn text(out: &mut String, full: &str, count: usize) {
    out.push_str(if count >= 4 { full } else { &full[..3] });
}

fn format_field(out: &mut String, f: &Fields, letter: char, count: usize) {
    let hour = f.millis_of_day / 3_600_000;
    match letter {
        'G' => out.push_str(if f.era_ad { "AD" } else { "BC" }),
        'y' if count == 2 => pad(out, f.year_of_era % 100, 2),
        'y' => pad(out, f.year_of_era, count),
        'Y' if count == 2 => pad(out, f.week_year % 100, 2),
        'Y' => pad(out, f.week_year, count),
        'w' => pad(out, f.week_of_year, count),
        'W' => pad(out, f.week_of_month, count),
        'M' | 'L' if count >= 3 => text(out, MONTHS[f.month as usize - 1], count),
        'M' | 'L' => pad(out, i64::from(f.month), count),
        'd' => pad(out, i64::from(f.day), count),
        'D' => pad(out, f.day_of_year, count),
        'E' => text(out, WEEKDAYS[f.weekday - 1], count),
        // ISO day number: Monday 1 .. Sunday 7.
        'u' => pad(out, ((f.weekday + 5) % 7 + 1) as i64, count),
        'F' => pad(out, i64::from((f.day - 1) / 7 + 1), count),
        'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
        'H' => pad(out, hour, count),
        'k' => pad(out, if hour == 0 { 24 } else { hour }, count),
        'K' => pad(out, hour % 12, count),
        'h' => pad(out, if hour % 12 == 0 { 12 } else { hour % 12 }, count),
        'm' => pad(out, f.millis_of_day / 60_000 % 60, count),
        's' => pad(out, f.millis_of_day / 1000 % 60, count),
        'S' => pad(out, f.millis_of_day % 1000, count),
        'z' => out.push_str(if count >= 4 { "Coordinated Universal Time" } else { "UTC" }),
        'Z' => out.push_str("+0000"),
        'X' => out.push('Z'),
        _ => unreachable!("refused when the pattern was compiled"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(pattern: &str, millis: i64) -> String {
        JavaDateFormat::new(pattern).unwrap().format(millis)
    }

    #[test]
    fn formats_common_patterns_in_utc() {
        assert_eq!(format("yyyyMMdd", 1_483_425_001_864), "20170103");
        assert_eq!(format("yyyy-MM-dd'T'HH:mm:ss.SSSZ", 1_483_425_001_864), "2017-01-03T06:30:01.864+0000");
        assert_eq!(format("yy-M-d H:m:s.S", 1_483_425_001_007), "17-1-3 6:30:1.7");
        assert_eq!(format("EEE, d MMM yyyy hh:mm a z", 0), "Thu, 1 Jan 1970 12:00 AM UTC");
        assert_eq!(format("EEEE MMMM D u k K G X", 0), "Thursday January 1 4 24 0 AD Z");
        assert_eq!(format("'o''clock' ''", 0), "o'clock '");
        assert_eq!(format("yyyy-MM-dd", -1), "1969-12-31");
    }

    #[test]
    fn uses_the_julian_calendar_before_1582() {
        // 1582-10-15 (Gregorian) follows 1582-10-04 (Julian).
        let cutover = (CUTOVER_JDN - EPOCH_JDN) * MILLIS_PER_DAY;
        assert_eq!(format("yyyy-MM-dd D", cutover), "1582-10-15 278");
        assert_eq!(format("yyyy-MM-dd D", cutover - 1), "1582-10-04 277");
        // Year 1 BC precedes 1 AD.
        let ad1 = (jdn_of(1, 1, 1) - EPOCH_JDN) * MILLIS_PER_DAY;
        assert_eq!(format("G yyyy-MM-dd", ad1), "AD 0001-01-01");
        assert_eq!(format("G yyyy-MM-dd", ad1 - 1), "BC 0001-12-31");
    }

    #[test]
    fn weeks_follow_en_us() {
        let day = |y, m, d| (jdn_of(y, m, d) - EPOCH_JDN) * MILLIS_PER_DAY;
        // 2017-01-01 is a Sunday: week 1 starts on it.
        assert_eq!(format("YYYY-ww W", day(2017, 1, 1)), "2017-01 1");
        assert_eq!(format("YYYY-ww W", day(2017, 1, 8)), "2017-02 2");
        // 2019-12-29 (Sunday) starts the week holding 2020-01-01: week 1 of 2020.
        assert_eq!(format("YYYY-ww yyyy", day(2019, 12, 29)), "2020-01 2019");
        assert_eq!(format("YYYY-ww", day(2019, 12, 28)), "2019-52");
        assert_eq!(format("YY w", day(2021, 1, 2)), "21 1");
        assert_eq!(format("YYYY w", day(2021, 1, 3)), "2021 2");
    }

    #[test]
    fn formats_the_whole_range_of_instants() {
        let all = JavaDateFormat::new("G Y-w-W y-M-d D E u F a H k K h m s S z Z X").unwrap();
        for millis in [i64::MIN, i64::MIN / 2, -1, 0, i64::MAX / 2, i64::MAX] {
            assert!(!all.format(millis).is_empty());
        }
    }

    #[test]
    fn refuses_what_java_refuses() {
        assert_eq!(JavaDateFormat::new("yyyy-'x").unwrap_err(), "Unterminated quote");
        assert_eq!(JavaDateFormat::new("yyyyq").unwrap_err(), "Illegal pattern character 'q'");
        assert_eq!(JavaDateFormat::new("XXXX").unwrap_err(), "invalid ISO 8601 format: length=4");
    }
}

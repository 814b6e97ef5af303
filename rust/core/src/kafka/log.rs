//! librdkafka's log lines and client errors, with repeats folded: when a broker goes away every
//! client of the process reports every reconnection attempt (measured: ~600 ERROR lines in 20 s
//! for a worker of a few dozen tasks). A line that differs from one already logged only in its
//! numbers (ports, milliseconds, counts) within the last minute is counted instead of logged; the
//! next time it is logged it says how many were folded. Every client context uses these.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::ClientContext;
use tracing::{debug, error, info, warn};

/// How long a logged line keeps its repeats quiet.
const WINDOW: Duration = Duration::from_secs(60);
/// Distinct lines remembered at most; past it the memory starts afresh.
const MAX_LINES: usize = 512;

struct Seen {
    since: Instant,
    folded: u64,
}

fn seen() -> &'static Mutex<HashMap<String, Seen>> {
    static SEEN: OnceLock<Mutex<HashMap<String, Seen>>> = OnceLock::new();
    SEEN.get_or_init(Mutex::default)
}

/// `Some(folded)` when `line` is to be logged now (with the number of repeats folded since it
/// was last logged), `None` when it repeats a line logged less than [`WINDOW`] ago.
fn admit(line: &str) -> Option<u64> {
    let shape: String = line.chars().filter(|c| !c.is_ascii_digit()).collect();
    let now = Instant::now();
    let mut seen = seen().lock().unwrap_or_else(|p| p.into_inner());
    match seen.get_mut(&shape) {
        Some(entry) if now.duration_since(entry.since) < WINDOW => {
            entry.folded += 1;
            None
        }
        Some(entry) => Some(std::mem::replace(entry, Seen { since: now, folded: 0 }).folded),
        None => {
            if seen.len() >= MAX_LINES {
                seen.clear();
            }
            seen.insert(shape, Seen { since: now, folded: 0 });
            Some(0)
        }
    }
}

fn folded_note(folded: u64) -> String {
    if folded == 0 {
        String::new()
    } else {
        format!(" ({folded} similar lines folded in the last {} s)", WINDOW.as_secs())
    }
}

/// A librdkafka log line, at its level, unless it repeats a recent one.
pub fn log(level: RDKafkaLogLevel, fac: &str, message: &str) {
    if matches!(level, RDKafkaLogLevel::Debug) {
        debug!(target: "librdkafka", "librdkafka: {fac} {message}"); // asked for: never folded
        return;
    }
    let Some(folded) = admit(&format!("{fac} {message}")) else { return };
    let note = folded_note(folded);
    match level {
        RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
            error!(target: "librdkafka", "librdkafka: {fac} {message}{note}")
        }
        RDKafkaLogLevel::Warning => warn!(target: "librdkafka", "librdkafka: {fac} {message}{note}"),
        _ => info!(target: "librdkafka", "librdkafka: {fac} {message}{note}"),
    }
}

/// A client-wide error librdkafka reports (all brokers down, transport failures), unless it
/// repeats a recent one.
pub fn client_error(err: &KafkaError, reason: &str) {
    let line = format!("{err}: {reason}");
    if let Some(folded) = admit(&line) {
        error!(target: "librdkafka", "librdkafka: {line}{}", folded_note(folded));
    }
}

/// The context of clients that need nothing else (admin, metadata and reader clients).
pub struct QuietContext;

impl ClientContext for QuietContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        log(level, fac, message);
    }

    fn error(&self, err: KafkaError, reason: &str) {
        client_error(&err, reason);
    }
}

impl ConsumerContext for QuietContext {}

/// A producer that sends nothing itself (one that only registers a transactional id).
impl rdkafka::producer::ProducerContext for QuietContext {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &rdkafka::producer::DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_differing_only_in_numbers_are_folded_within_the_window() {
        let first = "FAIL 127.0.0.1:4242/1: Connect to ipv4#127.0.0.1:4242 failed (after 3ms) unit-test";
        assert_eq!(admit(first), Some(0));
        assert_eq!(admit(&first.replace("3ms", "17ms")), None);
        assert_eq!(admit(&first.replace("4242", "5353")), None);
        assert_eq!(admit("another line entirely unit-test"), Some(0));
        // Past the window, the line is logged again, saying how many were folded.
        seen().lock().unwrap().get_mut(&first.replace(|c: char| c.is_ascii_digit(), "")).unwrap().since -= WINDOW;
        assert_eq!(admit(first), Some(2));
    }
}

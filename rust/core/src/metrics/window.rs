//! Kafka's sampled statistics (`org.apache.kafka.common.metrics.stats`): a value is recorded into
//! the current of a few samples, each covering a time window; a reading combines the samples not
//! yet expired. Kafka Connect's metrics use Kafka's defaults: 2 samples of 30 s.

use std::time::{Duration, Instant};

/// Kafka's `metrics.num.samples` default.
pub const SAMPLES: usize = 2;
/// Kafka's `metrics.sample.window.ms` default.
pub const SAMPLE_WINDOW: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
struct Sample {
    start: Instant,
    count: u64,
    sum: f64,
    max: f64,
}

impl Sample {
    fn new(start: Instant) -> Self {
        Sample { start, count: 0, sum: 0.0, max: f64::NEG_INFINITY }
    }
}

/// One sensor's samples, read as a rate, an average or a maximum (Kafka's `Rate`, `Avg`, `Max`).
#[derive(Debug, Clone)]
pub struct Window {
    samples: [Sample; SAMPLES],
    current: usize,
    window: Duration,
}

impl Window {
    pub fn new(now: Instant) -> Self {
        Self::with_window(now, SAMPLE_WINDOW)
    }

    pub fn with_window(now: Instant, window: Duration) -> Self {
        Window { samples: [Sample::new(now); SAMPLES], current: 0, window }
    }

    /// Records `value` at `now`, moving to the next sample once the current one's window is over.
    pub fn record(&mut self, value: f64, now: Instant) {
        if now.saturating_duration_since(self.samples[self.current].start) >= self.window {
            self.current = (self.current + 1) % SAMPLES;
            self.samples[self.current] = Sample::new(now);
        }
        let sample = &mut self.samples[self.current];
        sample.count += 1;
        sample.sum += value;
        sample.max = sample.max.max(value);
    }

    /// The samples that have not expired at `now` (Kafka's `purgeObsoleteSamples`: a sample older
    /// than all the windows together no longer counts).
    fn live(&self, now: Instant) -> impl Iterator<Item = &Sample> {
        let expiry = self.window * SAMPLES as u32;
        self.samples.iter().filter(move |s| now.saturating_duration_since(s.start) < expiry)
    }

    /// The sum of the recorded values per second (Kafka's `Rate`). As Kafka's `Rate.windowSize`,
    /// the elapsed time counts at least `SAMPLES - 1` full windows, so a young sensor does not
    /// report a burst as a huge rate.
    pub fn rate(&self, now: Instant) -> f64 {
        let sum: f64 = self.live(now).map(|s| s.sum).sum();
        let oldest = self.live(now).map(|s| s.start).min().unwrap_or(now);
        let elapsed = now.saturating_duration_since(oldest);
        let full_windows = (elapsed.as_millis() / self.window.as_millis().max(1)) as u32;
        let min_full = (SAMPLES - 1) as u32;
        let elapsed = if full_windows < min_full { elapsed + self.window * (min_full - full_windows) } else { elapsed };
        sum / elapsed.as_secs_f64().max(0.001)
    }

    /// The average of the values recorded in the window; NaN when none was (Kafka's `Avg`).
    pub fn avg(&self, now: Instant) -> f64 {
        let (count, sum) = self.live(now).fold((0, 0.0), |(c, s), x| (c + x.count, s + x.sum));
        if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        }
    }

    /// The largest value recorded in the window; NaN when none was (Kafka's `Max`).
    pub fn max(&self, now: Instant) -> f64 {
        let live: Vec<_> = self.live(now).filter(|s| s.count > 0).collect();
        live.iter().map(|s| s.max).reduce(f64::max).unwrap_or(f64::NAN)
    }

    /// How many values were recorded in the window.
    pub fn count(&self, now: Instant) -> u64 {
        self.live(now).map(|s| s.count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Duration = Duration::from_secs(30);

    #[test]
    fn empty_window_reads_nan_for_avg_and_max_and_zero_rate() {
        let t0 = Instant::now();
        let w = Window::new(t0);
        assert!(w.avg(t0).is_nan());
        assert!(w.max(t0).is_nan());
        assert_eq!(w.rate(t0 + W), 0.0);
    }

    #[test]
    fn young_sensor_rate_counts_one_full_window_at_least() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        w.record(300.0, t0 + Duration::from_secs(1));
        // 2 s elapsed, plus the (SAMPLES - 1) = 1 missing full window: 300 / 32 s.
        let rate = w.rate(t0 + Duration::from_secs(2));
        assert!((rate - 300.0 / 32.0).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn rate_over_two_full_samples() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        w.record(600.0, t0 + Duration::from_secs(10));
        w.record(900.0, t0 + Duration::from_secs(40)); // second sample, started at 40 s
        let rate = w.rate(t0 + Duration::from_secs(50));
        assert!((rate - 1500.0 / 50.0).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn avg_and_max_combine_live_samples_and_forget_expired_ones() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        w.record(10.0, t0);
        w.record(30.0, t0 + Duration::from_secs(1));
        w.record(2.0, t0 + Duration::from_secs(31));
        assert_eq!(w.avg(t0 + Duration::from_secs(32)), 14.0);
        assert_eq!(w.max(t0 + Duration::from_secs(32)), 30.0);
        assert_eq!(w.count(t0 + Duration::from_secs(32)), 3);
        // At 61 s the first sample (started at 0 s) is older than 2 × 30 s: expired.
        assert_eq!(w.avg(t0 + Duration::from_secs(61)), 2.0);
        assert_eq!(w.max(t0 + Duration::from_secs(61)), 2.0);
        // At 92 s nothing is left.
        assert!(w.max(t0 + Duration::from_secs(92)).is_nan());
    }

    #[test]
    fn a_sample_is_reused_once_the_window_moves_past_it() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        w.record(1.0, t0);
        w.record(1.0, t0 + Duration::from_secs(30));
        w.record(5.0, t0 + Duration::from_secs(60)); // replaces the first sample
        assert_eq!(w.count(t0 + Duration::from_secs(60)), 2);
        assert_eq!(w.max(t0 + Duration::from_secs(60)), 5.0);
    }
}

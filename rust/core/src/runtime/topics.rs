//! Topics each connector has used (KIP-558, `GET /connectors/{c}/topics`): source tasks record
//! the topics they produce to, sink tasks the topics they consume from.
//!
//! Tasks keep a local set of topics they already reported and ask this tracker only for new ones,
//! so the hot path costs one atomic load per batch. A reset bumps the connector's generation;
//! tasks see the change and report their topics again from then on.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct ConnectorTopics {
    topics: BTreeSet<String>,
    generation: Arc<AtomicU64>,
}

/// The active topics of every connector of a worker (`topic.tracking.enable`).
pub struct TopicTracker {
    enabled: bool,
    connectors: Mutex<HashMap<String, ConnectorTopics>>,
}

impl TopicTracker {
    /// A tracker; when disabled, nothing is recorded.
    pub fn new(enabled: bool) -> Self {
        TopicTracker { enabled, connectors: Mutex::new(HashMap::new()) }
    }

    /// Whether topics are tracked.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ConnectorTopics>> {
        self.connectors.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The topics a connector used, sorted.
    pub fn topics(&self, connector: &str) -> Vec<String> {
        self.lock().get(connector).map(|c| c.topics.iter().cloned().collect()).unwrap_or_default()
    }

    /// Forgets a connector's topics (`PUT /connectors/{c}/topics/reset`).
    pub fn reset(&self, connector: &str) {
        if let Some(entry) = self.lock().get_mut(connector) {
            entry.topics.clear();
            entry.generation.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A recorder for one task of `connector`.
    pub fn recorder(self: &Arc<Self>, connector: &str) -> TopicRecorder {
        let generation = self.lock().entry(connector.to_owned()).or_default().generation.clone();
        TopicRecorder {
            tracker: self.clone(),
            connector: connector.to_owned(),
            seen_generation: generation.load(Ordering::SeqCst),
            generation,
            seen: HashSet::new(),
            last: String::new(),
        }
    }
}

/// A task's handle on the tracker, with the topics it already reported.
pub struct TopicRecorder {
    tracker: Arc<TopicTracker>,
    connector: String,
    generation: Arc<AtomicU64>,
    seen_generation: u64,
    seen: HashSet<String>,
    /// The last topic recorded: most batches go to one topic, so most records stop here.
    last: String,
}

impl TopicRecorder {
    /// Records that the task used `topic` (cheap when already recorded).
    pub fn record(&mut self, topic: &str) {
        if !self.tracker.enabled {
            return;
        }
        let generation = self.generation.load(Ordering::Relaxed);
        if generation != self.seen_generation {
            self.seen.clear();
            self.last.clear();
            self.seen_generation = generation;
        }
        if self.last == topic {
            return;
        }
        topic.clone_into(&mut self.last);
        if self.seen.contains(topic) {
            return;
        }
        self.seen.insert(topic.to_owned());
        self.tracker.lock().entry(self.connector.clone()).or_default().topics.insert(topic.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_resets_and_records_again() {
        let tracker = Arc::new(TopicTracker::new(true));
        let mut recorder = tracker.recorder("c");
        recorder.record("b");
        recorder.record("a");
        recorder.record("a");
        assert_eq!(tracker.topics("c"), vec!["a".to_owned(), "b".to_owned()]);
        tracker.reset("c");
        assert!(tracker.topics("c").is_empty());
        recorder.record("a");
        assert_eq!(tracker.topics("c"), vec!["a".to_owned()]);
        let disabled = Arc::new(TopicTracker::new(false));
        disabled.recorder("c").record("a");
        assert!(disabled.topics("c").is_empty());
    }
}

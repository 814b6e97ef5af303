//! Which source offsets may be committed: Kafka Connect's `SubmittedRecords`.
//!
//! An offset is committable once its record, and every record submitted before it for the same
//! source partition, has been acknowledged by Kafka. Acknowledgements arrive out of order (from
//! librdkafka's delivery thread, across topic partitions), so each source partition keeps a queue
//! of submitted records and only the acknowledged prefix of each queue is released.
//!
//! Records are numbered in submission order (their [`Ticket`]); one window over all numbers not yet
//! released holds each record's acknowledged flag, so that an acknowledgement (once per record, on
//! the hot path) is an index into that window: no search, no allocation.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::runtime::record::SourceOffset;

/// One submitted record: its submission number, which the producer carries as its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(u64);

impl Ticket {
    /// The number as the producer's per-record token.
    pub fn token(self) -> usize {
        // Submission numbers stay far below usize::MAX on the 64-bit targets we build for.
        usize::try_from(self.0).expect("submission number fits in usize")
    }

    /// The ticket a token stands for.
    pub fn from_token(token: usize) -> Self {
        Ticket(token as u64)
    }
}

struct PartitionQueue {
    partition: Arc<serde_json::Value>,
    /// (submission number, source offset), oldest first.
    entries: VecDeque<(u64, SourceOffset)>,
}

/// Submitted-but-uncommitted records of one task, by source partition.
#[derive(Default)]
pub struct SubmittedRecords {
    slots: Vec<PartitionQueue>,
    /// Slot of each partition seen, by its JSON text; consulted only when a record's partition
    /// differs from the previous record's (batches usually share one).
    slot_of: HashMap<String, u32>,
    /// The previous record's partition, as that record carried it, and its slot. Compared by
    /// pointer first: a task's conversion shares one `Arc` among the records of a batch, but each
    /// batch brings a new one, which the slot's own (the first seen) would never match.
    last: Option<(Arc<serde_json::Value>, u32)>,
    /// Whether Kafka acknowledged each record `base..base + acked.len()`; records before `base`
    /// were released.
    acked: VecDeque<bool>,
    base: u64,
    pending: usize,
}

impl SubmittedRecords {
    /// Records one record before it is sent.
    pub fn submit(&mut self, partition: &Arc<serde_json::Value>, offset: SourceOffset) -> Ticket {
        let slot = self.slot_for(partition);
        let seq = self.base + self.acked.len() as u64;
        self.slots[slot as usize].entries.push_back((seq, offset));
        self.acked.push_back(false);
        self.pending += 1;
        Ticket(seq)
    }

    fn slot_for(&mut self, partition: &Arc<serde_json::Value>) -> u32 {
        if let Some((known, slot)) = &self.last {
            let slot = *slot;
            if Arc::ptr_eq(known, partition) {
                return slot;
            }
            if same_text(known, partition) {
                self.last = Some((partition.clone(), slot));
                return slot;
            }
        }
        let key = partition.to_string();
        let slot = match self.slot_of.get(&key) {
            Some(slot) => *slot,
            None => {
                let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 source partitions per task");
                self.slots.push(PartitionQueue { partition: partition.clone(), entries: VecDeque::new() });
                self.slot_of.insert(key, slot);
                slot
            }
        };
        self.last = Some((partition.clone(), slot));
        slot
    }

    /// Marks a record acknowledged by Kafka (a second acknowledgement is ignored).
    pub fn ack(&mut self, ticket: Ticket) {
        let Some(index) = ticket.0.checked_sub(self.base) else { return };
        if let Some(acked) = usize::try_from(index).ok().and_then(|i| self.acked.get_mut(i)) {
            if !*acked {
                *acked = true;
                self.pending -= 1;
            }
        }
    }

    fn is_acked(&self, seq: u64) -> bool {
        // Below `base` means released, and only acknowledged records are released.
        seq.checked_sub(self.base).is_none_or(|i| self.acked[i as usize])
    }

    /// Removes the acknowledged prefix of every partition's queue and returns, per partition that
    /// advanced, the offset of its last acknowledged record.
    pub fn committable(&mut self) -> Vec<(serde_json::Value, serde_json::Value)> {
        let mut out = Vec::new();
        for index in 0..self.slots.len() {
            let mut last = None;
            while let Some(&(seq, _)) = self.slots[index].entries.front() {
                if !self.is_acked(seq) {
                    break;
                }
                last = self.slots[index].entries.pop_front().map(|(_, offset)| offset);
            }
            if let Some(offset) = last {
                out.push((serde_json::Value::clone(&self.slots[index].partition), offset.into_json()));
            }
        }
        // The oldest record is at the front of its partition's queue, so once acknowledged it was
        // just released above: the acknowledged front of the window can go.
        while self.acked.front().is_some_and(|acked| *acked) {
            self.acked.pop_front();
            self.base += 1;
        }
        out
    }

    /// Records sent but not yet acknowledged.
    pub fn pending(&self) -> usize {
        self.pending
    }
}

/// Whether two JSON values print as the same text, which is what a partition's offset is stored
/// under: unlike `==`, `0.0` and `-0.0` differ, and so do two maps with their keys in another order.
fn same_text(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) if x.is_f64() || y.is_f64() => {
            x.is_f64() && y.is_f64() && x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits)
        }
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_text(x, y)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, x), (ky, y))| kx == ky && same_text(x, y))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partitions_that_print_differently_stay_apart() {
        let mut s = SubmittedRecords::default();
        let parts = [json!({"p": 0.0}), json!({"p": -0.0}), json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1})];
        let tickets: Vec<_> = parts.iter().map(|p| s.submit(&Arc::new(p.clone()), json!(1).into())).collect();
        for ticket in tickets {
            s.ack(ticket);
        }
        let texts: Vec<String> = s.committable().iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(texts, [r#"{"p":0.0}"#, r#"{"p":-0.0}"#, r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1}"#]);
        assert!(same_text(&json!([1, {"x": 1.5}]), &json!([1, {"x": 1.5}])));
        assert!(!same_text(&json!(1), &json!(1.0)));
    }

    #[test]
    fn commits_only_the_acknowledged_prefix_per_partition() {
        let mut s = SubmittedRecords::default();
        let a = Arc::new(json!({"f": "a"}));
        let b = Arc::new(json!({"f": "b"}));
        let a1 = s.submit(&a, json!(1).into());
        let a2 = s.submit(&a, json!(2).into());
        let b1 = s.submit(&b, json!(10).into());
        let a3 = s.submit(&a, json!(3).into());
        s.ack(a2);
        s.ack(b1);
        assert_eq!(s.committable(), vec![(json!({"f": "b"}), json!(10))]);
        s.ack(a1);
        assert_eq!(s.committable(), vec![(json!({"f": "a"}), json!(2))]);
        assert_eq!(s.pending(), 1);
        s.ack(a3);
        s.ack(a3);
        assert_eq!(s.committable(), vec![(json!({"f": "a"}), json!(3))]);
        assert_eq!(s.pending(), 0);
        assert!(s.committable().is_empty());
    }

    #[test]
    fn tickets_round_trip_through_tokens_and_late_acks_are_ignored() {
        let mut s = SubmittedRecords::default();
        let p = Arc::new(json!({"p": 0}));
        let first = s.submit(&p, json!(0).into());
        s.ack(Ticket::from_token(first.token()));
        assert_eq!(s.committable(), vec![(json!({"p": 0}), json!(0))]);
        // Released: a duplicate report for it changes nothing.
        s.ack(first);
        assert_eq!(s.pending(), 0);
        let second = s.submit(&p, json!(1).into());
        assert_eq!(second.token(), first.token() + 1);
        assert_eq!(s.pending(), 1);
    }

    #[test]
    fn interleaved_partitions_release_independently_in_any_ack_order() {
        let mut s = SubmittedRecords::default();
        let parts = [json!({"p": 0}), json!({"p": 1}), json!({"p": 2})];
        // A fresh Arc per record: equal partitions are matched by value, not by pointer.
        let tickets: Vec<_> =
            (0..30).map(|i| (i % 3, s.submit(&Arc::new(parts[i % 3].clone()), json!(i).into()))).collect();
        // Acknowledge everything of partition 1 and 2, backwards; partition 0 only its first half.
        for (p, t) in tickets.iter().rev() {
            if *p != 0 || t.0 < 15 {
                s.ack(*t);
            }
        }
        let mut released = s.committable();
        released.sort_by_key(|(p, _)| p.to_string());
        assert_eq!(
            released,
            vec![(parts[0].clone(), json!(12)), (parts[1].clone(), json!(28)), (parts[2].clone(), json!(29))]
        );
        assert_eq!(s.pending(), 5);
        for (_, t) in &tickets {
            s.ack(*t);
        }
        assert_eq!(s.committable(), vec![(parts[0].clone(), json!(27))]);
        assert_eq!(s.pending(), 0);
        assert!(s.acked.is_empty());
    }
}

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
//!
//! A record may be acknowledged before it is submitted: the task's thread sends each record as
//! soon as it is converted and submits the batch's records afterwards, under one lock. Such an
//! acknowledgement sets the record's flag ahead of its entry, and the entry, once submitted, is
//! released like any acknowledged one.

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
    /// Records submitted, and acknowledgements counted (each record's first), since the start.
    submitted: u64,
    acknowledged: u64,
}

impl SubmittedRecords {
    /// Records `ticket`'s source partition and offset. Tickets are the records' numbers in the
    /// order they were sent, from 0; each is submitted once, in that order.
    pub fn submit(&mut self, ticket: Ticket, partition: &Arc<serde_json::Value>, offset: SourceOffset) {
        let slot = self.slot_for(partition);
        self.slots[slot as usize].entries.push_back((ticket.0, offset));
        self.flag(ticket.0);
        self.submitted += 1;
    }

    /// The acknowledged flag of record `seq`, the window grown to hold it; `None` once released.
    fn flag(&mut self, seq: u64) -> Option<&mut bool> {
        let index = usize::try_from(seq.checked_sub(self.base)?).expect("window fits in memory");
        // Usually the next record: one push (`resize` cost three times as much per record).
        while self.acked.len() <= index {
            self.acked.push_back(false);
        }
        self.acked.get_mut(index)
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

    /// Marks a record acknowledged by Kafka, submitted or not yet (a second acknowledgement is
    /// ignored).
    pub fn ack(&mut self, ticket: Ticket) {
        if let Some(acked) = self.flag(ticket.0) {
            if !*acked {
                *acked = true;
                self.acknowledged += 1;
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
        // just released above: the acknowledged front of the window can go. (Or it is not
        // submitted yet: below `base` it reads as acknowledged, and is released when it is.)
        while self.acked.front().is_some_and(|acked| *acked) {
            self.acked.pop_front();
            self.base += 1;
        }
        out
    }

    /// Records submitted but not yet acknowledged.
    pub fn pending(&self) -> usize {
        // An acknowledgement may come before its record's submission.
        usize::try_from(self.submitted.saturating_sub(self.acknowledged)).unwrap_or(usize::MAX)
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

    impl SubmittedRecords {
        /// Submits the record numbered next.
        fn submit_next(&mut self, partition: &Arc<serde_json::Value>, offset: SourceOffset) -> Ticket {
            let ticket = Ticket(self.submitted);
            self.submit(ticket, partition, offset);
            ticket
        }
    }

    #[test]
    fn acknowledgements_before_submission_count_once_submitted() {
        let mut s = SubmittedRecords::default();
        let p = Arc::new(json!({"p": 0}));
        // Records 0..4 sent; 1 and 3 acknowledged before the batch is submitted, then 0.
        s.ack(Ticket(1));
        s.ack(Ticket(3));
        s.ack(Ticket(0));
        // Released from the window while still unsubmitted: nothing to commit yet.
        assert!(s.committable().is_empty());
        assert_eq!(s.pending(), 0);
        for seq in 0..4 {
            s.submit(Ticket(seq), &p, json!(seq).into());
        }
        assert_eq!(s.pending(), 1);
        assert_eq!(s.committable(), vec![(json!({"p": 0}), json!(1))]);
        s.ack(Ticket(2));
        s.ack(Ticket(2));
        s.ack(Ticket(0));
        assert_eq!(s.pending(), 0);
        assert_eq!(s.committable(), vec![(json!({"p": 0}), json!(3))]);
        assert!(s.acked.is_empty());
        // A later record acknowledged ahead of an earlier one, both unsubmitted.
        s.ack(Ticket(5));
        s.submit(Ticket(4), &p, json!(4).into());
        assert!(s.committable().is_empty());
        s.submit(Ticket(5), &p, json!(5).into());
        s.ack(Ticket(4));
        assert_eq!(s.committable(), vec![(json!({"p": 0}), json!(5))]);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn partitions_that_print_differently_stay_apart() {
        let mut s = SubmittedRecords::default();
        let parts = [json!({"p": 0.0}), json!({"p": -0.0}), json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1})];
        let tickets: Vec<_> = parts.iter().map(|p| s.submit_next(&Arc::new(p.clone()), json!(1).into())).collect();
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
        let a1 = s.submit_next(&a, json!(1).into());
        let a2 = s.submit_next(&a, json!(2).into());
        let b1 = s.submit_next(&b, json!(10).into());
        let a3 = s.submit_next(&a, json!(3).into());
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
        let first = s.submit_next(&p, json!(0).into());
        s.ack(Ticket::from_token(first.token()));
        assert_eq!(s.committable(), vec![(json!({"p": 0}), json!(0))]);
        // Released: a duplicate report for it changes nothing.
        s.ack(first);
        assert_eq!(s.pending(), 0);
        let second = s.submit_next(&p, json!(1).into());
        assert_eq!(second.token(), first.token() + 1);
        assert_eq!(s.pending(), 1);
    }

    #[test]
    fn interleaved_partitions_release_independently_in_any_ack_order() {
        let mut s = SubmittedRecords::default();
        let parts = [json!({"p": 0}), json!({"p": 1}), json!({"p": 2})];
        // A fresh Arc per record: equal partitions are matched by value, not by pointer.
        let tickets: Vec<_> =
            (0..30).map(|i| (i % 3, s.submit_next(&Arc::new(parts[i % 3].clone()), json!(i).into()))).collect();
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

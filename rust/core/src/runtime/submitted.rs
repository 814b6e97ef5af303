//! Which source offsets may be committed: Kafka Connect's `SubmittedRecords`.
//!
//! An offset is committable once its record, and every record submitted before it for the same
//! source partition, has been acknowledged by Kafka. Acknowledgements arrive out of order (from
//! librdkafka's delivery thread, across topic partitions), so each source partition keeps a queue
//! of submitted records and only the acknowledged prefix of each queue is released.

use std::collections::{HashMap, VecDeque};

/// A handle to one submitted record, to acknowledge it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    slot: usize,
    seq: u64,
}

struct Entry {
    seq: u64,
    offset: serde_json::Value,
    acked: bool,
}

struct PartitionQueue {
    partition: serde_json::Value,
    /// seq of `entries[0]`; entries are contiguous in seq.
    entries: VecDeque<Entry>,
}

/// Submitted-but-uncommitted records of one task, by source partition.
#[derive(Default)]
pub struct SubmittedRecords {
    slots: Vec<PartitionQueue>,
    slot_of: HashMap<String, usize>,
    next_seq: u64,
    pending: usize,
}

impl SubmittedRecords {
    /// Records one record before it is sent.
    pub fn submit(&mut self, partition: &serde_json::Value, offset: serde_json::Value) -> Ticket {
        let key = partition.to_string();
        let slot = match self.slot_of.get(&key) {
            Some(slot) => *slot,
            None => {
                self.slots.push(PartitionQueue { partition: partition.clone(), entries: VecDeque::new() });
                self.slot_of.insert(key, self.slots.len() - 1);
                self.slots.len() - 1
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.slots[slot].entries.push_back(Entry { seq, offset, acked: false });
        self.pending += 1;
        Ticket { slot, seq }
    }

    /// Marks a record acknowledged by Kafka.
    pub fn ack(&mut self, ticket: Ticket) {
        let queue = &mut self.slots[ticket.slot];
        // seqs within a queue increase, so binary search finds the entry.
        if let Ok(index) = queue.entries.binary_search_by_key(&ticket.seq, |e| e.seq) {
            let entry = &mut queue.entries[index];
            if !entry.acked {
                entry.acked = true;
                self.pending -= 1;
            }
        }
    }

    /// Removes the acknowledged prefix of every partition's queue and returns, per partition that
    /// advanced, the offset of its last acknowledged record.
    pub fn committable(&mut self) -> Vec<(serde_json::Value, serde_json::Value)> {
        let mut out = Vec::new();
        for queue in &mut self.slots {
            let mut last = None;
            while queue.entries.front().is_some_and(|e| e.acked) {
                last = queue.entries.pop_front().map(|e| e.offset);
            }
            if let Some(offset) = last {
                out.push((queue.partition.clone(), offset));
            }
        }
        out
    }

    /// Records sent but not yet acknowledged.
    pub fn pending(&self) -> usize {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commits_only_the_acknowledged_prefix_per_partition() {
        let mut s = SubmittedRecords::default();
        let a = json!({"f": "a"});
        let b = json!({"f": "b"});
        let a1 = s.submit(&a, json!(1));
        let a2 = s.submit(&a, json!(2));
        let b1 = s.submit(&b, json!(10));
        let a3 = s.submit(&a, json!(3));
        s.ack(a2);
        s.ack(b1);
        assert_eq!(s.committable(), vec![(b.clone(), json!(10))]);
        s.ack(a1);
        assert_eq!(s.committable(), vec![(a.clone(), json!(2))]);
        assert_eq!(s.pending(), 1);
        s.ack(a3);
        s.ack(a3);
        assert_eq!(s.committable(), vec![(a, json!(3))]);
        assert_eq!(s.pending(), 0);
        assert!(s.committable().is_empty());
    }
}

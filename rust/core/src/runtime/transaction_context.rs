//! A source task's requests to commit or abort its transaction (Kafka Connect's
//! `TransactionContext`, KIP-618), for exactly-once tasks with `transaction.boundary=connector`.
//!
//! The task asks from its own thread, during `poll` (or any time); the task's driver reads the
//! requests when it has handed a batch, or a given record, to the producer. A request for a record
//! names it by the identity the task gives it (`SourceTask::record_key`).

use std::collections::HashSet;
use std::sync::Mutex;

use crate::error::{Error, Result};

#[derive(Default)]
struct Requests {
    commit_batch: bool,
    abort_batch: bool,
    commit_records: HashSet<usize>,
    abort_records: HashSet<usize>,
}

/// Commit and abort requests of one task, waiting for its driver.
#[derive(Default)]
pub struct TransactionContext {
    requests: Mutex<Requests>,
}

impl TransactionContext {
    fn requests(&self) -> std::sync::MutexGuard<'_, Requests> {
        self.requests.lock().expect("transaction requests lock")
    }

    /// Commit the transaction after the batch now being polled is sent.
    pub fn commit_transaction(&self) {
        self.requests().commit_batch = true;
    }

    /// Commit the transaction right after this record is sent.
    pub fn commit_transaction_on(&self, record: usize) {
        self.requests().commit_records.insert(record);
    }

    /// Abort the transaction after the batch now being polled is sent: its records (and those
    /// before it in the transaction) are discarded; their source offsets are still committed.
    pub fn abort_transaction(&self) {
        self.requests().abort_batch = true;
    }

    /// Abort the transaction right after this record is sent.
    pub fn abort_transaction_on(&self, record: usize) {
        self.requests().abort_records.insert(record);
    }

    /// What the task asked for the batch just sent: `Some(true)` commit, `Some(false)` abort.
    /// Both at once is the task's error, which fails it (Kafka's words).
    pub fn take_batch_request(&self) -> Result<Option<bool>> {
        let mut requests = self.requests();
        let (commit, abort) = (requests.commit_batch, requests.abort_batch);
        if commit && abort {
            return Err(Error::Connector("Connector requested both commit and abort of same transaction".into()));
        }
        requests.commit_batch = false;
        requests.abort_batch = false;
        Ok(if abort {
            Some(false)
        } else if commit {
            Some(true)
        } else {
            None
        })
    }

    /// What the task asked for this record (`Some(true)` commit after it, `Some(false)` abort).
    pub fn take_record_request(&self, record: usize, topic: &str, partition: Option<i32>) -> Result<Option<bool>> {
        let mut requests = self.requests();
        if requests.commit_records.contains(&record) && requests.abort_records.contains(&record) {
            let partition = partition.map_or_else(|| "null".to_owned(), |p| p.to_string());
            return Err(Error::Connector(format!(
                "Connector requested both commit and abort of same record against topic/partition {topic}/{partition}"
            )));
        }
        if requests.abort_records.remove(&record) {
            return Ok(Some(false));
        }
        Ok(requests.commit_records.remove(&record).then_some(true))
    }

    /// Whether any request names a record (so the driver looks records up at all).
    pub fn has_record_requests(&self) -> bool {
        let requests = self.requests();
        !(requests.commit_records.is_empty() && requests.abort_records.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_taken_once_and_contradictions_fail() {
        let context = TransactionContext::default();
        assert_eq!(context.take_batch_request().unwrap(), None);
        context.commit_transaction();
        assert_eq!(context.take_batch_request().unwrap(), Some(true));
        assert_eq!(context.take_batch_request().unwrap(), None, "taken once");
        context.abort_transaction();
        assert_eq!(context.take_batch_request().unwrap(), Some(false));
        context.commit_transaction();
        context.abort_transaction();
        let error = context.take_batch_request().unwrap_err().to_string();
        assert!(error.contains("both commit and abort of same transaction"), "{error}");

        context.commit_transaction_on(7);
        assert!(context.has_record_requests());
        assert_eq!(context.take_record_request(8, "t", Some(0)).unwrap(), None);
        assert_eq!(context.take_record_request(7, "t", Some(0)).unwrap(), Some(true));
        assert!(!context.has_record_requests());
        context.commit_transaction_on(9);
        context.abort_transaction_on(9);
        let error = context.take_record_request(9, "t", None).unwrap_err().to_string();
        assert!(error.contains("against topic/partition t/null"), "{error}");
    }
}

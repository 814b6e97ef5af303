//! A fetch-only librdkafka queue that a sink consumer takes its messages from in batches.
//!
//! # Why the batch call needs a queue of its own
//!
//! rust-rdkafka hands a consumer's messages over one `poll` at a time (its event API: each call
//! reads the clock several times, locks the queue and builds an event). librdkafka can hand over
//! a whole batch in one call, `rd_kafka_consume_batch_queue`, which rust-rdkafka does not expose.
//! That call cannot be used on the consumer queue itself: the queue also carries rebalance events,
//! which the batch call would serve with librdkafka's own handling and so bypass the consumer's
//! `ConsumerContext` (the task's revocation handling). So the partitions' fetch queues are
//! forwarded to a queue of their own, which carries messages only, and the consumer queue keeps
//! carrying the events, polled through rust-rdkafka as before.
//!
//! # What librdkafka does that this relies on (librdkafka 2.12, `src/`)
//!
//! - `rd_kafka_queue_forward(partition queue, fetch queue)` moves whatever the partition queue holds
//!   onto the fetch queue, in order, and marks the partition queue as forwarded by the application
//!   (`RD_KAFKA_Q_F_FWD_APP`, `rdkafka_queue.c` `rd_kafka_q_fwd_set0`). A partition's fetch start
//!   then leaves that forwarding alone (`rdkafka_partition.c` `rd_kafka_toppar_op_fetch_start`):
//!   forwarding before the partition is assigned means none of its messages reach the consumer
//!   queue. A fetch stop (revocation, close) clears the forwarding; the partition is forwarded
//!   again when it is next assigned.
//! - The batch call drops messages outdated by a seek, pause or stop (`rd_kafka_op_version_outdated`
//!   and the version barriers in `rd_kafka_q_serve_rkmessages`), as a single poll does, and moves
//!   the partitions' application positions as a poll does.
//! - A queue handle holds a reference on its queue; `rd_kafka_destroy` expects the application to
//!   have destroyed its handles. [`FetchQueue`] owns an `Arc` of its consumer, so every handle is
//!   destroyed (in `Drop`) before the consumer can be.

use std::collections::HashMap;
use std::ffi::{c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rdkafka::bindings as rdsys;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::Timestamp;

/// A librdkafka queue handle this crate owns (destroyed exactly once, by its owner).
struct QueueHandle(NonNull<rdsys::rd_kafka_queue_t>);

impl QueueHandle {
    fn from_ptr(ptr: *mut rdsys::rd_kafka_queue_t) -> Option<Self> {
        NonNull::new(ptr).map(QueueHandle)
    }

    fn ptr(&self) -> *mut rdsys::rd_kafka_queue_t {
        self.0.as_ptr()
    }
}

impl Drop for QueueHandle {
    fn drop(&mut self) {
        // SAFETY: the handle came from librdkafka and is destroyed only here, once.
        unsafe { rdsys::rd_kafka_queue_destroy(self.ptr()) }
    }
}

// SAFETY: librdkafka's queue handles may be used from any thread (every queue operation takes the
// queue's lock); this crate never hands the raw pointer out.
unsafe impl Send for QueueHandle {}
// SAFETY: as for `Send`: shared use goes through librdkafka's locking.
unsafe impl Sync for QueueHandle {}

/// A consumer's fetch-only queue and the partition queues forwarded to it.
pub struct FetchQueue<C: ConsumerContext + 'static> {
    /// Messages of every forwarded partition, in the order each partition's were fetched.
    queue: QueueHandle,
    /// The consumer's own queue (events), watched to wake a batch wait when an event arrives.
    consumer_queue: QueueHandle,
    /// Handles of the partition queues forwarded to `queue`.
    partitions: Mutex<HashMap<(String, i32), QueueHandle>>,
    /// Keeps the client alive for as long as any handle above is (see the crate header).
    consumer: Arc<BaseConsumer<C>>,
}

/// Called by librdkafka, with the consumer queue's lock held, when an op lands on the empty
/// consumer queue: a rebalance or error event must not wait behind a batch wait.
unsafe extern "C" fn wake_fetch_queue(_rk: *mut rdsys::rd_kafka_t, opaque: *mut c_void) {
    // SAFETY: `opaque` is the fetch queue's handle, registered in `FetchQueue::new` and
    // unregistered in `Drop` (under the same lock this runs under) before the handle is destroyed.
    unsafe { rdsys::rd_kafka_queue_yield(opaque.cast()) }
}

impl<C: ConsumerContext + 'static> FetchQueue<C> {
    /// A fetch-only queue for a group consumer (`None` without a group: there is no consumer
    /// queue to keep the events on).
    pub fn new(consumer: Arc<BaseConsumer<C>>) -> Option<Self> {
        let rk = consumer.client().native_ptr();
        // SAFETY: `rk` is the live client of `consumer`, which `Self` keeps alive.
        let consumer_queue = QueueHandle::from_ptr(unsafe { rdsys::rd_kafka_queue_get_consumer(rk) })?;
        // SAFETY: as above; the new queue is owned by the returned handle.
        let queue = QueueHandle::from_ptr(unsafe { rdsys::rd_kafka_queue_new(rk) })?;
        // SAFETY: both handles are live; the callback only yields the fetch queue, whose handle
        // outlives the registration (undone first thing in `Drop`).
        unsafe {
            rdsys::rd_kafka_queue_cb_event_enable(consumer_queue.ptr(), Some(wake_fetch_queue), queue.ptr().cast());
        }
        Some(FetchQueue { queue, consumer_queue, partitions: Mutex::new(HashMap::new()), consumer })
    }

    fn partitions(&self) -> MutexGuard<'_, HashMap<(String, i32), QueueHandle>> {
        self.partitions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends a partition's messages to this queue from now on; before its assignment, so that
    /// none of them goes to the consumer queue. Returns false when librdkafka has no queue for
    /// it (its messages then stay on the consumer queue, librdkafka's default).
    pub fn forward(&self, topic: &str, partition: i32) -> bool {
        let Ok(name) = CString::new(topic) else { return false };
        let rk = self.consumer.client().native_ptr();
        // SAFETY: `rk` is live (see `new`); `name` is a NUL-terminated string that outlives the call.
        let Some(handle) =
            QueueHandle::from_ptr(unsafe { rdsys::rd_kafka_queue_get_partition(rk, name.as_ptr(), partition) })
        else {
            return false;
        };
        // SAFETY: both handles are live.
        unsafe { rdsys::rd_kafka_queue_forward(handle.ptr(), self.queue.ptr()) };
        // A handle kept from an earlier assignment is destroyed here (it held its own reference).
        self.partitions().insert((topic.to_owned(), partition), handle);
        true
    }

    /// Stops forwarding a partition (revoked) and lets go of its queue.
    pub fn unforward(&self, topic: &str, partition: i32) {
        if let Some(handle) = self.partitions().remove(&(topic.to_owned(), partition)) {
            // SAFETY: the handle is live; a null destination clears the forwarding.
            unsafe { rdsys::rd_kafka_queue_forward(handle.ptr(), ptr::null_mut()) };
        }
    }

    /// How many partitions are forwarded here.
    pub fn forwarded(&self) -> usize {
        self.partitions().len()
    }

    /// Whether events (or messages librdkafka left there) wait on the consumer queue.
    pub fn events_waiting(&self) -> bool {
        // SAFETY: the handle is live.
        unsafe { rdsys::rd_kafka_queue_length(self.consumer_queue.ptr()) > 0 }
    }

    /// Makes a batch wait in progress (or the next one) return at once.
    pub fn wake(&self) {
        // SAFETY: the handle is live.
        unsafe { rdsys::rd_kafka_queue_yield(self.queue.ptr()) }
    }

    /// Takes up to `max` messages in one librdkafka call, waiting at most `timeout` for the first
    /// (less when woken), and hands each to `each` in order (an error when librdkafka reports
    /// one in its place, e.g. a partition's end). Returns how many it took.
    pub fn consume(
        &self,
        timeout: Duration,
        max: usize,
        mut each: impl FnMut(Result<&FetchedMessage<'_>, KafkaError>),
    ) -> usize {
        let mut batch = Batch { messages: Vec::with_capacity(max) };
        let timeout_ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: the queue handle is live and `messages` has room for `max` pointers.
        let count = unsafe {
            rdsys::rd_kafka_consume_batch_queue(self.queue.ptr(), timeout_ms, batch.messages.as_mut_ptr(), max)
        };
        if count <= 0 {
            return 0;
        }
        // SAFETY: librdkafka wrote `count` (≤ `max`) message pointers, now owned by `batch`.
        unsafe { batch.messages.set_len(count as usize) };
        for &raw in &batch.messages {
            // SAFETY: a message librdkafka returned, alive until `batch` destroys it.
            let message = unsafe { &*raw };
            if message.err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                each(Ok(&FetchedMessage::new(message)));
            } else if message.err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF {
                each(Err(KafkaError::PartitionEOF(message.partition)));
            } else {
                each(Err(KafkaError::MessageConsumption(RDKafkaErrorCode::from(message.err))));
            }
        }
        count as usize
    }
}

impl<C: ConsumerContext + 'static> Drop for FetchQueue<C> {
    fn drop(&mut self) {
        // SAFETY: the consumer queue handle is live; once this returns the callback neither runs
        // nor will run (librdkafka calls it under the lock this takes).
        unsafe { rdsys::rd_kafka_queue_cb_event_enable(self.consumer_queue.ptr(), None, ptr::null_mut()) };
        for (_, handle) in self.partitions().drain() {
            // SAFETY: the handle is live; the partition's messages stay on its own queue
            // (librdkafka purges them when the partition goes).
            unsafe { rdsys::rd_kafka_queue_forward(handle.ptr(), ptr::null_mut()) };
        }
        // The fields drop next: `queue` (its remaining messages are purged), `consumer_queue`,
        // then the consumer, after every handle.
    }
}

/// Messages taken in one batch call, destroyed together after use (or when a panic unwinds).
struct Batch {
    messages: Vec<*mut rdsys::rd_kafka_message_t>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        for &message in &self.messages {
            // SAFETY: each pointer is a message librdkafka returned to us, destroyed once here;
            // the borrows handed to `each` ended with its calls.
            unsafe { rdsys::rd_kafka_message_destroy(message) }
        }
    }
}

/// A fetched message, borrowed for the time of a [`FetchQueue::consume`] callback.
pub struct FetchedMessage<'a> {
    message: &'a rdsys::rd_kafka_message_t,
    headers: Option<FetchedHeaders>,
}

impl<'a> FetchedMessage<'a> {
    fn new(message: &'a rdsys::rd_kafka_message_t) -> Self {
        let mut headers = ptr::null_mut();
        // SAFETY: `message` is live; librdkafka parses the headers into memory the message owns.
        let err = unsafe { rdsys::rd_kafka_message_headers(message, &mut headers) };
        let headers = (err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && !headers.is_null())
            .then_some(FetchedHeaders { headers });
        FetchedMessage { message, headers }
    }
}

/// A byte slice librdkafka gives as pointer and length (`None` for a null pointer).
///
/// # Safety
/// `data` must point to `len` readable bytes living as long as `'a`, or be null.
unsafe fn slice<'a>(data: *const c_void, len: usize) -> Option<&'a [u8]> {
    if data.is_null() {
        return None;
    }
    // SAFETY: by the function's contract.
    Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
}

impl Message for FetchedMessage<'_> {
    type Headers = FetchedHeaders;

    fn key(&self) -> Option<&[u8]> {
        // SAFETY: the key lives in the message, which outlives `self`.
        unsafe { slice(self.message.key, self.message.key_len) }
    }

    fn payload(&self) -> Option<&[u8]> {
        // SAFETY: the payload lives in the message, which outlives `self`.
        unsafe { slice(self.message.payload, self.message.len) }
    }

    unsafe fn payload_mut(&mut self) -> Option<&mut [u8]> {
        // Borrowed messages are read-only here.
        None
    }

    fn topic(&self) -> &str {
        // SAFETY: a fetched message's topic handle is live for the message's life; librdkafka
        // returns its NUL-terminated name. Topic names are ASCII (Kafka's legal characters).
        unsafe { CStr::from_ptr(rdsys::rd_kafka_topic_name(self.message.rkt)) }.to_str().unwrap_or_default()
    }

    fn partition(&self) -> i32 {
        self.message.partition
    }

    fn offset(&self) -> i64 {
        self.message.offset
    }

    fn timestamp(&self) -> Timestamp {
        let mut kind = rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: the message is live.
        let timestamp = unsafe { rdsys::rd_kafka_message_timestamp(self.message, &mut kind) };
        match kind {
            _ if timestamp == -1 => Timestamp::NotAvailable,
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_CREATE_TIME => Timestamp::CreateTime(timestamp),
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME => Timestamp::LogAppendTime(timestamp),
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE => Timestamp::NotAvailable,
        }
    }

    fn headers(&self) -> Option<&FetchedHeaders> {
        self.headers.as_ref()
    }
}

/// A fetched message's headers, as librdkafka parsed them. Only ever reached through a borrow of
/// its [`FetchedMessage`] (the field is private), so it cannot outlive the message.
pub struct FetchedHeaders {
    headers: *mut rdsys::rd_kafka_headers_t,
}

impl Headers for FetchedHeaders {
    fn count(&self) -> usize {
        // SAFETY: the headers belong to a live message.
        unsafe { rdsys::rd_kafka_header_cnt(self.headers) }
    }

    fn try_get(&self, idx: usize) -> Option<Header<'_, &[u8]>> {
        let (mut name, mut value, mut size) = (ptr::null(), ptr::null(), 0);
        // SAFETY: the headers belong to a live message; librdkafka fills the three out-pointers.
        let err = unsafe { rdsys::rd_kafka_header_get_all(self.headers, idx, &mut name, &mut value, &mut size) };
        if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
            return None;
        }
        // SAFETY: a header's name is NUL-terminated and its value `size` bytes (or null), both
        // owned by the message.
        let (key, value) = unsafe { (CStr::from_ptr(name), slice(value, size)) };
        Some(Header { key: key.to_str().unwrap_or_default(), value })
    }
}

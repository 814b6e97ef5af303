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
//! - A fetched message's key and value point into the fetch response (or the batch decompressed
//!   from it) as the broker laid it out (`rdkafka_op.c` `rd_kafka_op_new_fetch_msg`), one
//!   contiguous buffer past the response header (`rdkafka_broker.c` `rd_kafka_recv` allocates it
//!   so; a decompressed batch is one buffer, `rdkafka_msgset_reader.c`), and its
//!   headers are parsed on first access, into a buffer librdkafka allocates and frees even when
//!   there are none (`rdkafka_msg.c` `rd_kafka_msg_headers_parse`): one `calloc` and `free` per
//!   message, a fifth of the fetcher thread's time. [`surely_headerless`] reads the header count
//!   in place instead when the record format allows it (see there).
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
        // The topic name of the batch's last topic handle: messages come in runs of one partition,
        // so the name is looked up and checked once per run, not per message.
        let mut topic: (*mut rdsys::rd_kafka_topic_t, &str) = (ptr::null_mut(), "");
        for &raw in &batch.messages {
            // SAFETY: a message librdkafka returned, alive until `batch` destroys it.
            let message = unsafe { &*raw };
            if message.err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                if topic.0 != message.rkt {
                    // SAFETY: a fetched message's topic handle is live for the message's life and
                    // the batch holds a reference on it (each message does) until `batch` drops,
                    // after the last use of the name; librdkafka returns its NUL-terminated name.
                    // Topic names are ASCII (Kafka's legal characters).
                    let name = unsafe { CStr::from_ptr(rdsys::rd_kafka_topic_name(message.rkt)) };
                    topic = (message.rkt, name.to_str().unwrap_or_default());
                }
                each(Ok(&FetchedMessage::new(message, topic.1)));
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
    topic: &'a str,
    headers: Option<FetchedHeaders>,
}

impl<'a> FetchedMessage<'a> {
    fn new(message: &'a rdsys::rd_kafka_message_t, topic: &'a str) -> Self {
        // SAFETY: `message` is a live fetched message.
        let headers = if unsafe { surely_headerless(message) } {
            None
        } else {
            let mut headers = ptr::null_mut();
            // SAFETY: `message` is live; librdkafka parses the headers into memory the message owns.
            let err = unsafe { rdsys::rd_kafka_message_headers(message, &mut headers) };
            (err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && !headers.is_null())
                .then_some(FetchedHeaders { headers })
        };
        FetchedMessage { message, topic, headers }
    }
}

/// Whether a fetched message has no headers, told from the record as the broker sent it, without
/// librdkafka's header parse (see the module header); false when that cannot be told this way.
///
/// A v2 record (Kafka 0.11 on, the only format Kafka 4 writes) ends with its value's length as a
/// zigzag varint, the value, then the header count as a zigzag varint: a count of 0 is the single
/// byte 0 right after the value. The value's length is checked first, in the bytes just before
/// the value: that tells a v2 record from a v0/v1 message (whose value follows a 4-byte big-endian
/// length and is the message's last field, so the byte after it may lie past the buffer). Those
/// bytes differ for every length but 0: a one-byte varint (lengths under 64) is twice the length
/// where the 4-byte length ends with the length itself; a longer varint's bytes but the last have
/// their high bit set, where the 4-byte length's byte at the varint's first place (the 4-byte
/// length's first, for a 5-byte varint) is under 0x80 for every length that takes that many varint
/// bytes. So a null or empty value takes librdkafka's way, as does a message with headers.
///
/// # Safety
/// `message` must be a live message fetched by librdkafka (its value points into the fetched or
/// decompressed record, with the record's length and at least 4 bytes of message before it).
unsafe fn surely_headerless(message: &rdsys::rd_kafka_message_t) -> bool {
    let value = message.payload.cast::<u8>().cast_const();
    let len = message.len;
    if value.is_null() || len == 0 || len > i32::MAX as usize {
        return false;
    }
    let mut varint = [0u8; 5];
    let mut zigzag = (len as u64) << 1; // a positive length: its zigzag is twice it
    let mut size = 0;
    loop {
        let byte = (zigzag & 0x7f) as u8;
        zigzag >>= 7;
        if zigzag == 0 {
            varint[size] = byte;
            size += 1;
            break;
        }
        varint[size] = byte | 0x80;
        size += 1;
    }
    // SAFETY: a v2 record has the `size` bytes of its value's length before the value; a v0/v1
    // message has its 4-byte length there and, before it, the key's 4-byte length (`size` is at
    // most 5 for a length under 2^31).
    let before = unsafe { std::slice::from_raw_parts(value.sub(size), size) };
    // SAFETY: the lengths matched, so this is a v2 record, whose header count follows its value.
    *before == varint[..size] && unsafe { *value.add(len) } == 0
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
        self.topic
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A message whose value is `buffer[at..at + len]`, as librdkafka points into a fetch response.
    fn message(buffer: &[u8], at: usize, len: usize) -> rdsys::rd_kafka_message_t {
        rdsys::rd_kafka_message_t {
            err: rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
            rkt: ptr::null_mut(),
            partition: 0,
            payload: buffer[at..].as_ptr().cast_mut().cast(),
            len,
            key: ptr::null_mut(),
            key_len: 0,
            offset: 0,
            _private: ptr::null_mut(),
        }
    }

    fn zigzag_varint(n: i64) -> Vec<u8> {
        let mut z = ((n << 1) ^ (n >> 63)) as u64;
        let mut out = Vec::new();
        while z >= 0x80 {
            out.push((z as u8 & 0x7f) | 0x80);
            z >>= 7;
        }
        out.push(z as u8);
        out
    }

    /// The tail of a v2 record: null key, the value, then `headers` as the header count and
    /// headers; preceded by a few other bytes. Returns the buffer and where the value starts.
    fn v2_record(value: &[u8], headers: &[u8]) -> (Vec<u8>, usize) {
        let mut buffer = vec![0x10, 0x00, 0x02, 0x01]; // attributes, deltas, null key
        buffer.extend(zigzag_varint(value.len() as i64));
        let at = buffer.len();
        buffer.extend_from_slice(value);
        buffer.extend_from_slice(headers);
        (buffer, at)
    }

    /// A v0/v1 message ending the buffer: key length -1, value length, value.
    fn v1_message(value: &[u8]) -> (Vec<u8>, usize) {
        let mut buffer = vec![0; 12]; // offset
        buffer.extend_from_slice(&[0xff; 4]); // null key
        buffer.extend_from_slice(&(value.len() as i32).to_be_bytes());
        let at = buffer.len();
        buffer.extend_from_slice(value);
        (buffer, at)
    }

    #[test]
    fn a_v2_record_without_headers_is_told_in_place() {
        for len in [1, 63, 64, 100, 8191, 8192, 1 << 20] {
            let (buffer, at) = v2_record(&vec![b'x'; len], &[0]);
            // SAFETY: the message points into `buffer`, laid out as librdkafka's would be.
            assert!(unsafe { surely_headerless(&message(&buffer, at, len)) }, "length {len}");
        }
    }

    #[test]
    fn headers_an_empty_value_and_old_formats_take_librdkafkas_way() {
        let mut header = zigzag_varint(1);
        header.extend(zigzag_varint(1));
        header.extend_from_slice(b"h");
        header.extend(zigzag_varint(-1));
        let (buffer, at) = v2_record(b"value", &header);
        // SAFETY: as above.
        assert!(!unsafe { surely_headerless(&message(&buffer, at, 5)) });
        let (buffer, at) = v2_record(b"", &[0]);
        // SAFETY: as above.
        assert!(!unsafe { surely_headerless(&message(&buffer, at, 0)) });
        // A v1 message's value ends the buffer: its length must not pass for a v2 varint, for
        // no length (each varint size checked at its ends; the byte after is never read).
        for len in [1, 2, 63, 64, 127, 128, 255, 256, 8191, 8192, 32768, 65535, 1 << 20, (1 << 21) - 1] {
            let (buffer, at) = v1_message(&vec![0; len]);
            // SAFETY: as above.
            assert!(!unsafe { surely_headerless(&message(&buffer, at, len)) }, "length {len}");
        }
    }
}

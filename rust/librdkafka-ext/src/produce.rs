//! Sending a record through a topic handle the caller keeps, where rust-rdkafka's
//! `BaseProducer::send` names the topic per record.
//!
//! # Why
//!
//! rust-rdkafka's `send` copies the topic's name into a fresh `CString` for every record, and
//! librdkafka then looks the name up in its topic list (`rd_kafka_topic_new0` under the client's
//! lock, a string compare, the reference taken and dropped): about 350 of the ~4,000 instructions a
//! record cost the producer alone (callgrind, 100-byte records). A source task sends to one topic,
//! or a few, for its whole life: with the topic's handle kept, each record is one
//! `rd_kafka_producev` naming the handle (`RD_KAFKA_VTYPE_RKT`).
//!
//! # What librdkafka does that this relies on (librdkafka 2.12, `src/`)
//!
//! - `rd_kafka_topic_new` returns a new application reference to the topic's handle (creating the
//!   topic object if the client has none yet), or NULL with the error in `rd_kafka_last_error`;
//!   `rd_kafka_topic_destroy` drops that reference, and must run before the client is destroyed.
//!   Handles are safe to use from any thread (`rdkafka.h`: "all of librdkafka's API is thread-safe").
//! - `rd_kafka_producev` with `RD_KAFKA_MSG_F_COPY` copies the key and the value before it returns;
//!   it takes the headers only when it succeeds (on failure they are still the caller's); the
//!   opaque pointer comes back untouched in the record's delivery report, where rust-rdkafka reads
//!   it as the `DeliveryOpaque` (`usize::from_ptr`: the pointer's address).

use std::ffi::{c_void, CString};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use rdkafka::bindings as rdsys;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, Producer as _, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;

/// librdkafka's `RD_KAFKA_PARTITION_UA` (a macro, not in the bindings): the partitioner picks.
const PARTITION_UNASSIGNED: i32 = -1;

/// One record for [`TopicHandle::produce`]: its fields as librdkafka takes them.
pub struct Produce<'a> {
    /// None: the partitioner picks one.
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
    /// Milliseconds since the epoch; None: the time of sending.
    pub timestamp: Option<i64>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
    /// Handed back with the record's delivery report (rust-rdkafka's `usize` delivery opaque).
    pub opaque: usize,
}

/// An application reference to one topic of one producer.
pub struct TopicHandle<C: ProducerContext + 'static> {
    ptr: NonNull<rdsys::rd_kafka_topic_t>,
    /// Keeps the client alive until the handle is destroyed.
    producer: Arc<BaseProducer<C>>,
}

// SAFETY: librdkafka's topic handles may be used and destroyed from any thread; the producer it
// keeps alive is itself `Send + Sync`.
unsafe impl<C: ProducerContext + 'static> Send for TopicHandle<C> {}
// SAFETY: as above; `produce` only reads the pointer.
unsafe impl<C: ProducerContext + 'static> Sync for TopicHandle<C> {}

impl<C: ProducerContext + 'static> TopicHandle<C> {
    /// The handle of `topic` in `producer` (librdkafka's default topic settings).
    pub fn new(producer: &Arc<BaseProducer<C>>, topic: &str) -> Result<Self, KafkaError> {
        let name = CString::new(topic).map_err(KafkaError::from)?;
        // SAFETY: the client is live (`producer` is borrowed); `name` is a NUL-terminated string
        // that outlives the call; a NULL conf means the client's default topic conf.
        let ptr = unsafe { rdsys::rd_kafka_topic_new(producer.client().native_ptr(), name.as_ptr(), ptr::null_mut()) };
        match NonNull::new(ptr) {
            Some(ptr) => Ok(TopicHandle { ptr, producer: producer.clone() }),
            None => {
                // SAFETY: reads the calling thread's last librdkafka error, set by the failed call.
                let code = unsafe { rdsys::rd_kafka_last_error() };
                Err(KafkaError::ClientCreation(format!(
                    "cannot create a handle for topic {topic}: {}",
                    RDKafkaErrorCode::from(code)
                )))
            }
        }
    }

    /// Queues one record (librdkafka copies its bytes). The error is librdkafka's, as rust-rdkafka's
    /// `send` reports it (`KafkaError::MessageProduction`), and means the record was not queued.
    pub fn produce(&self, record: Produce<'_>) -> Result<(), KafkaError> {
        let (payload, payload_len) = as_raw(record.payload);
        let (key, key_len) = as_raw(record.key);
        let headers = if record.headers.is_empty() { ptr::null_mut() } else { new_headers(record.headers)? };
        // SAFETY: the client and the topic handle are live (`self`); the argument list is the one
        // `rd_kafka_producev` reads, each value of the type its tag names, ending with
        // `RD_KAFKA_VTYPE_END`; with `RD_KAFKA_MSG_F_COPY` the key and the value are copied before
        // it returns, so borrowing them for the call is enough; `headers` is NULL or owned here.
        let code = unsafe {
            rdsys::rd_kafka_producev(
                self.producer.client().native_ptr(),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_RKT,
                self.ptr.as_ptr(),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_PARTITION,
                record.partition.unwrap_or(PARTITION_UNASSIGNED),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_MSGFLAGS,
                rdsys::RD_KAFKA_MSG_F_COPY,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_VALUE,
                payload,
                payload_len,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_KEY,
                key,
                key_len,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_OPAQUE,
                record.opaque as *mut c_void,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_TIMESTAMP,
                record.timestamp.unwrap_or(0),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_HEADERS,
                headers,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_END,
            )
        };
        if code == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Ok(());
        }
        if !headers.is_null() {
            // SAFETY: not taken by the failed call: still ours, destroyed once.
            unsafe { rdsys::rd_kafka_headers_destroy(headers) };
        }
        Err(KafkaError::MessageProduction(RDKafkaErrorCode::from(code)))
    }
}

impl<C: ProducerContext + 'static> Drop for TopicHandle<C> {
    fn drop(&mut self) {
        // SAFETY: our reference, dropped once, while `self.producer` keeps the client alive.
        unsafe { rdsys::rd_kafka_topic_destroy(self.ptr.as_ptr()) };
    }
}

/// A byte slice as librdkafka's pointer and length (NULL for none).
fn as_raw(bytes: Option<&[u8]>) -> (*mut c_void, usize) {
    match bytes {
        Some(bytes) => (bytes.as_ptr() as *mut c_void, bytes.len()),
        None => (ptr::null_mut(), 0),
    }
}

/// The record's headers in a fresh librdkafka list (which copies names and values).
fn new_headers(headers: &[(String, Option<Vec<u8>>)]) -> Result<*mut rdsys::rd_kafka_headers_t, KafkaError> {
    // SAFETY: allocates an empty list; never NULL (librdkafka aborts on allocation failure).
    let list = unsafe { rdsys::rd_kafka_headers_new(headers.len()) };
    for (name, value) in headers {
        let (value, value_len) = as_raw(value.as_deref());
        let (Ok(name_len), Ok(value_len)) = (isize::try_from(name.len()), isize::try_from(value_len)) else {
            // SAFETY: the list is ours and not yet handed to librdkafka.
            unsafe { rdsys::rd_kafka_headers_destroy(list) };
            return Err(KafkaError::MessageProduction(RDKafkaErrorCode::InvalidArgument));
        };
        // SAFETY: `list` is live; the name and value are valid for their lengths (a NULL value with
        // length 0 is a header without a value) and copied by the call.
        unsafe { rdsys::rd_kafka_header_add(list, name.as_ptr().cast(), name_len, value, value_len) };
    }
    Ok(list)
}

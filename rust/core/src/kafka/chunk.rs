//! Messages fetched together, copied once into one buffer (a "chunk").
//!
//! librdkafka's messages borrow its consumer, so they cannot cross to the task thread as they
//! are. Copying each into an owned `ConsumedMessage` costs two or three allocations per record;
//! a chunk costs a few per several hundred records: one byte buffer for every key, value and
//! header of the chunk, one table of coordinates, and topic names shared as `Arc<str>`. The task
//! thread reads the bytes in place ([`MessageRef`]), and a record keeps its original bytes for the
//! dead letter queue by holding the chunk ([`RawMessage`]), which only then become a
//! `ConsumedMessage`.

use std::ops::Range;
use std::sync::Arc;

use rdkafka::message::{Headers, Message};

use super::consumer::{ConsumedMessage, TimestampType, TopicPartition};

/// Where one message's parts lie in the chunk's buffer.
#[derive(Debug, Clone)]
struct Entry {
    /// Index in `MessageChunk::topics`.
    topic: u32,
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    timestamp_type: TimestampType,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    /// Range of `MessageChunk::headers`.
    headers: Range<usize>,
}

/// A header's name and value in the chunk's buffer.
#[derive(Debug, Clone)]
struct HeaderEntry {
    name: Range<usize>,
    value: Option<Range<usize>>,
}

/// Messages fetched together; immutable once built, shared by the records made from them.
#[derive(Debug, Default)]
pub struct MessageChunk {
    data: Vec<u8>,
    entries: Vec<Entry>,
    headers: Vec<HeaderEntry>,
    /// The topics of the chunk's messages (usually one).
    topics: Vec<Arc<str>>,
}

impl MessageChunk {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The message at `index` (panics when out of range).
    pub fn get(&self, index: usize) -> MessageRef<'_> {
        MessageRef { chunk: self, entry: &self.entries[index] }
    }
}

/// Builds a chunk message by message on the consumer's thread.
#[derive(Default)]
pub struct ChunkBuilder {
    chunk: MessageChunk,
    /// Topic names seen so far, shared by every chunk this builder makes.
    known: Vec<Arc<str>>,
}

impl ChunkBuilder {
    /// Copies a message's parts in (the message itself can then go back to librdkafka).
    pub fn push(&mut self, message: &impl Message) {
        let (timestamp, timestamp_type) = match message.timestamp() {
            rdkafka::Timestamp::NotAvailable => (None, TimestampType::NoTimestampType),
            rdkafka::Timestamp::CreateTime(t) => (Some(t), TimestampType::CreateTime),
            rdkafka::Timestamp::LogAppendTime(t) => (Some(t), TimestampType::LogAppendTime),
        };
        let topic = self.topic(message.topic());
        let chunk = &mut self.chunk;
        let key = message.key().map(|b| append(&mut chunk.data, b));
        let value = message.payload().map(|b| append(&mut chunk.data, b));
        let first_header = chunk.headers.len();
        if let Some(headers) = message.headers() {
            for header in headers.iter() {
                let name = append(&mut chunk.data, header.key.as_bytes());
                let value = header.value.map(|b| append(&mut chunk.data, b));
                chunk.headers.push(HeaderEntry { name, value });
            }
        }
        chunk.entries.push(Entry {
            topic,
            partition: message.partition(),
            offset: message.offset(),
            timestamp,
            timestamp_type,
            key,
            value,
            headers: first_header..chunk.headers.len(),
        });
    }

    /// The index of topic `name` in the chunk's topics (one reference count per chunk, not per
    /// message: the task thread releases them).
    fn topic(&mut self, name: &str) -> u32 {
        let topics = &mut self.chunk.topics;
        // Usually the last one: the messages of a chunk come in runs of one partition.
        if let Some(index) = topics.iter().rposition(|t| **t == *name) {
            return index as u32;
        }
        let topic = match self.known.iter().find(|t| ***t == *name) {
            Some(topic) => topic.clone(),
            None => {
                let topic: Arc<str> = Arc::from(name);
                self.known.push(topic.clone());
                topic
            }
        };
        topics.push(topic);
        (topics.len() - 1) as u32
    }

    /// Messages pushed since the last `take`.
    pub fn len(&self) -> usize {
        self.chunk.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunk.entries.is_empty()
    }

    /// The chunk built so far; the next one starts empty with room for as much.
    pub fn take(&mut self) -> ChunkSlice {
        let next = MessageChunk {
            data: Vec::with_capacity(self.chunk.data.len()),
            entries: Vec::with_capacity(self.chunk.entries.len()),
            headers: Vec::new(),
            topics: Vec::new(),
        };
        let chunk = Arc::new(std::mem::replace(&mut self.chunk, next));
        ChunkSlice { range: 0..chunk.len(), chunk }
    }
}

fn append(data: &mut Vec<u8>, bytes: &[u8]) -> Range<usize> {
    let start = data.len();
    data.extend_from_slice(bytes);
    start..data.len()
}

/// One message of a chunk, borrowed.
#[derive(Clone, Copy)]
pub struct MessageRef<'a> {
    chunk: &'a MessageChunk,
    entry: &'a Entry,
}

impl<'a> MessageRef<'a> {
    pub fn topic(&self) -> &'a str {
        self.topic_arc()
    }

    /// The topic name, shared with every message of that topic.
    pub fn topic_arc(&self) -> &'a Arc<str> {
        &self.chunk.topics[self.entry.topic as usize]
    }

    pub fn partition(&self) -> i32 {
        self.entry.partition
    }

    pub fn offset(&self) -> i64 {
        self.entry.offset
    }

    pub fn timestamp(&self) -> Option<i64> {
        self.entry.timestamp
    }

    pub fn timestamp_type(&self) -> TimestampType {
        self.entry.timestamp_type
    }

    pub fn key(&self) -> Option<&'a [u8]> {
        self.entry.key.clone().map(|r| &self.chunk.data[r])
    }

    pub fn value(&self) -> Option<&'a [u8]> {
        self.entry.value.clone().map(|r| &self.chunk.data[r])
    }

    pub fn header_count(&self) -> usize {
        self.entry.headers.len()
    }

    /// Headers in order: name and value (`None`: a null value).
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&'a str, Option<&'a [u8]>)> + 'a {
        let chunk = self.chunk;
        chunk.headers[self.entry.headers.clone()].iter().map(move |h| {
            // Names were copied from `&str`, so they are valid UTF-8.
            let name = std::str::from_utf8(&chunk.data[h.name.clone()]).unwrap_or_default();
            (name, h.value.clone().map(|r| &chunk.data[r]))
        })
    }

    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition::new(self.topic(), self.partition())
    }

    /// Whether this message belongs to `tp`.
    pub fn is_of(&self, tp: &TopicPartition) -> bool {
        self.partition() == tp.partition && self.topic() == tp.topic
    }

    /// An owned copy (for error reports and the dead letter queue).
    pub fn to_consumed(&self) -> ConsumedMessage {
        ConsumedMessage {
            topic: self.topic().to_owned(),
            partition: self.partition(),
            offset: self.offset(),
            key: self.key().map(<[u8]>::to_vec),
            value: self.value().map(<[u8]>::to_vec),
            timestamp: self.timestamp(),
            timestamp_type: self.timestamp_type(),
            headers: self.headers().map(|(k, v)| (k.to_owned(), v.map(<[u8]>::to_vec))).collect(),
        }
    }
}

/// A message that keeps its chunk alive: a record's original bytes.
#[derive(Clone)]
pub struct RawMessage {
    chunk: Arc<MessageChunk>,
    index: usize,
}

impl RawMessage {
    pub fn get(&self) -> MessageRef<'_> {
        self.chunk.get(self.index)
    }
}

impl std::fmt::Debug for RawMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.get();
        write!(f, "RawMessage({}-{}@{})", m.topic(), m.partition(), m.offset())
    }
}

/// Consecutive messages of one chunk, as the consumer queues them for the task.
#[derive(Clone)]
pub struct ChunkSlice {
    chunk: Arc<MessageChunk>,
    range: Range<usize>,
}

impl ChunkSlice {
    pub fn len(&self) -> usize {
        self.range.len()
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = MessageRef<'_>> + '_ {
        self.range.clone().map(|i| self.chunk.get(i))
    }

    /// The `n`-th message of the slice, keeping the chunk alive.
    pub fn raw(&self, n: usize) -> RawMessage {
        debug_assert!(n < self.len());
        RawMessage { chunk: self.chunk.clone(), index: self.range.start + n }
    }

    /// Splits off and returns the first `n` messages (all of them if fewer).
    pub fn take_front(&mut self, n: usize) -> ChunkSlice {
        let end = self.range.start + n.min(self.len());
        let front = ChunkSlice { chunk: self.chunk.clone(), range: self.range.start..end };
        self.range.start = end;
        front
    }

    /// The runs of messages for which `keep` holds (dropping the others), in order.
    pub fn retain(self, mut keep: impl FnMut(&MessageRef<'_>) -> bool) -> Vec<ChunkSlice> {
        let mut runs = Vec::new();
        let mut start = None;
        for i in self.range.clone() {
            match (keep(&self.chunk.get(i)), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    runs.push(ChunkSlice { chunk: self.chunk.clone(), range: s..i });
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            runs.push(ChunkSlice { chunk: self.chunk, range: s..self.range.end });
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::message::{Header, OwnedHeaders, OwnedMessage, Timestamp};

    fn message(topic: &str, partition: i32, offset: i64, value: &[u8], headers: Option<OwnedHeaders>) -> OwnedMessage {
        OwnedMessage::new(
            Some(value.to_vec()),
            (offset % 2 == 0).then(|| b"k".to_vec()),
            topic.to_owned(),
            Timestamp::CreateTime(1000 + offset),
            partition,
            offset,
            headers,
        )
    }

    fn chunk_of(messages: &[OwnedMessage]) -> ChunkSlice {
        let mut builder = ChunkBuilder::default();
        messages.iter().for_each(|m| builder.push(m));
        builder.take()
    }

    #[test]
    fn a_chunk_keeps_every_part_of_every_message() {
        let headers = OwnedHeaders::new()
            .insert(Header { key: "a", value: Some("1") })
            .insert(Header { key: "b", value: None::<&[u8]> });
        let slice = chunk_of(&[message("t", 0, 4, b"four", Some(headers)), message("u", 1, 5, b"", None)]);
        let all: Vec<ConsumedMessage> = slice.iter().map(|m| m.to_consumed()).collect();
        assert_eq!(
            all[0],
            ConsumedMessage {
                topic: "t".into(),
                partition: 0,
                offset: 4,
                key: Some(b"k".to_vec()),
                value: Some(b"four".to_vec()),
                timestamp: Some(1004),
                timestamp_type: TimestampType::CreateTime,
                headers: vec![("a".into(), Some(b"1".to_vec())), ("b".into(), None)],
            }
        );
        assert_eq!((all[1].key.as_deref(), all[1].value.as_deref(), all[1].headers.len()), (None, Some(&b""[..]), 0));
        assert_eq!(slice.raw(1).get().topic_partition(), TopicPartition::new("u", 1));
    }

    #[test]
    fn topics_are_shared_and_the_next_chunk_starts_empty() {
        let mut builder = ChunkBuilder::default();
        builder.push(&message("t", 0, 0, b"x", None));
        let first = builder.take();
        assert!(builder.is_empty());
        builder.push(&message("t", 0, 1, b"y", None));
        let second = builder.take();
        let (a, b) = (first.iter().next().unwrap(), second.iter().next().unwrap());
        assert!(Arc::ptr_eq(a.topic_arc(), b.topic_arc()));
        assert_eq!((b.offset(), b.value()), (1, Some(&b"y"[..])));
    }

    #[test]
    fn slices_split_and_filter_in_order() {
        let messages: Vec<_> = (0..6).map(|i| message("t", (i % 3) as i32, i, b"v", None)).collect();
        let mut slice = chunk_of(&messages);
        let front = slice.take_front(2);
        assert_eq!(front.iter().map(|m| m.offset()).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(slice.len(), 4);
        let runs = slice.retain(|m| m.partition() != 0);
        assert_eq!(runs.len(), 2, "offset 3 (partition 0) splits the rest in two runs");
        let offsets: Vec<i64> = runs.iter().flat_map(|r| r.iter().map(|m| m.offset())).collect();
        assert_eq!(offsets, [2, 4, 5]);
    }
}

//! The partition Java's default partitioner gives a keyed record: `murmur2(key)` with Kafka's
//! seed, made positive, modulo the partition count (`BuiltInPartitioner.partitionForKey`).
//!
//! librdkafka's `murmur2_random` partitioner is the same function, but it is a setting of a whole
//! producer; an exactly-once source task writes its data records with its own partitioner and
//! its offsets records, in the same transaction, where a Java worker would read them for the
//! same key: so their partition is computed here.

/// The partition of a record with this key in a topic of `partitions` partitions.
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    let hash = murmur2::murmur2(key, murmur2::KAFKA_SEED) as i32;
    (hash & 0x7fff_ffff) % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_kafkas() {
        // The cases of Kafka's `UtilsTest.testMurmur2`.
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ];
        for (key, expected) in cases {
            assert_eq!(murmur2::murmur2(key, murmur2::KAFKA_SEED) as i32, expected, "{key:?}");
        }
        assert_eq!(partition_for_key(b"21", 25), (-973932308i32 & 0x7fff_ffff) % 25);
    }
}

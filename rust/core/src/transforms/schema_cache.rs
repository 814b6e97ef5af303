//! The per-instance cache of derived schemas Kafka's transforms keep (`SynchronizedCache` over an
//! `LRUCache` of 16): input schema → the schema the transform derives from it, so a record with a
//! schema seen before reuses the derived one (and its `Arc`) instead of building it again.

use std::sync::Arc;

use crate::data::SchemaRef;

/// Kafka's cache size for derived schemas.
const CAPACITY: usize = 16;

/// Least recently used first; a lookup compares by pointer before comparing by value (records of
/// one stream usually share their schema's `Arc`).
#[derive(Debug, Default)]
pub(crate) struct SchemaCache {
    entries: Vec<(SchemaRef, SchemaRef)>,
}

impl SchemaCache {
    pub(crate) fn new() -> Self {
        SchemaCache::default()
    }

    /// The derived schema of `key`, built by `derive` when not cached. A `derive` error is not cached.
    pub(crate) fn get_or_try_insert<E>(
        &mut self,
        key: &SchemaRef,
        derive: impl FnOnce() -> Result<SchemaRef, E>,
    ) -> Result<SchemaRef, E> {
        let hit = self
            .entries
            .iter()
            .position(|(k, _)| Arc::ptr_eq(k, key))
            .or_else(|| self.entries.iter().position(|(k, _)| **k == **key));
        if let Some(index) = hit {
            let entry = self.entries.remove(index);
            let derived = entry.1.clone();
            self.entries.push(entry);
            return Ok(derived);
        }
        let derived = derive()?;
        if self.entries.len() == CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((key.clone(), derived.clone()));
        Ok(derived)
    }

    /// Kafka's `close` drops the cache.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, SchemaBuilder, SchemaType};
    use crate::error::{Error, Result};

    #[test]
    fn caches_by_value_and_evicts_the_least_recently_used() {
        let mut cache = SchemaCache::new();
        let key = |v: i32| SchemaBuilder::int32().version(v).build().unwrap();
        let first = cache.get_or_try_insert::<()>(&key(0), || Ok(Schema::of(SchemaType::String))).unwrap();
        // An equal schema in another Arc hits.
        let again = cache.get_or_try_insert::<()>(&key(0), || panic!("cached")).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        for v in 1..=16 {
            cache.get_or_try_insert::<()>(&key(v), || Ok(Schema::of(SchemaType::Int8))).unwrap();
        }
        let mut rebuilt = false;
        cache
            .get_or_try_insert::<()>(&key(0), || {
                rebuilt = true;
                Ok(Schema::of(SchemaType::String))
            })
            .unwrap();
        assert!(rebuilt);
    }

    fn named(name: &str) -> SchemaRef {
        SchemaBuilder::int32().name(name).build().unwrap()
    }

    #[test]
    fn cache_keys_by_equal_schema_and_evicts_the_least_recently_used() {
        let mut cache = SchemaCache::new();
        let mut builds = 0;
        let first = cache
            .get_or_try_insert(&named("a"), || {
                builds += 1;
                Ok::<_, Error>(named("A"))
            })
            .unwrap();
        // An equal schema in another Arc hits, and gets the same derived Arc.
        let again = cache.get_or_try_insert(&named("a"), || -> Result<SchemaRef> { unreachable!() }).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(builds, 1);
        for i in 0..CAPACITY {
            cache.get_or_try_insert(&named(&i.to_string()), || Ok::<_, Error>(named("x"))).unwrap();
        }
        // "a" was the least recently used of 17: gone.
        let mut rebuilt = false;
        cache
            .get_or_try_insert(&named("a"), || {
                rebuilt = true;
                Ok::<_, Error>(named("A"))
            })
            .unwrap();
        assert!(rebuilt);
    }
}

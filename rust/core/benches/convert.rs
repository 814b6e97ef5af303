//! Criterion benchmark: a batch of 10,000 structs (10 fields of mixed types, including a Decimal
//! and a Timestamp) through the JsonConverter to bytes and back, with and without the envelope.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferroconnect_core::convert::{Converter, JsonConfig, JsonConverter};
use ferroconnect_core::data::logical;
use ferroconnect_core::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};

const BATCH: usize = 10_000;

fn schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("bench.Order")
        .field("id", Schema::of(SchemaType::Int64))
        .field("customer", Schema::of(SchemaType::String))
        .field("quantity", Schema::of(SchemaType::Int32))
        .field("price", Arc::new(logical::decimal_schema(2, false)))
        .field("discount", Schema::of(SchemaType::Float64))
        .field("paid", Schema::of(SchemaType::Boolean))
        .field("created", logical::timestamp_schema(false))
        .field("note", Schema::optional_of(SchemaType::String))
        .field("tags", SchemaBuilder::array(Schema::of(SchemaType::String)).build().unwrap())
        .field("payload", Schema::of(SchemaType::Bytes))
        .build()
        .unwrap()
}

fn batch(schema: &SchemaRef) -> Vec<Value> {
    (0..BATCH)
        .map(|i| {
            let s = Struct::new(schema.clone())
                .unwrap()
                .with("id", i as i64)
                .unwrap()
                .with("customer", format!("customer-{i}"))
                .unwrap()
                .with("quantity", (i % 100) as i32)
                .unwrap()
                .with("price", Value::Bytes(((i as i64) * 1999).to_be_bytes().to_vec()))
                .unwrap()
                .with("discount", 0.05 * (i % 7) as f64)
                .unwrap()
                .with("paid", i % 2 == 0)
                .unwrap()
                .with("created", 1_729_800_000_000 + i as i64)
                .unwrap()
                .with("note", if i % 3 == 0 { Value::Null } else { Value::from("gift \"wrap\"") })
                .unwrap()
                .with("tags", Value::Array(vec![Value::from("a"), Value::from("b")]))
                .unwrap()
                .with("payload", Value::Bytes(vec![i as u8; 16]))
                .unwrap();
            Value::Struct(s)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let schema = schema();
    let values = batch(&schema);
    let mut group = c.benchmark_group("json_10k_structs");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    for (label, enable) in [("envelope", "true"), ("no_envelope", "false")] {
        let settings = [("schemas.enable".to_owned(), enable.to_owned())].into_iter().collect();
        let converter = JsonConverter::new(JsonConfig::from_settings(&settings).unwrap());
        let encoded: Vec<Vec<u8>> =
            values.iter().map(|v| converter.from_connect_data("t", Some(&schema), v).unwrap().unwrap()).collect();
        group.bench_function(format!("to_bytes/{label}"), |b| {
            b.iter(|| {
                for v in &values {
                    black_box(converter.from_connect_data("t", Some(&schema), v).unwrap());
                }
            })
        });
        if enable == "true" {
            group.bench_function(format!("from_bytes/{label}"), |b| {
                b.iter(|| {
                    for bytes in &encoded {
                        black_box(converter.to_connect_data("t", Some(bytes)).unwrap());
                    }
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

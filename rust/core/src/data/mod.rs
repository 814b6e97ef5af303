//! Kafka Connect's runtime data model: schemas and the values they describe.
//!
//! - `schema.rs`: `Schema`, `SchemaType`, `Field`, predefined schemas (`Schema::of`).
//! - `builder.rs`: `SchemaBuilder`, Kafka's fluent builder.
//! - `value.rs`: `Value`, `Struct` (put/get/validate), `SchemaAndValue`.
//! - `validate.rs`: checking a value against a schema, with the field path (`path.rs`) in errors.
//! - `logical.rs` + `decimal.rs`: Decimal, Date, Time, Timestamp (values stay in physical form).
//! - `project.rs`: schema compatibility for sinks and Kafka's `SchemaProjector`.
//! - `javafmt.rs`, `values.rs`, `values_parse.rs`: values as Java and Kafka's `Values` write and
//!   read them as text (used by the converters).
//!
//! Values cross the Python boundary once per batch and are serialized by converters (`crate::convert`).

mod builder;
pub mod decimal;
pub mod javafmt;
pub mod logical;
mod path;
mod project;
mod schema;
mod validate;
mod value;
pub mod values;
pub mod values_parse;

pub use builder::SchemaBuilder;
pub use decimal::BigDecimal;
pub use logical::LogicalType;
pub use path::ValuePath;
pub use project::{check_compatible, is_promotable, project};
pub use schema::{Field, Parameters, Schema, SchemaRef, SchemaType};
pub use validate::validate_value;
pub use value::{SchemaAndValue, Struct, Value};

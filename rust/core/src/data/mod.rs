//! Kafka Connect's runtime data model: schemas and the values they describe.
//!
//! Values cross the Python boundary once per batch and are serialized by converters (`crate::convert`).

mod schema;
mod value;

pub use schema::{Field, Schema, SchemaRef, SchemaType};
pub use value::{SchemaAndValue, Struct, Value};

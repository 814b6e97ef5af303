//! Struct validation: each invalid case Kafka rejects is rejected, with the field path.

use ferroconnect_core::data::logical;
use ferroconnect_core::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};

fn person() -> SchemaRef {
    let address = SchemaBuilder::struct_()
        .name("Address")
        .field("city", Schema::of(SchemaType::String))
        .field("zip", Schema::optional_of(SchemaType::Int32))
        .build()
        .unwrap();
    SchemaBuilder::struct_()
        .name("Person")
        .field("name", Schema::of(SchemaType::String))
        .field("age", Schema::of(SchemaType::Int32))
        .field("admin", SchemaBuilder::boolean().default_value(false).build().unwrap())
        .field("address", address)
        .field("tags", SchemaBuilder::array(Schema::of(SchemaType::String)).optional().build().unwrap())
        .field("born", logical::date_schema(true))
        .field("wake", logical::time_schema(true))
        .build()
        .unwrap()
}

fn err(result: ferroconnect_core::Result<impl std::fmt::Debug>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn put_rejects_each_invalid_case_with_the_field() {
    let schema = person();
    let mut s = Struct::new(schema.clone()).unwrap();
    assert_eq!(err(s.put("nope", 1)), "nope is not a valid field name");
    assert_eq!(err(s.put("age", "x")), "Invalid value for schema with type INT32: string for field: \"age\"");
    assert_eq!(err(s.put("age", 1i64)), "Invalid value for schema with type INT32: int64 for field: \"age\"");
    assert_eq!(
        err(s.put("name", Value::Null)),
        "Invalid value: null used for required field: \"name\", schema type: STRING"
    );
    // Kafka refuses an explicit null even where a default exists; validate() accepts it unset.
    assert!(s.put("admin", Value::Null).is_err());
    let tags = Value::Array(vec![Value::from("a"), Value::Int32(2)]);
    assert!(err(s.put("tags", tags)).contains("field: \"tags[1]\""));
    let other = SchemaBuilder::struct_().name("Address").field("city", Schema::of(SchemaType::String)).build().unwrap();
    let wrong_nested = Struct::new(other).unwrap().with("city", "x").unwrap();
    assert!(err(s.put("address", wrong_nested)).contains("Struct schemas do not match"));
    let address_schema = schema.field("address").unwrap().schema.clone();
    let incomplete = Struct::new(address_schema).unwrap();
    assert!(err(s.put("address", incomplete)).contains("field: \"address.city\""));
    assert!(err(s.put("wake", Value::Int32(86_400_001))).contains("Time values must use"));
    assert!(Struct::new(Schema::of(SchemaType::Int32)).is_err());
}

#[test]
fn validate_wants_every_required_field_without_default() {
    let schema = person();
    let address = Struct::new(schema.field("address").unwrap().schema.clone()).unwrap().with("city", "Boston").unwrap();
    let mut s = Struct::new(schema).unwrap();
    s.put("name", "Barbara Liskov").unwrap().put("age", 75).unwrap();
    assert!(err(s.validate()).contains("field: \"address\""));
    s.put("address", address).unwrap();
    s.validate().unwrap();
    assert_eq!(s.get("admin").unwrap(), &Value::Boolean(false));
    assert_eq!(s.get_without_default("admin").unwrap(), &Value::Null);
    assert_eq!(s.to_string(), "Struct{name=Barbara Liskov,age=75,address=Struct{city=Boston}}");
}

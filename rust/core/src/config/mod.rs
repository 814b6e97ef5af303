//! Configuration definitions (Kafka's `ConfigDef`) and Java `.properties` files.

mod def;
mod properties;
pub mod providers;
mod report;

pub use def::{
    config_error_message, parse_value, ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator, Width,
};
pub use properties::read_properties;
pub use providers::ConfigProviders;
pub use report::ConfigValueReport;

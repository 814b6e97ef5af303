//! What validating a config reports per key (Kafka's `ConfigValue`): the value as text, the
//! errors, the recommended values and whether a UI should show the key. The REST validate endpoint
//! turns these into `ConfigValueInfo`.

use super::{ConfigDef, ConfigValue};
use crate::runtime::plugin::Config;

/// The outcome of validating one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValueReport {
    pub name: String,
    /// The parsed value as Kafka prints it (`[hidden]` for passwords); `None` when null or unparsable.
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

impl ConfigValueReport {
    /// A report for a key with no definition (e.g. an error a connector adds for an unknown key).
    pub fn undefined(name: &str, errors: Vec<String>) -> Self {
        ConfigValueReport { name: name.to_owned(), value: None, recommended_values: Vec::new(), errors, visible: true }
    }
}

impl ConfigDef {
    /// Every defined key's report (Kafka's `ConfigDef.validate`), in definition order.
    pub fn validate_all(&self, props: &Config) -> Vec<ConfigValueReport> {
        self.validate(props)
            .into_iter()
            .map(|(name, outcome)| {
                let (value, errors) = match outcome {
                    Ok(ConfigValue::Null) => (None, Vec::new()),
                    Ok(value) => (Some(value.to_string()), Vec::new()),
                    // As Kafka's `parseForValidate`: a value that parses is shown even when its
                    // validator refuses it (`tasks.max` 0 shows "0"); one that does not parse, null.
                    Err(errors) => {
                        let parsed = self
                            .key(&name)
                            .zip(props.get(&name))
                            .and_then(|(key, raw)| super::parse_value(&name, key.config_type, raw).ok());
                        (parsed.filter(|v| !matches!(v, ConfigValue::Null)).map(|v| v.to_string()), errors)
                    }
                };
                ConfigValueReport { name, value, recommended_values: Vec::new(), errors, visible: true }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigKey, ConfigType, Importance};

    #[test]
    fn reports_hide_passwords_and_list_errors() {
        let def = ConfigDef::new()
            .define(ConfigKey::new("secret", ConfigType::Password, None, Importance::High, ""))
            .unwrap()
            .define(ConfigKey::new("n", ConfigType::Int, None, Importance::High, ""))
            .unwrap();
        let props: Config = [("secret".to_owned(), "hunter2".to_owned())].into();
        let reports = def.validate_all(&props);
        assert_eq!(reports[0].value.as_deref(), Some("[hidden]"));
        assert!(reports[0].errors.is_empty());
        assert_eq!(
            reports[1].errors,
            vec!["Missing required configuration \"n\" which has no default value.".to_owned()]
        );
    }
}

//! Connectors built into the runtime, written in Rust. The worker's plugin loader consults them by
//! class name before any other loader (see [`BuiltinsFirst`]), so a `connector.class` naming one
//! never reaches Python.

pub mod counting_sink;
pub mod file_stream;
pub mod generator;

use std::sync::Arc;

use crate::error::Result;
use crate::runtime::plugin::{Connector, PluginDesc, PluginLoader};

/// A built-in connector: the names it answers to (full class name first) and how to make one.
struct Builtin {
    names: &'static [&'static str],
    make: fn() -> Arc<dyn Connector>,
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        names: &[counting_sink::CLASS, "CountingSinkConnector", "CountingSink"],
        make: || Arc::new(counting_sink::CountingSinkConnector::default()),
    },
    Builtin {
        names: &[generator::CLASS, "GeneratorSourceConnector", "GeneratorSource"],
        make: || Arc::new(generator::GeneratorSourceConnector::default()),
    },
    Builtin {
        names: &[file_stream::SOURCE_CLASS, "FileStreamSourceConnector", "FileStreamSource"],
        make: || Arc::new(file_stream::FileStreamSourceConnector::default()),
    },
    Builtin {
        names: &[file_stream::SINK_CLASS, "FileStreamSinkConnector", "FileStreamSink"],
        make: || Arc::new(file_stream::FileStreamSinkConnector::default()),
    },
];

/// A new instance of the built-in connector of this class name (or alias), if there is one.
pub fn builtin_connector(class: &str) -> Option<Arc<dyn Connector>> {
    BUILTINS.iter().find(|b| b.names.contains(&class)).map(|b| (b.make)())
}

/// The full class names of the built-in connectors.
pub fn builtin_classes() -> Vec<&'static str> {
    BUILTINS.iter().map(|b| b.names[0]).collect()
}

/// A plugin loader that answers built-in class names itself and asks `fallback` (for example the
/// Python loader) for every other name.
pub struct BuiltinsFirst {
    fallback: Arc<dyn PluginLoader>,
}

impl BuiltinsFirst {
    pub fn new(fallback: Arc<dyn PluginLoader>) -> Self {
        BuiltinsFirst { fallback }
    }
}

impl PluginLoader for BuiltinsFirst {
    fn load_connector(&self, class: &str) -> Result<Arc<dyn Connector>> {
        match builtin_connector(class) {
            Some(connector) => Ok(connector),
            None => self.fallback.load_connector(class),
        }
    }

    /// The built-in connectors, then the fallback's (`GET /connector-plugins`).
    fn connector_plugins(&self) -> Result<Vec<PluginDesc>> {
        let mut plugins: Vec<PluginDesc> = BUILTINS
            .iter()
            .map(|b| {
                let connector = (b.make)();
                PluginDesc { class: b.names[0].to_owned(), kind: connector.kind().into(), version: connector.version() }
            })
            .collect();
        plugins.extend(self.fallback.connector_plugins()?);
        Ok(plugins)
    }

    fn transform_loader(&self) -> Option<Arc<dyn crate::transforms::chain::TransformLoader>> {
        self.fallback.transform_loader()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::runtime::plugin::ConnectorKind;

    struct NoPlugins;

    impl PluginLoader for NoPlugins {
        fn load_connector(&self, class: &str) -> Result<Arc<dyn Connector>> {
            Err(Error::config("connector.class", format!("no plugin {class}")))
        }
    }

    #[test]
    fn builtins_answer_their_names_and_the_fallback_the_rest() {
        let loader = BuiltinsFirst::new(Arc::new(NoPlugins));
        for name in [counting_sink::CLASS, "CountingSinkConnector", "CountingSink"] {
            assert_eq!(loader.load_connector(name).ok().map(|c| c.kind()), Some(ConnectorKind::Sink));
        }
        for name in [generator::CLASS, "GeneratorSourceConnector", "GeneratorSource"] {
            assert_eq!(loader.load_connector(name).ok().map(|c| c.kind()), Some(ConnectorKind::Source));
        }
        for name in [file_stream::SOURCE_CLASS, "FileStreamSourceConnector", "FileStreamSource"] {
            assert_eq!(loader.load_connector(name).ok().map(|c| c.kind()), Some(ConnectorKind::Source));
        }
        for name in [file_stream::SINK_CLASS, "FileStreamSinkConnector", "FileStreamSink"] {
            assert_eq!(loader.load_connector(name).ok().map(|c| c.kind()), Some(ConnectorKind::Sink));
        }
        let missing = loader.load_connector("pkg.Missing").err().expect("not built in").to_string();
        assert!(missing.contains("no plugin pkg.Missing"), "{missing}");
        let all = vec![counting_sink::CLASS, generator::CLASS, file_stream::SOURCE_CLASS, file_stream::SINK_CLASS];
        assert_eq!(builtin_classes(), all);
        let listed = loader.connector_plugins().unwrap();
        assert_eq!(listed.iter().map(|p| p.class.as_str()).collect::<Vec<_>>(), all);
    }
}

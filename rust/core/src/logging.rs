//! Log levels that change at run time: Kafka Connect's `/admin/loggers` (KIP-495) over `tracing`.
//!
//! A logger is a `tracing` target (`ferroconnect_core::runtime::worker`); `root` is the default
//! level. Like log4j's, a logger "exists" once code has logged through it (here: once a callsite
//! of that target was registered), and setting a namespace sets it and every known logger under
//! it. The levels live in one table; each change rebuilds an `EnvFilter` from it and swaps it in
//! through `tracing_subscriber::reload`, so nothing is restarted and no record is lost.
//!
//! The table works without a subscriber too (an embedding application may install its own): the
//! REST API then reports and records levels, and [`init_stderr`] applies them when called.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime as Clock};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer, Registry};

pub mod context;

/// log4j's name of the root logger (matched case-insensitively, as log4j does).
pub const ROOT_LOGGER: &str = "root";

/// A logger's level as `GET /admin/loggers` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LoggerLevel {
    /// log4j's level name (`INFO`, `DEBUG`, ...).
    pub level: String,
    /// When the level was last set through this API, in ms since the epoch; null if never.
    pub last_modified: Option<u64>,
}

/// Why a level change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLevel(pub String);

type Reloader = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

struct Table {
    root: String,
    root_modified: Option<u64>,
    /// Loggers whose level was set explicitly: name → (level, last modified).
    explicit: BTreeMap<String, (String, Option<u64>)>,
    /// Targets seen by the subscriber (log4j's "current loggers").
    known: BTreeSet<String>,
    /// Directives of the startup filter that are not plain `target=level` (span filters): kept.
    extra: Vec<String>,
}

/// The process's logger levels (one per process, as log4j's are).
pub struct Loggers {
    table: Mutex<Table>,
    reload: OnceLock<Reloader>,
}

impl Loggers {
    /// A table where every logger is at log4j's default root level, INFO.
    fn new() -> Self {
        Loggers {
            table: Mutex::new(Table {
                root: "INFO".into(),
                root_modified: None,
                explicit: BTreeMap::new(),
                known: BTreeSet::new(),
                extra: Vec::new(),
            }),
            reload: OnceLock::new(),
        }
    }
}

/// The process-wide logger table.
pub fn loggers() -> &'static Loggers {
    static LOGGERS: OnceLock<Loggers> = OnceLock::new();
    LOGGERS.get_or_init(Loggers::new)
}

/// Where log events go once filtered: stderr (the CLI), Python's `logging` (embedded), ...
pub type OutputLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Installs the process's subscriber: `output`, behind one filter built from `filter` (a level
/// such as `info`, or `tracing` directives such as `info,ferroconnect_core::runtime=debug`) that
/// [`Loggers::set_level`] changes at run time. Returns false if a subscriber was already installed.
/// `output` finds each event's connector context with [`context::event_context`].
pub fn init_with(filter: &str, output: OutputLayer) -> bool {
    let loggers = loggers();
    loggers.load_directives(filter);
    let (layer, handle) = reload::Layer::new(loggers.env_filter());
    // The context layer first, so that a span's context is stored before an output sees the span;
    // KnownTargets outermost: it sees every callsite, even those the filter turns off.
    let with_context = context::ContextLayer.and_then(output);
    let installed = tracing_subscriber::registry().with(with_context).with(layer).with(KnownTargets).try_init().is_ok();
    if installed {
        let _ = loggers.reload.set(Box::new(move |filter| handle.reload(filter).map_err(|e| e.to_string())));
    }
    installed
}

/// [`init_with`] text lines on stderr (the command line); colours only when stderr is a terminal,
/// so that a redirected log file holds no escape codes.
pub fn init_stderr(filter: &str) -> bool {
    let ansi = std::io::stderr().is_terminal();
    init_with(
        filter,
        Box::new(
            tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi).event_format(ContextFormat),
        ),
    )
}

/// The CLI's line: time, level, the connector context (Kafka's `[name|task-0] `, KIP-449), the
/// message and the event's other fields, as `tracing`'s own format without the span list.
struct ContextFormat;

impl<S, N> FormatEvent<S, N> for ContextFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        Clock.format_time(&mut writer)?;
        let level = *event.metadata().level();
        if writer.has_ansi_escapes() {
            let colour = match level {
                Level::ERROR => "31",
                Level::WARN => "33",
                Level::INFO => "32",
                Level::DEBUG => "34",
                Level::TRACE => "35",
            };
            write!(writer, " \x1b[{colour}m{level:>5}\x1b[0m ")?;
        } else {
            write!(writer, " {level:>5} ")?;
        }
        if let Some(context) = context::scope_context(ctx.event_scope()) {
            writer.write_str(&context.prefix)?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Checks a log filter as [`init_with`] reads it: each comma-separated part is a level (`info`,
/// or log4j's names such as `WARN`), `target=level`, or a `tracing` directive with spans or
/// fields. A bare word that is no level (`bogus`) would be read by `tracing` as a target to log
/// at TRACE, silently: refused instead.
pub fn check_filter(filter: &str) -> std::result::Result<(), String> {
    let levels = "off, error, warn, info, debug, trace";
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = match directive.rsplit_once('=') {
            Some((_, level)) => level,
            None if directive.contains(['[', '{']) => "trace",
            None => directive,
        };
        if filter_level(&level.to_ascii_uppercase()).is_none() {
            return Err(format!("'{directive}' is not a level ({levels}) nor target=level"));
        }
        EnvFilter::builder().parse(directive).map_err(|e| format!("'{directive}': {e}"))?;
    }
    Ok(())
}

/// Records every target a callsite logs through, so that `/admin/loggers/{name}` can tell known
/// loggers from unknown ones. It filters nothing.
struct KnownTargets;

impl<S: tracing::Subscriber> Layer<S> for KnownTargets {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        loggers().note_target(metadata.target());
        // No opinion: the filter layer decides.
        Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>, _: Context<'_, S>) -> bool {
        true
    }
}

/// log4j's level names, and the `tracing` level each maps to.
fn filter_level(level: &str) -> Option<&'static str> {
    Some(match level {
        "OFF" => "off",
        "FATAL" | "ERROR" => "error",
        "WARN" => "warn",
        "INFO" => "info",
        "DEBUG" => "debug",
        "TRACE" | "ALL" => "trace",
        _ => return None,
    })
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Loggers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn note_target(&self, target: &str) {
        let mut table = self.lock();
        if !table.known.contains(target) {
            table.known.insert(target.to_owned());
        }
    }

    /// Takes the startup filter's plain directives into the table (`level`, `target=level`).
    fn load_directives(&self, filter: &str) {
        let mut table = self.lock();
        for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            match directive.split_once('=') {
                None if filter_level(&directive.to_ascii_uppercase()).is_some() => {
                    table.root = directive.to_ascii_uppercase();
                }
                Some((target, level))
                    if filter_level(&level.to_ascii_uppercase()).is_some() && !target.contains(['[', '{']) =>
                {
                    table.explicit.insert(target.to_owned(), (level.to_ascii_uppercase(), None));
                    table.known.insert(target.to_owned());
                }
                _ => table.extra.push(directive.to_owned()),
            }
        }
    }

    fn env_filter(&self) -> EnvFilter {
        let table = self.lock();
        let mut directives = vec![filter_level(&table.root).unwrap_or("info").to_owned()];
        directives.extend(table.extra.iter().cloned());
        for (target, (level, _)) in &table.explicit {
            directives.push(format!("{target}={}", filter_level(level).unwrap_or("info")));
        }
        EnvFilter::try_new(directives.join(",")).unwrap_or_else(|_| EnvFilter::new("info"))
    }

    fn effective(table: &Table, logger: &str) -> String {
        // The closest explicitly set ancestor (log4j's effective level), else the root's.
        let mut name = logger;
        loop {
            if let Some((level, _)) = table.explicit.get(name) {
                return level.clone();
            }
            match name.rfind("::").or_else(|| name.rfind('.')) {
                Some(cut) => name = &name[..cut],
                None => return table.root.clone(),
            }
        }
    }

    fn describe(table: &Table, logger: &str) -> LoggerLevel {
        match table.explicit.get(logger) {
            Some((level, modified)) => LoggerLevel { level: level.clone(), last_modified: *modified },
            None => LoggerLevel { level: Self::effective(table, logger), last_modified: None },
        }
    }

    /// Loggers whose level is set explicitly, and `root` (Kafka's `allLevels`).
    pub fn all_levels(&self) -> BTreeMap<String, LoggerLevel> {
        let table = self.lock();
        let mut out: BTreeMap<String, LoggerLevel> =
            table.explicit.keys().map(|name| (name.clone(), Self::describe(&table, name))).collect();
        out.insert(ROOT_LOGGER.into(), LoggerLevel { level: table.root.clone(), last_modified: table.root_modified });
        out
    }

    /// The level of one known logger (its effective level if not set explicitly); `None` if no
    /// code has logged through it.
    pub fn level(&self, logger: &str) -> Option<LoggerLevel> {
        let table = self.lock();
        if logger.eq_ignore_ascii_case(ROOT_LOGGER) {
            return Some(LoggerLevel { level: table.root.clone(), last_modified: table.root_modified });
        }
        (table.known.contains(logger) || table.explicit.contains_key(logger)).then(|| Self::describe(&table, logger))
    }

    /// Sets the level of `namespace` and of every known logger under it; returns the affected
    /// loggers' names, sorted. `level` is a log4j level name, any case.
    pub fn set_level(&self, namespace: &str, level: &str) -> Result<Vec<String>, InvalidLevel> {
        let level = level.to_ascii_uppercase();
        if filter_level(&level).is_none() {
            return Err(InvalidLevel(level));
        }
        let now = now_ms();
        let affected = {
            let mut table = self.lock();
            let mut names: BTreeSet<String> = if namespace.eq_ignore_ascii_case(ROOT_LOGGER) {
                table.known.iter().chain(table.explicit.keys()).cloned().collect()
            } else {
                let under = |n: &String| n.starts_with(namespace);
                let mut names: BTreeSet<String> =
                    table.known.iter().chain(table.explicit.keys()).filter(|n| under(n)).cloned().collect();
                names.insert(namespace.to_owned());
                names
            };
            // Compared with the levels before this change, so that the order of names does not matter.
            let before: Vec<String> = names.iter().map(|name| Self::describe(&table, name).level).collect();
            for (name, was) in names.iter().zip(before) {
                if was != level {
                    table.explicit.insert(name.clone(), (level.clone(), Some(now)));
                } else if !table.explicit.contains_key(name) {
                    // Same effective level: pinned (so a later change of its parent keeps it), not "modified".
                    table.explicit.insert(name.clone(), (level.clone(), None));
                }
            }
            if namespace.eq_ignore_ascii_case(ROOT_LOGGER) {
                if table.root != level {
                    table.root = level.clone();
                    table.root_modified = Some(now);
                }
                names.insert(ROOT_LOGGER.to_owned());
            }
            names.into_iter().collect::<Vec<_>>()
        };
        if let Some(reload) = self.reload.get() {
            if let Err(e) = reload(self.env_filter()) {
                tracing::warn!("could not apply the new log levels: {e}");
            }
        }
        tracing::info!("Setting level of namespace {namespace} and children to {level}");
        Ok(affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Loggers {
        Loggers::new()
    }

    #[test]
    fn namespace_levels_reach_known_children_and_effective_levels_inherit() {
        let loggers = fresh();
        loggers.note_target("a::b::c");
        loggers.note_target("a::x");
        assert_eq!(loggers.level("a::b::c").unwrap().level, "INFO");
        assert_eq!(loggers.level("nope"), None);
        let affected = loggers.set_level("a::b", "debug").unwrap();
        assert_eq!(affected, vec!["a::b".to_owned(), "a::b::c".to_owned()]);
        assert_eq!(loggers.level("a::b::c").unwrap().level, "DEBUG");
        assert!(loggers.level("a::b::c").unwrap().last_modified.is_some());
        assert_eq!(loggers.level("a::x").unwrap().level, "INFO");
        assert!(loggers.set_level("a", "loud").is_err());
        let all = loggers.all_levels();
        assert_eq!(all["root"], LoggerLevel { level: "INFO".into(), last_modified: None });
        assert!(all.contains_key("a::b"));
    }

    #[test]
    fn startup_directives_fill_the_table() {
        let loggers = fresh();
        loggers.load_directives("warn,ferroconnect_core::runtime=debug,x[span]=trace");
        assert_eq!(loggers.level("root").unwrap().level, "WARN");
        assert_eq!(loggers.level("ferroconnect_core::runtime").unwrap().level, "DEBUG");
        assert_eq!(loggers.lock().extra, vec!["x[span]=trace".to_owned()]);
        assert!(loggers.env_filter().to_string().contains("ferroconnect_core::runtime=debug"));
    }
}

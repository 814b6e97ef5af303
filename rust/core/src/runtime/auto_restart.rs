//! Automatic restarts of FAILED tasks (our addition: Kafka Connect leaves a failed task down
//! until someone calls `POST /connectors/{c}/tasks/{t}/restart`; see `docs/restarts.md`).
//!
//! Opt-in with `ferroconnect.restart.*` keys, per worker or per connector (the connector's key
//! wins). A task seen FAILED is restarted after an exponential back-off with jitter, at most
//! `max.attempts` times in a row; a task that then runs for the healthy period has its count
//! reset. A task that failed on its configuration (a config error from its creation or its
//! `start`) is not restarted: the same config would fail the same way.
//!
//! The state of every task lives here, in [`AutoRestarts`] (one per worker); the worker's
//! supervisor thread asks it what to do with each task it sees, and statuses read it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator, Width};
use crate::error::Result;
use crate::runtime::plugin::Config;
use crate::runtime::status::State;
use crate::runtime::task_control::TaskId;

/// The namespace of the keys, in worker and connector configs alike.
pub const PREFIX: &str = "ferroconnect.restart.";
pub const ENABLED: &str = "ferroconnect.restart.enabled";
pub const MAX_ATTEMPTS: &str = "ferroconnect.restart.max.attempts";
pub const BACKOFF_INITIAL_MS: &str = "ferroconnect.restart.backoff.initial.ms";
pub const BACKOFF_MAX_MS: &str = "ferroconnect.restart.backoff.max.ms";
pub const BACKOFF_JITTER: &str = "ferroconnect.restart.backoff.jitter";
pub const HEALTHY_PERIOD_MS: &str = "ferroconnect.restart.healthy.period.ms";

/// The group the validate endpoint shows the keys in.
pub const GROUP: &str = "Automatic Restarts";

/// The keys, with their defaults and checks (the same definition for worker and connector).
pub fn config_def() -> &'static ConfigDef {
    static DEF: OnceLock<ConfigDef> = OnceLock::new();
    DEF.get_or_init(|| {
        let at_least = |min: f64| Validator::Range { min: Some(min), max: None };
        let keys = [
            (
                ConfigKey::new(ENABLED, ConfigType::Boolean, Some(ConfigValue::Boolean(false)), Importance::Medium,
                    "Whether a FAILED task is restarted automatically (the connector's value overrides the worker's)."),
                Width::Short, "Restart Failed Tasks",
            ),
            (
                ConfigKey::new(MAX_ATTEMPTS, ConfigType::Int, Some(ConfigValue::Int(10)), Importance::Medium,
                    "How many automatic restarts in a row a task gets; after that it stays FAILED.")
                    .with_validator(at_least(0.0)),
                Width::Short, "Maximum Restart Attempts",
            ),
            (
                ConfigKey::new(BACKOFF_INITIAL_MS, ConfigType::Long, Some(ConfigValue::Long(1_000)), Importance::Low,
                    "Delay before the first automatic restart, in milliseconds; doubled for each further attempt.")
                    .with_validator(at_least(0.0)),
                Width::Medium, "Initial Restart Back-off",
            ),
            (
                ConfigKey::new(BACKOFF_MAX_MS, ConfigType::Long, Some(ConfigValue::Long(60_000)), Importance::Low,
                    "The longest delay between automatic restarts, in milliseconds.")
                    .with_validator(at_least(0.0)),
                Width::Medium, "Maximum Restart Back-off",
            ),
            (
                ConfigKey::new(BACKOFF_JITTER, ConfigType::Double, Some(ConfigValue::Double(0.2)), Importance::Low,
                    "Random spread of each delay, as a fraction: 0.2 picks it between 80 % and 120 % of the back-off.")
                    .with_validator(Validator::Range { min: Some(0.0), max: Some(1.0) }),
                Width::Short, "Restart Back-off Jitter",
            ),
            (
                ConfigKey::new(HEALTHY_PERIOD_MS, ConfigType::Long, Some(ConfigValue::Long(300_000)), Importance::Low,
                    "How long a restarted task must run without failing, in milliseconds, for its attempt count to reset.")
                    .with_validator(at_least(0.0)),
                Width::Medium, "Healthy Period",
            ),
        ];
        keys.into_iter()
            .enumerate()
            .map(|(order, (mut key, width, display))| {
                key.group = Some(GROUP.to_owned());
                key.order_in_group = order as i32 + 1;
                key.width = width;
                key.display_name = display.to_owned();
                key
            })
            .try_fold(ConfigDef::new(), ConfigDef::define)
            .expect("restart keys are defined once")
    })
}

/// Whether a config names any of the keys (the validate endpoint shows their group only then,
/// so that a Kafka-style config validates exactly as in Kafka Connect).
pub fn mentions_keys(config: &Config) -> bool {
    config.keys().any(|key| key.starts_with(PREFIX))
}

/// How one connector's tasks are restarted.
#[derive(Debug, Clone, PartialEq)]
pub struct RestartPolicy {
    pub max_attempts: u32,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    pub jitter: f64,
    pub healthy_period: Duration,
}

impl RestartPolicy {
    /// The policy of a connector's tasks: the worker's keys, overridden by the connector's;
    /// `None` when automatic restarts are off. A bad value is a config error naming its key.
    pub fn resolve(worker: &Config, connector: &Config) -> Result<Option<RestartPolicy>> {
        let mut merged: Config = worker.iter().filter(|(k, _)| k.starts_with(PREFIX)).map(clone_pair).collect();
        merged.extend(connector.iter().filter(|(k, _)| k.starts_with(PREFIX)).map(clone_pair));
        let values = config_def().parse(&merged)?;
        let long = |key: &str| match values.get(key) {
            Some(ConfigValue::Long(v)) => Duration::from_millis((*v).max(0) as u64),
            _ => Duration::ZERO,
        };
        if values.get(ENABLED) != Some(&ConfigValue::Boolean(true)) {
            return Ok(None);
        }
        Ok(Some(RestartPolicy {
            max_attempts: match values.get(MAX_ATTEMPTS) {
                Some(ConfigValue::Int(v)) => (*v).max(0) as u32,
                _ => 0,
            },
            backoff_initial: long(BACKOFF_INITIAL_MS),
            backoff_max: long(BACKOFF_MAX_MS),
            jitter: match values.get(BACKOFF_JITTER) {
                Some(ConfigValue::Double(v)) => *v,
                _ => 0.0,
            },
            healthy_period: long(HEALTHY_PERIOD_MS),
        }))
    }

    /// The delay before restart number `attempt` (1 for the first): `initial · 2^(attempt-1)`,
    /// capped at the maximum, then scaled by a factor in `[1 - jitter, 1 + jitter]` picked by
    /// `random` (in `[0, 1)`) and capped again. Jitter keeps the tasks of a connector that failed
    /// together (a broker outage) from all restarting at the same instant.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let doubled = self.backoff_initial.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let base = doubled.min(self.backoff_max);
        let factor = 1.0 + self.jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        base.mul_f64(factor.max(0.0)).min(self.backoff_max)
    }
}

fn clone_pair((k, v): (&String, &String)) -> (String, String) {
    (k.clone(), v.clone())
}

/// A task's automatic restarts, as its status shows them (`"restarts"` in the task's status JSON,
/// present only when automatic restarts are on for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RestartStatus {
    /// Automatic restarts in a row so far (reset after the healthy period).
    pub attempts: u32,
    /// When the next automatic restart is due, in ms since the epoch; absent when none is planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_ms: Option<u64>,
}

/// What the supervisor should do about a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing now.
    Wait,
    /// Restart the task now (with this config), as attempt number `attempt`.
    Restart { attempt: u32, config: Config },
    /// Give up: append this note to the task's trace, and log it.
    GiveUp(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Started (by anyone) at this instant and not seen FAILED since.
    Started(Instant),
    /// FAILED; restart number `attempts + 1` is due at this instant.
    Waiting { due: Instant, due_ms: u64 },
    /// Being restarted by the supervisor: the next start keeps the count.
    Restarting,
    /// FAILED for good: attempts exhausted, or a config error.
    GaveUp,
}

#[derive(Debug, Clone)]
struct Tracked {
    policy: RestartPolicy,
    /// The config the task was started with, to restart it with.
    config: Config,
    attempts: u32,
    phase: Phase,
}

/// The automatic-restart state of every task of one worker that has it on.
#[derive(Default)]
pub struct AutoRestarts {
    tasks: Mutex<HashMap<TaskId, Tracked>>,
    total: AtomicU64,
}

impl AutoRestarts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TaskId, Tracked>> {
        self.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What a task's status shows; `None` when automatic restarts are off for it.
    pub fn status(&self, id: &TaskId) -> Option<RestartStatus> {
        self.lock().get(id).map(|t| RestartStatus {
            attempts: t.attempts,
            next_attempt_ms: match t.phase {
                Phase::Waiting { due_ms, .. } => Some(due_ms),
                _ => None,
            },
        })
    }

    /// Every tracked task's restart status (for metrics).
    pub fn all(&self) -> Vec<(TaskId, RestartStatus)> {
        let ids: Vec<TaskId> = self.lock().keys().cloned().collect();
        ids.into_iter().filter_map(|id| self.status(&id).map(|s| (id, s))).collect()
    }

    /// A task was started with `config` under `policy` (`None`: automatic restarts off). A start
    /// by the supervisor keeps the count; any other (created, reconfigured, restarted by a user)
    /// begins afresh.
    pub fn task_started(&self, id: &TaskId, policy: Option<RestartPolicy>, config: &Config, now: Instant) {
        let mut tasks = self.lock();
        let Some(policy) = policy else {
            tasks.remove(id);
            return;
        };
        let attempts = match tasks.get(id) {
            Some(t) if t.phase == Phase::Restarting => t.attempts,
            _ => 0,
        };
        tasks.insert(id.clone(), Tracked { policy, config: config.clone(), attempts, phase: Phase::Started(now) });
    }

    /// The task is gone (stopped, deleted, revoked): nothing to restart.
    pub fn forget(&self, id: &TaskId) {
        self.lock().remove(id);
    }

    /// Whether no task has automatic restarts on (the supervisor then has nothing to look at).
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Decides about a task now in `state`; `config_error` when its failure was a config error.
    /// `random` gives a number in `[0, 1)` for the jitter, asked only when a delay is picked.
    pub fn observe(
        &self,
        id: &TaskId,
        state: State,
        config_error: bool,
        now: Instant,
        random: &mut dyn FnMut() -> f64,
    ) -> Action {
        let mut tasks = self.lock();
        let Some(t) = tasks.get_mut(id) else { return Action::Wait };
        match (&t.phase, state) {
            (Phase::Started(since), State::Running | State::Paused) => {
                if t.attempts > 0 && now.duration_since(*since) >= t.policy.healthy_period {
                    t.attempts = 0;
                }
                Action::Wait
            }
            (Phase::Started(since), State::Failed) => {
                // A task that ran the healthy period before failing starts a new series.
                if now.duration_since(*since) >= t.policy.healthy_period {
                    t.attempts = 0;
                }
                if config_error {
                    t.phase = Phase::GaveUp;
                    return Action::GiveUp(
                        "Automatic restart: not restarted, the task failed on its configuration (restarting it with the same config would fail the same way); fix the config, or restart it by hand.".into(),
                    );
                }
                if t.attempts >= t.policy.max_attempts {
                    t.phase = Phase::GaveUp;
                    return Action::GiveUp(format!(
                        "Automatic restart gave up after {} attempts (ferroconnect.restart.max.attempts={}); restart the task by hand.",
                        t.attempts, t.policy.max_attempts
                    ));
                }
                let delay = t.policy.delay(t.attempts + 1, random());
                t.phase = Phase::Waiting { due: now + delay, due_ms: epoch_ms(delay) };
                Action::Wait
            }
            (Phase::Waiting { due, .. }, State::Failed) if now >= *due => {
                t.attempts += 1;
                t.phase = Phase::Restarting;
                self.total.fetch_add(1, Ordering::Relaxed);
                Action::Restart { attempt: t.attempts, config: t.config.clone() }
            }
            _ => Action::Wait,
        }
    }

    /// Automatic restarts made since the worker started, all tasks together (a counter for
    /// metrics; never reset).
    pub fn total_restarts(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

/// The wall-clock time `delay` from now, in ms since the epoch (what a status shows).
fn epoch_ms(delay: Duration) -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (now + delay).as_millis() as u64
}

/// A random number in `[0, 1)` for the jitter (from the OS; 0.5, no jitter, if it has none).
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RestartPolicy {
        RestartPolicy {
            max_attempts: 3,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1_000),
            jitter: 0.2,
            healthy_period: Duration::from_secs(10),
        }
    }

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_back_off_doubles_up_to_the_cap_and_jitter_stays_within_its_fraction() {
        let p = policy();
        let mid: Vec<u64> = (1..=6).map(|n| p.delay(n, 0.5).as_millis() as u64).collect();
        assert_eq!(mid, vec![100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(p.delay(1, 0.0), Duration::from_millis(80));
        assert!((119..=120).contains(&p.delay(1, 0.999_999).as_millis()));
        // Never above the maximum, even with upward jitter.
        assert_eq!(p.delay(5, 0.999), Duration::from_millis(1_000));
        assert_eq!(p.delay(4, 0.0), Duration::from_millis(640));
        // Huge attempt numbers saturate instead of overflowing.
        assert_eq!(p.delay(200, 0.5), Duration::from_millis(1_000));
        let spread: Vec<Duration> = (0..50).map(|_| p.delay(2, random_unit())).collect();
        assert!(spread.iter().all(|d| (160..=240).contains(&(d.as_millis() as u64))), "{spread:?}");
        assert!(spread.iter().any(|d| *d != spread[0]), "jitter varies the delay");
    }

    #[test]
    fn the_connector_overrides_the_worker_and_bad_values_name_their_key() {
        let worker = config(&[(ENABLED, "true"), (MAX_ATTEMPTS, "5"), ("other", "x")]);
        let policy = RestartPolicy::resolve(&worker, &config(&[(BACKOFF_INITIAL_MS, "50")])).unwrap().unwrap();
        assert_eq!((policy.max_attempts, policy.backoff_initial), (5, Duration::from_millis(50)));
        assert_eq!(policy.backoff_max, Duration::from_millis(60_000));
        assert_eq!(policy.healthy_period, Duration::from_millis(300_000));
        assert_eq!(RestartPolicy::resolve(&worker, &config(&[(ENABLED, "false")])).unwrap(), None);
        assert_eq!(RestartPolicy::resolve(&Config::new(), &Config::new()).unwrap(), None);
        let bad = RestartPolicy::resolve(&worker, &config(&[(BACKOFF_JITTER, "2")])).unwrap_err().to_string();
        assert!(bad.contains(BACKOFF_JITTER) && bad.contains("no more than 1"), "{bad}");
        let bad = RestartPolicy::resolve(&Config::new(), &config(&[(MAX_ATTEMPTS, "many")])).unwrap_err().to_string();
        assert!(bad.contains(MAX_ATTEMPTS), "{bad}");
    }

    #[test]
    fn a_failing_task_is_restarted_until_the_cap_then_given_up() {
        let restarts = AutoRestarts::default();
        let id = TaskId { connector: "c".into(), task: 0 };
        let cfg = config(&[("k", "v")]);
        let t0 = Instant::now();
        restarts.task_started(&id, Some(policy()), &cfg, t0);
        assert_eq!(restarts.status(&id), Some(RestartStatus { attempts: 0, next_attempt_ms: None }));
        let mut now = t0 + Duration::from_millis(5);
        for attempt in 1..=3 {
            assert_eq!(restarts.observe(&id, State::Failed, false, now, &mut || 0.5), Action::Wait);
            assert!(restarts.status(&id).unwrap().next_attempt_ms.is_some());
            // Not before it is due.
            assert_eq!(restarts.observe(&id, State::Failed, false, now, &mut || 0.5), Action::Wait);
            now += policy().delay(attempt, 0.5);
            assert_eq!(
                restarts.observe(&id, State::Failed, false, now, &mut || 0.5),
                Action::Restart { attempt, config: cfg.clone() }
            );
            restarts.task_started(&id, Some(policy()), &cfg, now);
            assert_eq!(restarts.status(&id).unwrap().attempts, attempt);
        }
        assert_eq!(restarts.total_restarts(), 3);
        let Action::GiveUp(note) = restarts.observe(&id, State::Failed, false, now, &mut || 0.5) else {
            panic!("not given up")
        };
        assert!(note.contains("gave up after 3 attempts"), "{note}");
        assert_eq!(
            restarts.observe(&id, State::Failed, false, now + Duration::from_secs(60), &mut || 0.5),
            Action::Wait
        );
        // A start by anyone else (a user's restart) begins afresh.
        restarts.task_started(&id, Some(policy()), &cfg, now);
        assert_eq!(restarts.status(&id).unwrap().attempts, 0);
    }

    #[test]
    fn the_count_resets_after_the_healthy_period() {
        let restarts = AutoRestarts::default();
        let id = TaskId { connector: "c".into(), task: 1 };
        let t0 = Instant::now();
        restarts.task_started(&id, Some(policy()), &Config::new(), t0);
        restarts.observe(&id, State::Failed, false, t0, &mut || 0.5);
        let due = t0 + Duration::from_millis(100);
        assert!(matches!(
            restarts.observe(&id, State::Failed, false, due, &mut || 0.5),
            Action::Restart { attempt: 1, .. }
        ));
        restarts.task_started(&id, Some(policy()), &Config::new(), due);
        restarts.observe(&id, State::Running, false, due + Duration::from_secs(9), &mut || 0.5);
        assert_eq!(restarts.status(&id).unwrap().attempts, 1);
        restarts.observe(&id, State::Running, false, due + Duration::from_secs(10), &mut || 0.5);
        assert_eq!(restarts.status(&id).unwrap().attempts, 0);
    }

    #[test]
    fn a_config_error_is_not_retried() {
        let restarts = AutoRestarts::default();
        let id = TaskId { connector: "c".into(), task: 0 };
        restarts.task_started(&id, Some(policy()), &Config::new(), Instant::now());
        let Action::GiveUp(note) = restarts.observe(&id, State::Failed, true, Instant::now(), &mut || 0.5) else {
            panic!("retried")
        };
        assert!(note.contains("configuration"), "{note}");
        restarts.task_started(&id, None, &Config::new(), Instant::now());
        assert_eq!(restarts.status(&id), None);
    }
}

//! What the worker and a task's thread share, for source and sink tasks alike: the task's status
//! and the stop and pause flags, with a condition variable to wake a waiting thread.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::runtime::status::{State, Status};

/// Identifies a task: its connector and its index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    pub connector: String,
    pub task: u32,
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// Time spent in each state since the task was created, for Kafka's `running-ratio` and
/// `pause-ratio` (its `StateTracker`: shares of the task's whole life, not of a window).
struct StateTimes {
    created: Instant,
    state: State,
    since: Instant,
    running: Duration,
    paused: Duration,
}

impl StateTimes {
    fn enter(&mut self, state: State) {
        let now = Instant::now();
        let spent = now - self.since;
        match self.state {
            State::Running => self.running += spent,
            State::Paused => self.paused += spent,
            _ => {}
        }
        self.state = state;
        self.since = now;
    }
}

#[derive(Default)]
struct Flags {
    stopping: bool,
    paused: bool,
}

/// A task's status and control flags.
pub struct TaskControl {
    pub id: TaskId,
    worker_id: String,
    /// The task instance's `version()`, once it exists (shown in its status).
    version: Mutex<Option<String>>,
    status: Mutex<Status>,
    flags: Mutex<Flags>,
    wake: Condvar,
    times: Mutex<StateTimes>,
}

impl TaskControl {
    pub fn new(id: TaskId, worker_id: &str) -> Self {
        TaskControl {
            id,
            worker_id: worker_id.to_owned(),
            version: Mutex::new(None),
            status: Mutex::new(Status::new(State::Unassigned, worker_id)),
            flags: Mutex::new(Flags::default()),
            wake: Condvar::new(),
            times: Mutex::new(StateTimes {
                created: Instant::now(),
                state: State::Unassigned,
                since: Instant::now(),
                running: Duration::ZERO,
                paused: Duration::ZERO,
            }),
        }
    }

    /// The task's current status.
    pub fn status(&self) -> Status {
        self.status.lock().expect("status lock").clone()
    }

    /// Records the task instance's version, which its statuses name from then on.
    pub fn set_version(&self, version: String) {
        *self.version.lock().expect("version lock") = Some(version);
    }

    fn version(&self) -> Option<String> {
        self.version.lock().expect("version lock").clone()
    }

    /// Moves to `state` unless the task already FAILED (a failure stays until a restart).
    pub fn set_state(&self, state: State) {
        let mut status = self.status.lock().expect("status lock");
        if status.state != State::Failed {
            *status = Status::new(state, &self.worker_id).with_version(self.version());
            self.times.lock().expect("times lock").enter(state);
        }
    }

    /// The shares of the task's life spent running and paused (`running-ratio`, `pause-ratio`).
    pub fn state_ratios(&self) -> (f64, f64) {
        let times = self.times.lock().expect("times lock");
        let now = Instant::now();
        let life = (now - times.created).as_secs_f64();
        if life == 0.0 {
            return (0.0, 0.0);
        }
        let current = now - times.since;
        let running = times.running + if times.state == State::Running { current } else { Duration::ZERO };
        let paused = times.paused + if times.state == State::Paused { current } else { Duration::ZERO };
        (running.as_secs_f64() / life, paused.as_secs_f64() / life)
    }

    /// RUNNING or PAUSED, as the pause flag says.
    pub fn set_started(&self) {
        let paused = self.paused();
        self.set_state(if paused { State::Paused } else { State::Running });
    }

    /// FAILED with `trace` (Kafka Connect's status `trace`).
    pub fn fail(&self, trace: String) {
        // Trimmed: a traceback's last newline would put the `task=` context on a line of its own.
        error!(task = %self.id, "task failed: {}", trace.trim_end());
        *self.status.lock().expect("status lock") = Status::failed(&self.worker_id, trace).with_version(self.version());
        self.times.lock().expect("times lock").enter(State::Failed);
    }

    /// Logs a failure of the task's `stop` or `close` (`method`). A task that already FAILED (its
    /// `start` raised, say) shows its first error in its status; what its `stop` then raises,
    /// often an attribute the half-done `start` never set, is secondary: an INFO line saying so,
    /// not a warning that would read as the cause. Otherwise a warning.
    pub fn log_stop_failure(&self, method: &str, error: &dyn std::fmt::Display) {
        if self.status().state == State::Failed {
            info!(
                task = %self.id,
                "{method}() of task {} failed too, secondary to the failure its status shows: {error}",
                self.id
            );
        } else {
            warn!(task = %self.id, "{method}() of task {} failed: {error}", self.id);
        }
    }

    /// Asks the task's loop to stop after its current call.
    pub fn request_stop(&self) {
        self.flags.lock().expect("flags lock").stopping = true;
        self.wake.notify_all();
    }

    /// Pauses or resumes the task.
    pub fn set_paused(&self, paused: bool) {
        self.flags.lock().expect("flags lock").paused = paused;
        let state = self.status().state;
        if state == State::Running || state == State::Paused {
            self.set_state(if paused { State::Paused } else { State::Running });
        }
        self.wake.notify_all();
    }

    pub fn stopping(&self) -> bool {
        self.flags.lock().expect("flags lock").stopping
    }

    pub fn paused(&self) -> bool {
        self.flags.lock().expect("flags lock").paused
    }

    /// Blocks while paused; returns false when the task should stop.
    pub fn wait_while_paused(&self) -> bool {
        let mut flags = self.flags.lock().expect("flags lock");
        while flags.paused && !flags.stopping {
            flags = self.wake.wait_timeout(flags, Duration::from_millis(500)).expect("flags lock").0;
        }
        !flags.stopping
    }

    /// Sleeps up to `timeout`, waking early when the task is asked to stop; false if stopping.
    pub fn sleep(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut flags = self.flags.lock().expect("flags lock");
        while !flags.stopping {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            flags = self.wake.wait_timeout(flags, left).expect("flags lock").0;
        }
        !flags.stopping
    }
}

/// Waits for `thread` until `deadline`; false when it is still running then (it is left to
/// finish alone: a thread cannot be killed, and Kafka Connect abandons such a task too).
pub fn join_by(thread: std::thread::JoinHandle<()>, deadline: Instant) -> bool {
    while !thread.is_finished() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = thread.join();
    true
}

/// Kafka Connect's log line for a task that did not stop within `task.shutdown.graceful.timeout.ms`,
/// and ours saying what becomes of it.
pub fn log_abandoned(id: &TaskId, timeout: Duration) {
    error!(task = %id, "Graceful stop of task {id} failed.");
    warn!(
        task = %id,
        "task {id} did not stop within {} ms (task.shutdown.graceful.timeout.ms): abandoned, it is left running in the background",
        timeout.as_millis()
    );
}

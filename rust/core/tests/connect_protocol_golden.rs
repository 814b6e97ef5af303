//! Kafka Connect's group protocol against Java's bytes: `golden/connect_protocol.txt` was written
//! by Java Kafka Connect 4.4.0's own classes (`tests/jvm/golden/ConnectProtocolGolden.java`, which
//! `tests/test_connect_protocol_java.py` re-checks against the jars). Each case's values are built
//! here by name; we must encode them to exactly Java's hex and decode Java's hex back to them.

use ferroconnect_core::cluster::protocol::{Assignment, AssignmentError, ConnectorTaskId, WorkerMetadata};

const GOLDEN: &str = include_str!("golden/connect_protocol.txt");
const URL: &str = "http://w1:8083/";
const LEADER: &str = "leader-1";

fn task(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId::new(connector, task)
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[allow(clippy::too_many_arguments)]
fn assignment(
    version: i16,
    error: AssignmentError,
    config_offset: i64,
    connectors: &[&str],
    tasks: Vec<ConnectorTaskId>,
    revoked_connectors: &[&str],
    revoked_tasks: Vec<ConnectorTaskId>,
    delay_ms: i32,
) -> Assignment {
    Assignment {
        version,
        error,
        leader: LEADER.into(),
        leader_url: URL.into(),
        config_offset,
        connectors: names(connectors),
        tasks,
        revoked_connectors: names(revoked_connectors),
        revoked_tasks,
        delay_ms,
    }
}

/// The allocation embedded in the metadata cases, at the metadata's version.
fn allocation(version: i16) -> Assignment {
    assignment(version, AssignmentError::NoError, 5, &["a"], vec![task("a", 0), task("a", 2)], &[], vec![], 0)
}

fn metadata(allocation: Option<Assignment>) -> WorkerMetadata {
    WorkerMetadata { url: URL.into(), config_offset: 5, allocation }
}

enum Case {
    Metadata(WorkerMetadata),
    Assignment(Assignment),
}

/// The cases, by name; kept in step with `ConnectProtocolGolden.java#cases`.
fn case(name: &str) -> Case {
    use AssignmentError::{ConfigMismatch, NoError};
    match name {
        "metadata_v0" | "metadata_v1_no_allocation" | "metadata_v2_no_allocation" => Case::Metadata(metadata(None)),
        "metadata_v1_with_allocation" => Case::Metadata(metadata(Some(allocation(1)))),
        "metadata_v2_with_allocation" => Case::Metadata(metadata(Some(allocation(2)))),
        "assignment_v0" => {
            Case::Assignment(assignment(0, NoError, 12, &["a", "b"], vec![task("a", 0), task("b", 1)], &[], vec![], 0))
        }
        "assignment_v1_revocations_and_delay" => Case::Assignment(assignment(
            1,
            NoError,
            12,
            &["b"],
            vec![task("b", 0)],
            &["a"],
            vec![task("a", 1), task("a", 2)],
            300_000,
        )),
        "assignment_v2" => {
            Case::Assignment(assignment(2, NoError, 13, &["a"], vec![task("a", 0)], &[], vec![task("b", 4)], 0))
        }
        "assignment_v2_config_mismatch" => {
            Case::Assignment(assignment(2, ConfigMismatch, 20, &[], vec![], &[], vec![], 0))
        }
        "assignment_v1_empty_lists" => Case::Assignment(assignment(1, NoError, -1, &[], vec![], &[], vec![], 0)),
        "assignment_v1_connector_and_tasks" => Case::Assignment(assignment(
            1,
            NoError,
            7,
            &["a"],
            vec![task("a", 0), task("a", 1), task("a", 2), task("b", 3)],
            &[],
            vec![],
            0,
        )),
        other => panic!("golden case {other} has no values in this test"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

struct Line<'a> {
    name: &'a str,
    kind: &'a str,
    version: i16,
    bytes: Vec<u8>,
    hex: &'a str,
}

fn golden_lines() -> Vec<Line<'static>> {
    GOLDEN
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(parts.len(), 4, "expected 'name kind version hex': {line}");
            Line {
                name: parts[0],
                kind: parts[1],
                version: parts[2].parse().unwrap(),
                bytes: unhex(parts[3]),
                hex: parts[3],
            }
        })
        .collect()
}

#[test]
fn every_golden_case_encodes_to_javas_bytes_and_decodes_from_them() {
    let lines = golden_lines();
    assert_eq!(lines.len(), 11, "the golden file lost or gained cases");
    for line in lines {
        match (line.kind, case(line.name)) {
            ("metadata", Case::Metadata(expected)) => {
                assert_eq!(hex(&expected.encode(line.version).unwrap()), line.hex, "encode {}", line.name);
                assert_eq!(WorkerMetadata::version_of(&line.bytes).unwrap(), line.version, "{}", line.name);
                let decoded = WorkerMetadata::decode(&line.bytes).unwrap();
                assert_eq!(decoded, expected, "decode {}", line.name);
            }
            ("assignment", Case::Assignment(expected)) => {
                assert_eq!(expected.version, line.version, "{}", line.name);
                assert_eq!(hex(&expected.encode().unwrap()), line.hex, "encode {}", line.name);
                assert_eq!(Assignment::decode(&line.bytes).unwrap(), expected, "decode {}", line.name);
            }
            (kind, _) => panic!("{}: kind {kind} does not match the case's values", line.name),
        }
    }
}

#[test]
fn the_golden_file_covers_the_required_shapes() {
    let lines = golden_lines();
    let has = |kind: &str, version: i16| lines.iter().any(|l| l.kind == kind && l.version == version);
    for version in 0..=2 {
        assert!(has("metadata", version) && has("assignment", version), "v{version} missing");
    }
    let assignments: Vec<Assignment> =
        lines.iter().filter(|l| l.kind == "assignment").map(|l| Assignment::decode(&l.bytes).unwrap()).collect();
    assert!(assignments.iter().any(|a| a.error == AssignmentError::ConfigMismatch));
    assert!(assignments.iter().any(|a| a.delay_ms > 0 && !a.revoked_tasks.is_empty()));
    assert!(assignments.iter().any(|a| a.connectors.is_empty() && a.tasks.is_empty()));
    let allocations = lines.iter().filter_map(|l| match l.kind {
        "metadata" => WorkerMetadata::decode(&l.bytes).unwrap().allocation,
        _ => None,
    });
    assert_eq!(allocations.count(), 2);
}

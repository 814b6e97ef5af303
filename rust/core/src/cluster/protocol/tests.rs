//! Codec rules that Java's golden bytes (`rust/core/tests/connect_protocol_golden.rs`) do not
//! exercise: version tolerance, missing and extra fields, null arrays, entry order, bad input.

use super::*;

fn task(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId::new(connector, task)
}

fn assignment(version: i16) -> Assignment {
    Assignment {
        version,
        error: AssignmentError::NoError,
        leader: "leader-1".into(),
        leader_url: "http://w1:8083/".into(),
        config_offset: 7,
        connectors: vec!["a".into()],
        tasks: vec![task("a", 0), task("b", 1)],
        revoked_connectors: vec!["c".into()],
        revoked_tasks: vec![task("c", 2)],
        delay_ms: 1500,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn connect_protocol_values_names_and_versions_follow_java() {
    assert_eq!(ConnectProtocol::parse("eager").unwrap(), ConnectProtocol::Eager);
    assert_eq!("Compatible".parse::<ConnectProtocol>().unwrap(), ConnectProtocol::Compatible);
    assert_eq!(ConnectProtocol::parse(" SESSIONED ").unwrap(), ConnectProtocol::Sessioned);
    assert_eq!(ConnectProtocol::default(), ConnectProtocol::Sessioned);
    let error = ConnectProtocol::parse("cooperative").unwrap_err().to_string();
    assert!(error.contains("connect.protocol") && error.contains("cooperative"), "{error}");

    let offered =
        |mode: ConnectProtocol| mode.offered().iter().map(|m| (m.protocol(), m.version())).collect::<Vec<_>>();
    assert_eq!(offered(ConnectProtocol::Sessioned), [("sessioned", 2), ("compatible", 1), ("default", 0)]);
    assert_eq!(offered(ConnectProtocol::Compatible), [("compatible", 1), ("default", 0)]);
    assert_eq!(offered(ConnectProtocol::Eager), [("default", 0)]);

    assert_eq!(selected_protocol_version("sessioned").unwrap(), 2);
    assert_eq!(selected_protocol_version("compatible").unwrap(), 1);
    assert_eq!(selected_protocol_version("default").unwrap(), 0);
    assert!(selected_protocol_version("eager").is_err(), "eager's protocol is called default");
    assert_eq!(ConnectProtocol::from_version(1).unwrap(), ConnectProtocol::Compatible);
    assert_eq!(ConnectProtocol::Compatible.to_string(), "compatible");
}

#[test]
fn join_group_offers_each_protocol_with_metadata_at_its_version() {
    let metadata = WorkerMetadata { url: "http://w1:8083/".into(), config_offset: 5, allocation: None };
    let protocols = ConnectProtocol::Sessioned.join_group_protocols(&metadata).unwrap();
    let names: Vec<_> = protocols.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["sessioned", "compatible", "default"]);
    // distributed.md §1's example: v2, url, offset 5, null allocation = 31 bytes.
    assert_eq!(hex(&protocols[0].1), "0002000f687474703a2f2f77313a383038332f0000000000000005ffffffff");
    assert_eq!(protocols[0].1.len(), 31);
    assert_eq!(protocols[1].1[..2], [0, 1]);
    assert_eq!(protocols[1].1[2..], protocols[0].1[2..], "v1 and v2 differ only in the header");
    assert_eq!(protocols[2].1, metadata.encode(0).unwrap());
    assert_eq!(protocols[2].1.len(), 2 + 2 + 15 + 8);
}

#[test]
fn assignments_round_trip_and_v0_drops_revocations_and_delay() {
    for version in [1, 2] {
        let original = assignment(version);
        assert_eq!(Assignment::decode(&original.encode().unwrap()).unwrap(), original);
    }
    let v0 = Assignment::decode(&assignment(0).encode().unwrap()).unwrap();
    assert_eq!(v0.version, 0);
    assert_eq!((v0.connectors, v0.tasks), (assignment(0).connectors, assignment(0).tasks));
    assert!(v0.revoked_connectors.is_empty() && v0.revoked_tasks.is_empty());
    assert_eq!(v0.delay_ms, 0);
}

#[test]
fn metadata_embeds_the_allocation_under_its_own_version() {
    let metadata = WorkerMetadata { url: "u".into(), config_offset: -1, allocation: Some(assignment(1)) };
    let bytes = metadata.encode(2).unwrap();
    assert_eq!(WorkerMetadata::version_of(&bytes).unwrap(), 2);
    let decoded = WorkerMetadata::decode(&bytes).unwrap();
    assert_eq!(decoded.allocation.as_ref().unwrap().version, 2, "Java writes the metadata's version");
    assert_eq!(decoded.allocation.unwrap(), Assignment { version: 2, ..assignment(1) });

    let v0 = WorkerMetadata::decode(&metadata.encode(0).unwrap()).unwrap();
    assert_eq!(v0, WorkerMetadata { url: "u".into(), config_offset: -1, allocation: None });
}

#[test]
fn a_connector_listed_twice_is_one_connector_entry() {
    let twice = Assignment {
        version: 1,
        connectors: vec!["a".into(), "a".into()],
        tasks: vec![task("a", 3)],
        ..Assignment::default()
    };
    let decoded = Assignment::decode(&twice.encode().unwrap()).unwrap();
    assert_eq!(decoded.connectors, ["a"]);
    assert_eq!(decoded.tasks, [task("a", 3)]);
}

/// Hand-built v1 bytes: header, error, leader, leader-url, offset, then whatever `rest` holds.
fn v1_with(version: i16, rest: &[u8]) -> Vec<u8> {
    let mut bytes = version.to_be_bytes().to_vec();
    bytes.extend_from_slice(&0i16.to_be_bytes());
    bytes.extend_from_slice(&[0, 1, b'L', 0, 1, b'U']);
    bytes.extend_from_slice(&42i64.to_be_bytes());
    bytes.extend_from_slice(rest);
    bytes
}

fn entry(connector: &str, tasks: &[i32]) -> Vec<u8> {
    let mut bytes = (connector.len() as i16).to_be_bytes().to_vec();
    bytes.extend_from_slice(connector.as_bytes());
    bytes.extend_from_slice(&(tasks.len() as i32).to_be_bytes());
    for task in tasks {
        bytes.extend_from_slice(&task.to_be_bytes());
    }
    bytes
}

fn array(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = (entries.len() as i32).to_be_bytes().to_vec();
    entries.iter().for_each(|e| bytes.extend_from_slice(e));
    bytes
}

#[test]
fn decoding_tolerates_missing_trailing_fields_and_null_arrays() {
    let ends_after_offset = Assignment::decode(&v1_with(1, &[])).unwrap();
    assert_eq!(
        ends_after_offset,
        Assignment {
            version: 1,
            leader: "L".into(),
            leader_url: "U".into(),
            config_offset: 42,
            ..Assignment::default()
        }
    );

    let assigned = array(&[entry("a", &[-1, 0])]);
    let ends_after_assignment = Assignment::decode(&v1_with(1, &assigned)).unwrap();
    assert_eq!((ends_after_assignment.connectors, ends_after_assignment.tasks), (vec!["a".into()], vec![task("a", 0)]));
    assert_eq!(ends_after_assignment.delay_ms, 0);

    let mut nulls = (-1i32).to_be_bytes().to_vec();
    nulls.extend_from_slice(&(-1i32).to_be_bytes());
    nulls.extend_from_slice(&9i32.to_be_bytes());
    let null_arrays = Assignment::decode(&v1_with(1, &nulls)).unwrap();
    assert!(null_arrays.connectors.is_empty() && null_arrays.revoked_tasks.is_empty());
    assert_eq!(null_arrays.delay_ms, 9);
}

#[test]
fn higher_versions_are_read_as_v1_and_extra_bytes_ignored() {
    let mut rest = array(&[]);
    rest.extend(array(&[]));
    rest.extend_from_slice(&5i32.to_be_bytes());
    rest.extend_from_slice(b"a future field");
    let future = Assignment::decode(&v1_with(7, &rest)).unwrap();
    assert_eq!((future.version, future.delay_ms), (7, 5));
}

#[test]
fn decoding_does_not_depend_on_entry_order() {
    let forward = array(&[entry("a", &[-1, 0, 2]), entry("b", &[1])]);
    let backward = array(&[entry("b", &[1]), entry("a", &[2, 0, -1])]);
    let sorted = |bytes: &[u8]| {
        let mut decoded = Assignment::decode(&v1_with(1, bytes)).unwrap();
        decoded.connectors.sort();
        decoded.tasks.sort();
        decoded
    };
    assert_eq!(sorted(&forward), sorted(&backward));
    assert_eq!(sorted(&forward).tasks, [task("a", 0), task("a", 2), task("b", 1)]);
}

#[test]
fn bad_input_is_an_error_that_names_the_field() {
    let negative = Assignment::decode(&v1_with(-1, &[])).unwrap_err().to_string();
    assert!(negative.contains("unsupported subscription version: -1"), "{negative}");
    assert!(WorkerMetadata::decode(&(-2i16).to_be_bytes()).is_err());

    let truncated = Assignment::decode(&v1_with(1, &[])[..8]).unwrap_err().to_string();
    assert!(truncated.contains("'leader-url'"), "{truncated}");

    let bad_task = Assignment::decode(&v1_with(1, &array(&[entry("a", &[-2])]))).unwrap_err().to_string();
    assert!(bad_task.contains("invalid task number -2"), "{bad_task}");

    let huge = Assignment::decode(&v1_with(1, &i32::MAX.to_be_bytes())).unwrap_err().to_string();
    assert!(huge.contains("'assignment'"), "{huge}");

    let partial_delay = Assignment::decode(&v1_with(1, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 1])).unwrap_err();
    assert!(partial_delay.to_string().contains("'delay'"), "{partial_delay}");

    let long = Assignment { leader: "x".repeat(40_000), ..Assignment::default() };
    assert!(long.encode().unwrap_err().to_string().contains("'leader'"));
}

/*
 * Java's side of ferroconnect's golden bytes for Kafka Connect's group protocol.
 *
 * Each case below is built with Java Kafka Connect's own classes (ConnectProtocol,
 * IncrementalCooperativeConnectProtocol, ExtendedWorkerState, ExtendedAssignment); the same cases,
 * by name, are built in rust/core/tests/connect_protocol_golden.rs. For every line of the golden
 * file (name kind version hex) this program checks that Java encodes the case to exactly that hex
 * and decodes that hex back to the case's values, and prints one line per case.
 *
 *   java -cp <classes>:<connect libs>/* ConnectProtocolGolden check <golden file>   (exit 1 on mismatch)
 *   java -cp ... ConnectProtocolGolden print                                        (the file's lines)
 *
 * Entry order: Java groups an assignment's connectors through a HashSet (revocations keep their
 * order), so the cases use either one connector per list or single-letter names, whose HashSet
 * order is their alphabetical order; the Rust encoder writes entries in order of first appearance.
 */

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class ConnectProtocolGolden {
    static final String URL = "http://w1:8083/";
    static final String LEADER = "leader-1";

    /** An assignment's values, in the fields that Rust's `Assignment` has. */
    record Asg(short version, short error, String leader, String leaderUrl, long offset,
               List<String> connectors, List<ConnectorTaskId> tasks,
               List<String> revokedConnectors, List<ConnectorTaskId> revokedTasks, int delay) {

        ExtendedAssignment extended() {
            return new ExtendedAssignment(version, error, leader, leaderUrl, offset,
                    connectors, tasks, revokedConnectors, revokedTasks, delay);
        }

        ConnectProtocol.Assignment basic() {
            return new ConnectProtocol.Assignment(error, leader, leaderUrl, offset, connectors, tasks);
        }

        /** The differences between this and what Java decoded; empty if none. */
        List<String> diff(ExtendedAssignment got) {
            List<String> out = new ArrayList<>();
            check(out, "version", version, got.version());
            check(out, "error", error, got.error());
            check(out, "leader", leader, got.leader());
            check(out, "leaderUrl", leaderUrl, got.leaderUrl());
            check(out, "offset", offset, got.offset());
            check(out, "connectors", connectors, new ArrayList<>(got.connectors()));
            check(out, "tasks", tasks, new ArrayList<>(got.tasks()));
            check(out, "revokedConnectors", revokedConnectors, new ArrayList<>(got.revokedConnectors()));
            check(out, "revokedTasks", revokedTasks, new ArrayList<>(got.revokedTasks()));
            check(out, "delay", delay, got.delay());
            return out;
        }

        /** v0's decoder has no version, revocations or delay. */
        List<String> diffBasic(ConnectProtocol.Assignment got) {
            List<String> out = new ArrayList<>();
            check(out, "error", error, got.error());
            check(out, "leader", leader, got.leader());
            check(out, "leaderUrl", leaderUrl, got.leaderUrl());
            check(out, "offset", offset, got.offset());
            check(out, "connectors", connectors, new ArrayList<>(got.connectors()));
            check(out, "tasks", tasks, new ArrayList<>(got.tasks()));
            return out;
        }
    }

    /** A worker's metadata; `allocation` null = none (Java's ExtendedAssignment.empty()). */
    record Meta(short version, String url, long offset, Asg allocation) {
        ByteBuffer encode() {
            if (version == 0)
                return ConnectProtocol.serializeMetadata(new ConnectProtocol.WorkerState(url, offset));
            ExtendedAssignment assignment = allocation == null ? null : allocation.extended();
            return IncrementalCooperativeConnectProtocol.serializeMetadata(
                    new ExtendedWorkerState(url, offset, assignment), version >= 2);
        }

        List<String> diff(ExtendedWorkerState got) {
            List<String> out = new ArrayList<>();
            check(out, "url", url, got.url());
            check(out, "offset", offset, got.offset());
            if (allocation == null) {
                if (got.assignment() != ExtendedAssignment.empty())
                    out.add("allocation: expected none, got " + got.assignment());
            } else {
                allocation.diff(got.assignment()).forEach(d -> out.add("allocation." + d));
            }
            return out;
        }
    }

    static void check(List<String> out, String field, Object expected, Object got) {
        if (!Objects.equals(expected, got))
            out.add(field + ": expected " + expected + ", got " + got);
    }

    static ConnectorTaskId task(String connector, int task) {
        return new ConnectorTaskId(connector, task);
    }

    static Asg asg(int version, int error, long offset, List<String> connectors, List<ConnectorTaskId> tasks,
                   List<String> revokedConnectors, List<ConnectorTaskId> revokedTasks, int delay) {
        return new Asg((short) version, (short) error, LEADER, URL, offset,
                connectors, tasks, revokedConnectors, revokedTasks, delay);
    }

    /** The allocation embedded in metadata cases, at the metadata's version. */
    static Asg allocation(int version) {
        return asg(version, 0, 5, List.of("a"), List.of(task("a", 0), task("a", 2)), List.of(), List.of(), 0);
    }

    /** The cases, by name; keep in step with rust/core/tests/connect_protocol_golden.rs. */
    static Map<String, Object> cases() {
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("metadata_v0", new Meta((short) 0, URL, 5, null));
        cases.put("metadata_v1_no_allocation", new Meta((short) 1, URL, 5, null));
        cases.put("metadata_v1_with_allocation", new Meta((short) 1, URL, 5, allocation(1)));
        cases.put("metadata_v2_no_allocation", new Meta((short) 2, URL, 5, null));
        cases.put("metadata_v2_with_allocation", new Meta((short) 2, URL, 5, allocation(2)));
        cases.put("assignment_v0", asg(0, 0, 12, List.of("a", "b"), List.of(task("a", 0), task("b", 1)),
                List.of(), List.of(), 0));
        cases.put("assignment_v1_revocations_and_delay", asg(1, 0, 12, List.of("b"), List.of(task("b", 0)),
                List.of("a"), List.of(task("a", 1), task("a", 2)), 300000));
        cases.put("assignment_v2", asg(2, 0, 13, List.of("a"), List.of(task("a", 0)),
                List.of(), List.of(task("b", 4)), 0));
        cases.put("assignment_v2_config_mismatch", asg(2, 1, 20, List.of(), List.of(), List.of(), List.of(), 0));
        cases.put("assignment_v1_empty_lists", asg(1, 0, -1, List.of(), List.of(), List.of(), List.of(), 0));
        cases.put("assignment_v1_connector_and_tasks", asg(1, 0, 7, List.of("a"),
                List.of(task("a", 0), task("a", 1), task("a", 2), task("b", 3)), List.of(), List.of(), 0));
        return cases;
    }

    static String kind(Object value) {
        return value instanceof Meta ? "metadata" : "assignment";
    }

    static short version(Object value) {
        return value instanceof Meta m ? m.version() : ((Asg) value).version();
    }

    static byte[] encode(Object value) {
        ByteBuffer buffer;
        if (value instanceof Meta meta) {
            buffer = meta.encode();
        } else {
            Asg a = (Asg) value;
            buffer = a.version() == 0
                    ? ConnectProtocol.serializeAssignment(a.basic())
                    : IncrementalCooperativeConnectProtocol.serializeAssignment(a.extended(), a.version() >= 2);
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Decodes with the reader every worker uses (and, for v0, with v0's own reader too). */
    static List<String> decodeDiff(Object value, byte[] bytes) {
        List<String> out = new ArrayList<>();
        if (value instanceof Meta meta) {
            out.addAll(meta.diff(IncrementalCooperativeConnectProtocol.deserializeMetadata(ByteBuffer.wrap(bytes))));
            if (meta.version() == 0) {
                ConnectProtocol.WorkerState v0 = ConnectProtocol.deserializeMetadata(ByteBuffer.wrap(bytes));
                check(out, "v0 url", meta.url(), v0.url());
                check(out, "v0 offset", meta.offset(), v0.offset());
            }
        } else {
            Asg a = (Asg) value;
            out.addAll(a.diff(IncrementalCooperativeConnectProtocol.deserializeAssignment(ByteBuffer.wrap(bytes))));
            if (a.version() == 0)
                a.diffBasic(ConnectProtocol.deserializeAssignment(ByteBuffer.wrap(bytes)))
                        .forEach(d -> out.add("v0 reader " + d));
        }
        return out;
    }

    public static void main(String[] args) throws IOException {
        Map<String, Object> cases = cases();
        HexFormat hex = HexFormat.of();
        if (args.length == 1 && args[0].equals("print")) {
            cases.forEach((name, value) ->
                    System.out.println(name + " " + kind(value) + " " + version(value) + " " + hex.formatHex(encode(value))));
            return;
        }
        if (args.length != 2 || !args[0].equals("check")) {
            System.err.println("usage: ConnectProtocolGolden check <golden file> | print");
            System.exit(2);
        }
        int failures = 0;
        int checked = 0;
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#"))
                continue;
            String[] parts = line.split("\\s+");
            if (parts.length != 4) {
                System.out.println("FAIL " + line + ": expected 'name kind version hex'");
                failures++;
                continue;
            }
            String name = parts[0];
            Object value = cases.get(name);
            if (value == null) {
                System.out.println("FAIL " + name + ": no such case in ConnectProtocolGolden.java");
                failures++;
                continue;
            }
            List<String> problems = new ArrayList<>();
            check(problems, "kind", kind(value), parts[1]);
            check(problems, "version", Short.toString(version(value)), parts[2]);
            byte[] golden = hex.parseHex(parts[3]);
            String encoded = hex.formatHex(encode(value));
            if (!encoded.equals(parts[3]))
                problems.add("Java encodes " + encoded);
            problems.addAll(decodeDiff(value, golden));
            checked++;
            if (problems.isEmpty()) {
                System.out.println("ok " + name);
            } else {
                failures++;
                System.out.println("FAIL " + name + ": " + String.join("; ", problems));
            }
        }
        Collection<String> missing = new ArrayList<>(cases.keySet());
        Files.readAllLines(Path.of(args[1])).forEach(l -> missing.remove(l.strip().split("\\s+")[0]));
        for (String name : missing) {
            System.out.println("FAIL " + name + ": case missing from the golden file");
            failures++;
        }
        System.out.println(checked + " checked, " + failures + " failed");
        System.exit(failures == 0 ? 0 : 1);
    }
}

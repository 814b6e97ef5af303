/*
 * Java's side of the transforms differential test (tests/test_transforms_java.py).
 *
 * Reads cases, one JSON object a line, and writes one JSON line per case with what Kafka's own
 * transforms and predicates (connect-transforms 4.4.0) do with its records:
 *
 *   in:  {"id": "...", "config": {"transforms": "a,b", "transforms.a.type": "...", ...,
 *                                 "predicates": "p", "predicates.p.type": "...", ...},
 *         "records": [<record>, ...]}
 *   out: {"id": "...", "config_error": <error>}            (building the chain failed), or
 *        {"id": "...", "outcomes": [{"record": <record>} | {"dropped": true} | {"error": <error>}, ...]}
 *
 *   <record>: {"topic", "partition", "offset", "key_schema", "key", "value_schema", "value",
 *              "timestamp" (null: none), "headers": [{"key", "schema", "value"}, ...]}
 *   <error>:  {"kind": "config" | "data" | "other", "class": "<exception class>", "message": "...",
 *              "stage": "<transform or predicate class>" (record errors only)}
 *
 * The chain is built as Kafka's ConnectorConfig.transformationStages builds it: the aliases of
 * `transforms` in order; each `transforms.<alias>.type` instantiated and configured with its own
 * keys (prefix stripped, `type` kept, `predicate` and `negate` removed); a stage's predicate is
 * `predicates.<name>.type`, configured likewise, one instance per stage. A record runs through a
 * stage iff it has no predicate or `negate XOR predicate.test(record)`; `null` drops it (the rest
 * of the chain is skipped), an exception is the record's outcome. Records are SinkRecords (so
 * that InsertField's `offset.field` has an offset).
 *
 * Schemas and schema'd values use the neutral form of JsonConverterCases (compiled with this
 * file; its builders are reused). Schemaless values (no schema: a key, a value, a header, or
 * inside a schemaless map) are plain JSON for strings, booleans, lists, null, Long (integral
 * numbers) and Double (other numbers); everything else is an object of one tag:
 *   {"map": [[k, v], ...]}, {"int8"|"int16"|"int32": n}, {"int64": n}, {"float32"|"float64": x or
 *   "NaN"/"Infinity"/"-Infinity"}, {"bytes": "<base64>"}, {"decimal": "<BigDecimal text>"},
 *   {"date": <millis of a java.util.Date>}, {"struct": {"schema": <schema>, "value": <value>}}.
 * Written back, a Long is a plain number and a Double a plain number when finite. A schema named
 * like a logical type whose value is not of its class (Cast keeps the name of a Timestamp it
 * casts to int64) is written {"logical_mismatch": {"name", "value": <value by the schema's type>}}.
 * The JVM runs with UTC as its time zone and en_US as its locale.
 *
 *   java -cp <classes>:<connect libs>/* TransformCases <cases.jsonl> <results.jsonl>
 */

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

public class TransformCases {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One stage of the chain (Kafka's TransformationStage). */
    static final class Stage {
        final Transformation<SinkRecord> transformation;
        final Predicate<SinkRecord> predicate;
        final boolean negate;

        Stage(Transformation<SinkRecord> transformation, Predicate<SinkRecord> predicate, boolean negate) {
            this.transformation = transformation;
            this.predicate = predicate;
            this.negate = negate;
        }
    }

    public static void main(String[] args) throws IOException {
        System.out.println(System.getProperty("java.specification.version"));
        // What ferroconnect's SimpleDateFormat answers (docs/compatibility.md): UTC, English.
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("UTC"));
        java.util.Locale.setDefault(java.util.Locale.US);
        try (BufferedReader in = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8);
             BufferedWriter out = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                out.write(MAPPER.writeValueAsString(run(MAPPER.readTree(line))));
                out.write('\n');
            }
        }
    }

    static ObjectNode run(JsonNode c) {
        ObjectNode result = NODES.objectNode();
        result.set("id", c.get("id"));
        Map<String, String> config = new LinkedHashMap<>();
        c.get("config").properties().forEach(e -> config.put(e.getKey(), e.getValue().asText()));
        List<Stage> stages;
        try {
            stages = chain(config);
        } catch (Throwable e) {
            result.set("config_error", error(e, null));
            return result;
        }
        ArrayNode outcomes = result.putArray("outcomes");
        for (JsonNode r : c.get("records")) {
            outcomes.add(apply(stages, r));
        }
        for (Stage stage : stages) {
            stage.transformation.close();
            if (stage.predicate != null) {
                stage.predicate.close();
            }
        }
        return result;
    }

    // --- the chain, as ConnectorConfig.transformationStages builds it --------------------------

    static List<String> aliases(Map<String, String> config, String key) {
        List<String> out = new ArrayList<>();
        String text = config.get(key);
        if (text == null || text.trim().isEmpty()) {
            return out;
        }
        for (String alias : text.trim().split("\\s*,\\s*", -1)) {
            out.add(alias);
        }
        return out;
    }

    static Map<String, Object> withPrefix(Map<String, String> config, String prefix) {
        Map<String, Object> out = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    static Object instance(Map<String, String> config, String key) throws Exception {
        String className = config.get(key);
        if (className == null) {
            throw new ConfigException("Missing required configuration \"" + key + "\" which has no default value.");
        }
        Class<?> cls;
        try {
            cls = Class.forName(className.trim());
        } catch (ClassNotFoundException e) {
            throw new ConfigException(key, className, "Class " + className + " could not be found.");
        }
        return cls.getDeclaredConstructor().newInstance();
    }

    @SuppressWarnings("unchecked")
    static List<Stage> chain(Map<String, String> config) throws Exception {
        List<Stage> stages = new ArrayList<>();
        List<String> predicates = aliases(config, "predicates");
        for (String alias : aliases(config, "transforms")) {
            String prefix = "transforms." + alias + ".";
            Transformation<SinkRecord> transformation =
                    (Transformation<SinkRecord>) instance(config, prefix + "type");
            Map<String, Object> configs = withPrefix(config, prefix);
            Object predicateAlias = configs.remove("predicate");
            Object negate = configs.remove("negate");
            transformation.configure(configs);
            Predicate<SinkRecord> predicate = null;
            if (predicateAlias != null) {
                String name = predicateAlias.toString();
                if (!predicates.contains(name)) {
                    throw new ConfigException(prefix + "predicate", name, "Predicate alias " + name + " not in " + predicates);
                }
                String predicatePrefix = "predicates." + name + ".";
                predicate = (Predicate<SinkRecord>) instance(config, predicatePrefix + "type");
                predicate.configure(withPrefix(config, predicatePrefix));
            }
            stages.add(new Stage(transformation, predicate, negate != null && Boolean.parseBoolean(negate.toString())));
        }
        return stages;
    }

    static ObjectNode apply(List<Stage> stages, JsonNode r) {
        ObjectNode outcome = NODES.objectNode();
        SinkRecord record;
        try {
            record = record(r);
        } catch (Throwable e) {
            outcome.set("build_error", error(e, null));
            return outcome;
        }
        for (Stage stage : stages) {
            String where = stage.predicate == null ? null : stage.predicate.getClass().getName();
            try {
                if (stage.predicate == null || stage.negate ^ stage.predicate.test(record)) {
                    where = stage.transformation.getClass().getName();
                    record = stage.transformation.apply(record);
                }
            } catch (Throwable e) {
                outcome.set("error", error(e, where));
                return outcome;
            }
            if (record == null) {
                outcome.put("dropped", true);
                return outcome;
            }
        }
        try {
            outcome.set("record", neutral(record));
        } catch (Throwable e) {
            outcome.set("error", error(e, "(harness: writing the record)"));
        }
        return outcome;
    }

    static ObjectNode error(Throwable e, String stage) {
        ObjectNode node = NODES.objectNode();
        String kind = e instanceof ConfigException ? "config" : e instanceof DataException ? "data" : "other";
        node.put("kind", kind);
        node.put("class", e.getClass().getName());
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            message.append(" | caused by ").append(cause.getClass().getName()).append(": ").append(cause.getMessage());
        }
        node.put("message", message.toString());
        if (stage != null) {
            node.put("stage", stage);
        }
        return node;
    }

    // --- records: neutral form ⇄ SinkRecord ----------------------------------------------------

    static SinkRecord record(JsonNode r) {
        Schema keySchema = JsonConverterCases.schema(r.get("key_schema"));
        Schema valueSchema = JsonConverterCases.schema(r.get("value_schema"));
        ConnectHeaders headers = new ConnectHeaders();
        for (JsonNode h : r.path("headers")) {
            Schema schema = JsonConverterCases.schema(h.get("schema"));
            headers.add(h.get("key").asText(), value(schema, h.get("value")), schema);
        }
        Long timestamp = r.hasNonNull("timestamp") ? r.get("timestamp").longValue() : null;
        return new SinkRecord(r.get("topic").asText(), r.path("partition").asInt(0),
                keySchema, value(keySchema, r.get("key")), valueSchema, value(valueSchema, r.get("value")),
                r.path("offset").asLong(0), timestamp,
                timestamp == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME, headers);
    }

    static ObjectNode neutral(SinkRecord record) {
        ObjectNode r = NODES.objectNode();
        r.put("topic", record.topic());
        if (record.kafkaPartition() == null) {
            r.putNull("partition");
        } else {
            r.put("partition", record.kafkaPartition());
        }
        r.put("offset", record.kafkaOffset());
        r.set("key_schema", JsonConverterCases.neutral(record.keySchema()));
        r.set("key", neutral(record.keySchema(), record.key()));
        r.set("value_schema", JsonConverterCases.neutral(record.valueSchema()));
        r.set("value", neutral(record.valueSchema(), record.value()));
        if (record.timestamp() == null) {
            r.putNull("timestamp");
        } else {
            r.put("timestamp", record.timestamp());
        }
        ArrayNode headers = r.putArray("headers");
        for (Header h : record.headers()) {
            ObjectNode header = headers.addObject();
            header.put("key", h.key());
            header.set("schema", JsonConverterCases.neutral(h.schema()));
            header.set("value", neutral(h.schema(), h.value()));
        }
        return r;
    }

    static Object value(Schema schema, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return schema == null ? schemaless(node) : JsonConverterCases.value(schema, node);
    }

    /** As JsonConverterCases.neutral, but a value without a schema inside a container (a map or
     *  an array whose element schema is null, as Values.parseString builds them) is tagged. */
    static JsonNode neutral(Schema schema, Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (schema == null) {
            return schemalessNeutral(value);
        }
        switch (schema.type()) {
            case ARRAY: {
                ArrayNode list = NODES.arrayNode();
                for (Object item : (List<?>) value) {
                    list.add(neutral(schema.valueSchema(), item));
                }
                return list;
            }
            case MAP: {
                ArrayNode pairs = NODES.arrayNode();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    pairs.addArray().add(neutral(schema.keySchema(), e.getKey())).add(neutral(schema.valueSchema(), e.getValue()));
                }
                return pairs;
            }
            case STRUCT: {
                Struct struct = (Struct) value;
                ObjectNode object = NODES.objectNode();
                for (org.apache.kafka.connect.data.Field field : schema.fields()) {
                    object.set(field.name(), neutral(field.schema(), struct.getWithoutDefault(field.name())));
                }
                return object;
            }
            default:
                if (!logicalValueFits(schema, value)) {
                    // A schema named like a logical type whose value is not of the logical class
                    // (Cast keeps the name of a Timestamp it casts to int64): marked, so that the
                    // comparison sees that no converter can write it.
                    ObjectNode marker = NODES.objectNode();
                    ObjectNode inner = marker.putObject("logical_mismatch");
                    inner.put("name", schema.name());
                    inner.set("value", JsonConverterCases.neutral(SchemaBuilder.type(schema.type()).build(), value));
                    return marker;
                }
                return JsonConverterCases.neutral(schema, value);
        }
    }

    static boolean logicalValueFits(Schema schema, Object value) {
        String name = schema.name();
        if (Decimal.LOGICAL_NAME.equals(name)) {
            return value instanceof BigDecimal;
        }
        if (Date.LOGICAL_NAME.equals(name) || Time.LOGICAL_NAME.equals(name) || Timestamp.LOGICAL_NAME.equals(name)) {
            return value instanceof java.util.Date;
        }
        return true;
    }

    // --- schemaless values: plain JSON and tagged objects -------------------------------------

    static Object schemaless(JsonNode node) {
        if (node.isNull()) {
            return null;
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(item -> list.add(schemaless(item)));
            return list;
        }
        Map.Entry<String, JsonNode> tag = node.properties().iterator().next();
        JsonNode v = tag.getValue();
        switch (tag.getKey()) {
            case "map": {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (JsonNode pair : v) {
                    map.put(schemaless(pair.get(0)), schemaless(pair.get(1)));
                }
                return map;
            }
            case "int8":
                return (byte) v.intValue();
            case "int16":
                return (short) v.intValue();
            case "int32":
                return v.intValue();
            case "int64":
                return v.longValue();
            case "float32":
                return (float) JsonConverterCases.floating(v);
            case "float64":
                return JsonConverterCases.floating(v);
            case "bytes":
                return Base64.getDecoder().decode(v.asText());
            case "decimal":
                return new BigDecimal(v.asText());
            case "date":
                return new java.util.Date(v.longValue());
            case "struct": {
                Schema schema = JsonConverterCases.schema(v.get("schema"));
                return JsonConverterCases.value(schema, v.get("value"));
            }
            default:
                throw new IllegalArgumentException("unknown schemaless tag " + tag.getKey());
        }
    }

    static JsonNode tagged(String tag, JsonNode v) {
        ObjectNode node = NODES.objectNode();
        node.set(tag, v);
        return node;
    }

    static JsonNode schemalessNeutral(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof Long) {
            return NODES.numberNode((Long) value);
        }
        if (value instanceof Integer) {
            return tagged("int32", NODES.numberNode((Integer) value));
        }
        if (value instanceof Short) {
            return tagged("int16", NODES.numberNode((Short) value));
        }
        if (value instanceof Byte) {
            return tagged("int8", NODES.numberNode((Byte) value));
        }
        if (value instanceof Double) {
            double d = (Double) value;
            JsonNode n = JsonConverterCases.neutral(Schema.FLOAT64_SCHEMA, d);
            return Double.isFinite(d) ? n : tagged("float64", n);
        }
        if (value instanceof Float) {
            return tagged("float32", JsonConverterCases.neutral(Schema.FLOAT32_SCHEMA, value));
        }
        if (value instanceof Boolean) {
            return NODES.booleanNode((Boolean) value);
        }
        if (value instanceof String) {
            return NODES.textNode((String) value);
        }
        if (value instanceof byte[] || value instanceof ByteBuffer) {
            return tagged("bytes", JsonConverterCases.neutral(Schema.BYTES_SCHEMA, value));
        }
        if (value instanceof BigDecimal) {
            return tagged("decimal", NODES.textNode(value.toString()));
        }
        if (value instanceof java.util.Date) {
            return tagged("date", NODES.numberNode(((java.util.Date) value).getTime()));
        }
        if (value instanceof Struct) {
            Struct struct = (Struct) value;
            ObjectNode s = NODES.objectNode();
            s.set("schema", JsonConverterCases.neutral(struct.schema()));
            s.set("value", neutral(struct.schema(), struct));
            return tagged("struct", s);
        }
        if (value instanceof List) {
            ArrayNode list = NODES.arrayNode();
            ((List<?>) value).forEach(item -> list.add(schemalessNeutral(item)));
            return list;
        }
        if (value instanceof Map) {
            ArrayNode pairs = NODES.arrayNode();
            ((Map<?, ?>) value).forEach((k, v) -> pairs.addArray().add(schemalessNeutral(k)).add(schemalessNeutral(v)));
            return tagged("map", pairs);
        }
        throw new IllegalArgumentException("unexpected schemaless value of " + value.getClass());
    }
}

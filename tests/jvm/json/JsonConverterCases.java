/*
 * Java's side of the JsonConverter differential test (tests/test_json_converter_java.py).
 *
 * Reads cases, one JSON object a line, in a neutral form that both sides can build their data
 * from, and writes one JSON line per case with what Kafka's own JsonConverter (connect-json 4.4.0)
 * does with it:
 *
 *   in:  {"id": "...", "config": {"schemas.enable": "true", ...}, "converter": "header" (optional),
 *         "schema": <schema> | null, "value": <value>, "read": "<base64>" (optional)}
 *   out: {"id": "...", "build": {"error": ..., "message": ...} (only when building failed),
 *         "write": {"b64": "<bytes>"} | {"b64": null} (tombstone) | {"error": "<class>", "message": "..."},
 *         "back":  {"schema": <schema> | null, "value": <value>} | {"error": ..., "message": ...},
 *         "read":  the same as "back", for the case's own bytes (only when "read" was given)}
 *
 * "back" is toConnectData of the bytes that fromConnectData wrote: the round trip.
 *
 * With "converter": "header" the case goes through Kafka's default header converter,
 * SimpleHeaderConverter, instead (fromConnectHeader / toConnectHeader of header "h"; its config
 * is empty): the header-converter differential (tests/test_header_converter_java.py).
 *
 * Neutral schema: {"type": "INT8".."STRUCT", "optional": bool, "name", "version", "doc",
 * "parameters": {..}, "default": <value>, "fields": [{"name", "schema"}], "key": <schema>,
 * "value": <schema>}; absent keys are unset.
 * Neutral value, guided by its schema: integers as numbers; floats as numbers, non-finite ones as
 * the strings "NaN", "Infinity", "-Infinity"; bytes in base64; Decimal as BigDecimal's text;
 * Date as days, Time as milliseconds of the day, Timestamp as milliseconds since the epoch;
 * arrays as lists; maps as lists of [key, value] pairs; structs as objects of the fields that are
 * set. Without a schema (schemaless), values given are plain JSON (integers become Long, other
 * numbers Double, objects maps with string keys); values written back are plain JSON too, but a
 * map is {"map": [[key, value], ...]} so that it cannot be taken for an object of a struct.
 *
 *   java -cp <classes>:<connect libs>/* JsonConverterCases <cases.jsonl> <results.jsonl>
 *
 * Standard output gets one line: the JVM's java.specification.version (Double.toString and
 * Float.toString print the shortest digits from Java 19 on, JDK-4511638).
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

import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

public class JsonConverterCases {
    /** What a case goes through: a converter's two directions. */
    interface Codec {
        byte[] write(Schema schema, Object value);

        SchemaAndValue read(byte[] bytes);
    }

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final long MILLIS_PER_DAY = 86_400_000L;
    static final String TOPIC = "t";

    public static void main(String[] args) throws IOException {
        System.out.println(System.getProperty("java.specification.version"));
        Map<String, Codec> converters = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8);
             BufferedWriter out = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode c = MAPPER.readTree(line);
                boolean header = "header".equals(c.path("converter").asText());
                Codec converter = converters.computeIfAbsent(header + c.get("config").toString(),
                        k -> header ? headerConverter() : converter(c.get("config")));
                out.write(MAPPER.writeValueAsString(run(converter, c)));
                out.write('\n');
            }
        }
    }

    static Codec converter(JsonNode config) {
        Map<String, Object> settings = new HashMap<>();
        config.properties().forEach(e -> settings.put(e.getKey(), e.getValue().asText()));
        JsonConverter converter = new JsonConverter();
        converter.configure(settings, false);
        return new Codec() {
            public byte[] write(Schema schema, Object value) {
                return converter.fromConnectData(TOPIC, schema, value);
            }

            public SchemaAndValue read(byte[] bytes) {
                return converter.toConnectData(TOPIC, bytes);
            }
        };
    }

    static Codec headerConverter() {
        SimpleHeaderConverter converter = new SimpleHeaderConverter();
        converter.configure(new HashMap<>());
        return new Codec() {
            public byte[] write(Schema schema, Object value) {
                return converter.fromConnectHeader(TOPIC, "h", schema, value);
            }

            public SchemaAndValue read(byte[] bytes) {
                return converter.toConnectHeader(TOPIC, "h", bytes);
            }
        };
    }

    static ObjectNode run(Codec converter, JsonNode c) {
        ObjectNode result = NODES.objectNode();
        result.set("id", c.get("id"));
        if (c.hasNonNull("read")) {
            result.set("read", toConnect(converter, Base64.getDecoder().decode(c.get("read").asText())));
        }
        if (!c.has("value")) {
            return result;
        }
        Schema schema;
        Object value;
        try {
            schema = schema(c.get("schema"));
            value = value(schema, c.get("value"));
        } catch (RuntimeException e) {
            result.set("build", error(e));
            return result;
        }
        byte[] bytes;
        try {
            bytes = converter.write(schema, value);
        } catch (RuntimeException e) {
            result.set("write", error(e));
            return result;
        }
        ObjectNode write = NODES.objectNode();
        write.put("b64", bytes == null ? null : Base64.getEncoder().encodeToString(bytes));
        result.set("write", write);
        result.set("back", toConnect(converter, bytes));
        return result;
    }

    static ObjectNode toConnect(Codec converter, byte[] bytes) {
        try {
            SchemaAndValue read = converter.read(bytes);
            ObjectNode back = NODES.objectNode();
            back.set("schema", neutral(read.schema()));
            back.set("value", neutral(read.schema(), read.value()));
            return back;
        } catch (RuntimeException e) {
            return error(e);
        }
    }

    static ObjectNode error(Throwable e) {
        ObjectNode node = NODES.objectNode();
        node.put("error", e.getClass().getName());
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            message.append(" | caused by ").append(cause.getClass().getName()).append(": ").append(cause.getMessage());
        }
        node.put("message", message.toString());
        return node;
    }

    // --- neutral form → Kafka's schemas and values ---------------------------------------------

    static Schema schema(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        Schema.Type type = Schema.Type.valueOf(node.get("type").asText());
        SchemaBuilder builder;
        switch (type) {
            case ARRAY:
                builder = SchemaBuilder.array(schema(node.get("value")));
                break;
            case MAP:
                builder = SchemaBuilder.map(schema(node.get("key")), schema(node.get("value")));
                break;
            case STRUCT:
                builder = SchemaBuilder.struct();
                for (JsonNode field : node.get("fields")) {
                    builder.field(field.get("name").asText(), schema(field.get("schema")));
                }
                break;
            default:
                builder = SchemaBuilder.type(type);
        }
        if (node.path("optional").asBoolean(false)) {
            builder.optional();
        }
        if (node.hasNonNull("name")) {
            builder.name(node.get("name").asText());
        }
        if (node.hasNonNull("version")) {
            builder.version(node.get("version").intValue());
        }
        if (node.hasNonNull("doc")) {
            builder.doc(node.get("doc").asText());
        }
        if (node.hasNonNull("parameters")) {
            Map<String, String> parameters = new LinkedHashMap<>();
            node.get("parameters").properties().forEach(e -> parameters.put(e.getKey(), e.getValue().asText()));
            builder.parameters(parameters);
        }
        if (node.has("default")) {
            builder.defaultValue(value(builder, node.get("default")));
        }
        return builder.build();
    }

    static Object value(Schema schema, JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (schema == null) {
            return schemaless(node);
        }
        String name = schema.name();
        if (Decimal.LOGICAL_NAME.equals(name)) {
            return new BigDecimal(node.asText());
        }
        if (Date.LOGICAL_NAME.equals(name)) {
            return new java.util.Date(node.longValue() * MILLIS_PER_DAY);
        }
        if (Time.LOGICAL_NAME.equals(name) || Timestamp.LOGICAL_NAME.equals(name)) {
            return new java.util.Date(node.longValue());
        }
        switch (schema.type()) {
            case INT8:
                return (byte) node.intValue();
            case INT16:
                return (short) node.intValue();
            case INT32:
                return node.intValue();
            case INT64:
                return node.longValue();
            case FLOAT32:
                return (float) floating(node);
            case FLOAT64:
                return floating(node);
            case BOOLEAN:
                return node.booleanValue();
            case STRING:
                return node.textValue();
            case BYTES:
                return Base64.getDecoder().decode(node.asText());
            case ARRAY: {
                List<Object> list = new ArrayList<>();
                for (JsonNode item : node) {
                    list.add(value(schema.valueSchema(), item));
                }
                return list;
            }
            case MAP: {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (JsonNode pair : node) {
                    map.put(value(schema.keySchema(), pair.get(0)), value(schema.valueSchema(), pair.get(1)));
                }
                return map;
            }
            case STRUCT: {
                Struct struct = new Struct(schema);
                for (Map.Entry<String, JsonNode> e : node.properties()) {
                    struct.put(e.getKey(), value(schema.field(e.getKey()).schema(), e.getValue()));
                }
                return struct;
            }
            default:
                throw new IllegalArgumentException("unknown type " + schema.type());
        }
    }

    static double floating(JsonNode node) {
        if (node.isTextual()) {
            switch (node.asText()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    throw new IllegalArgumentException("not a float: " + node);
            }
        }
        return node.doubleValue();
    }

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
        Map<Object, Object> map = new LinkedHashMap<>();
        node.properties().forEach(e -> map.put(e.getKey(), schemaless(e.getValue())));
        return map;
    }

    // --- Kafka's schemas and values → neutral form ---------------------------------------------

    static JsonNode neutral(Schema schema) {
        if (schema == null) {
            return NODES.nullNode();
        }
        ObjectNode node = NODES.objectNode();
        node.put("type", schema.type().name());
        node.put("optional", schema.isOptional());
        if (schema.name() != null) {
            node.put("name", schema.name());
        }
        if (schema.version() != null) {
            node.put("version", schema.version());
        }
        if (schema.doc() != null) {
            node.put("doc", schema.doc());
        }
        if (schema.parameters() != null && !schema.parameters().isEmpty()) {
            ObjectNode parameters = node.putObject("parameters");
            schema.parameters().forEach(parameters::put);
        }
        if (schema.defaultValue() != null) {
            node.set("default", neutral(schema, schema.defaultValue()));
        }
        switch (schema.type()) {
            case ARRAY:
                node.set("value", neutral(schema.valueSchema()));
                break;
            case MAP:
                node.set("key", neutral(schema.keySchema()));
                node.set("value", neutral(schema.valueSchema()));
                break;
            case STRUCT: {
                ArrayNode fields = node.putArray("fields");
                for (Field field : schema.fields()) {
                    ObjectNode f = fields.addObject();
                    f.put("name", field.name());
                    f.set("schema", neutral(field.schema()));
                }
                break;
            }
            default:
                break;
        }
        return node;
    }

    static JsonNode neutral(Schema schema, Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (schema == null) {
            return schemalessNeutral(value);
        }
        String name = schema.name();
        if (Decimal.LOGICAL_NAME.equals(name)) {
            return NODES.textNode(((BigDecimal) value).toString());
        }
        if (Date.LOGICAL_NAME.equals(name)) {
            return NODES.numberNode(Math.floorDiv(((java.util.Date) value).getTime(), MILLIS_PER_DAY));
        }
        if (Time.LOGICAL_NAME.equals(name) || Timestamp.LOGICAL_NAME.equals(name)) {
            return NODES.numberNode(((java.util.Date) value).getTime());
        }
        switch (schema.type()) {
            case INT8:
            case INT16:
            case INT32:
            case INT64:
                return NODES.numberNode(((Number) value).longValue());
            case FLOAT32:
            case FLOAT64: {
                double d = ((Number) value).doubleValue();
                if (Double.isNaN(d)) {
                    return NODES.textNode("NaN");
                }
                if (Double.isInfinite(d)) {
                    return NODES.textNode(d > 0 ? "Infinity" : "-Infinity");
                }
                return NODES.numberNode(d);
            }
            case BOOLEAN:
                return NODES.booleanNode((Boolean) value);
            case STRING:
                return NODES.textNode((String) value);
            case BYTES: {
                byte[] bytes;
                if (value instanceof ByteBuffer) {
                    ByteBuffer buffer = ((ByteBuffer) value).duplicate();
                    bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                } else {
                    bytes = (byte[]) value;
                }
                return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
            }
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
                for (Field field : schema.fields()) {
                    object.set(field.name(), neutral(field.schema(), struct.getWithoutDefault(field.name())));
                }
                return object;
            }
            default:
                throw new IllegalArgumentException("unknown type " + schema.type());
        }
    }

    /** A schemaless value as plain JSON; a map as {"map": [[key, value], ...]}. */
    static JsonNode schemalessNeutral(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return NODES.numberNode(((Number) value).longValue());
        }
        if (value instanceof Double || value instanceof Float) {
            return neutral(Schema.FLOAT64_SCHEMA, value);
        }
        if (value instanceof Boolean) {
            return NODES.booleanNode((Boolean) value);
        }
        if (value instanceof String) {
            return NODES.textNode((String) value);
        }
        if (value instanceof List) {
            ArrayNode list = NODES.arrayNode();
            ((List<?>) value).forEach(item -> list.add(schemalessNeutral(item)));
            return list;
        }
        if (value instanceof Map) {
            ObjectNode map = NODES.objectNode();
            ArrayNode pairs = map.putArray("map");
            ((Map<?, ?>) value).forEach((k, v) -> pairs.addArray().add(schemalessNeutral(k)).add(schemalessNeutral(v)));
            return map;
        }
        throw new IllegalArgumentException("unexpected schemaless value of " + value.getClass());
    }
}

package ferroconnect.bench;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * The Java twin of {@code benches/struct_records.py}'s source variants: one task returning batches
 * of 1000 records of 10-field Structs, the schema and values of the Python bench's {@code row_put},
 * partition {@code {"t": topic}} and offset {@code {"i": i}}. With {@code prebuilt=true} every
 * {@code poll} returns the same 1000 records (the Python {@code prebuilt} variant), else it builds
 * each Struct with ten {@code put} calls (the {@code put} variant). It marks (see {@link Marks}) its
 * first poll and the acknowledgement of its last record.
 *
 * <p>Config: {@code topic}, {@code records}, {@code marks.file}, {@code prebuilt}.
 */
public class StructSourceConnector extends SourceConnector {
  static final Schema SCHEMA =
      SchemaBuilder.struct()
          .name("bench.Row")
          .field("id", Schema.INT64_SCHEMA)
          .field("name", Schema.STRING_SCHEMA)
          .field("age", Schema.INT32_SCHEMA)
          .field("score", Schema.FLOAT64_SCHEMA)
          .field("active", Schema.BOOLEAN_SCHEMA)
          .field("small", Schema.INT16_SCHEMA)
          .field("blob", Schema.BYTES_SCHEMA)
          .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
          .field("amount", Decimal.schema(2))
          .field("born", Date.SCHEMA)
          .build();
  private static final BigDecimal AMOUNT = new BigDecimal("12.34");
  // 2000-01-01 at midnight UTC, as Connect's Date wants it.
  private static final java.util.Date BORN = new java.util.Date(946_684_800_000L);
  private static final byte[] BLOB = "0123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final List<String> TAGS = Arrays.asList("a", "b");

  private Map<String, String> config = Collections.emptyMap();

  /** Row {@code i}, built field by field. */
  static Struct row(long i) {
    return new Struct(SCHEMA)
        .put("id", i)
        .put("name", "name " + i)
        .put("age", (int) (i % 100))
        .put("score", i / 3.0)
        .put("active", i % 2 == 0)
        .put("small", (short) (i % 1000))
        .put("blob", BLOB)
        .put("tags", TAGS)
        .put("amount", AMOUNT)
        .put("born", BORN);
  }

  @Override
  public String version() {
    return "1";
  }

  @Override
  public void start(Map<String, String> props) {
    config = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return StructSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    configs.add(config);
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  /** Batches of 1000 Struct records, then nothing (a 10 ms sleep per poll, as the Python task). */
  public static class StructSourceTask extends SourceTask {
    private static final int BATCH = 1000;
    private Map<String, Object> partition;
    private String topic;
    private long records;
    private long sent;
    private Marks marks;
    private List<SourceRecord> prebuilt;

    @Override
    public String version() {
      return "1";
    }

    @Override
    public void start(Map<String, String> props) {
      topic = props.get("topic");
      partition = Collections.singletonMap("t", topic);
      records = Long.parseLong(props.get("records"));
      marks = new Marks(props.get("marks.file"), records);
      if (Boolean.parseBoolean(props.getOrDefault("prebuilt", "false"))) {
        prebuilt = build(0);
      }
    }

    private List<SourceRecord> build(long first) {
      List<SourceRecord> batch = new ArrayList<>(BATCH);
      for (long i = first; i < first + BATCH; i++) {
        Map<String, Object> offset = Collections.singletonMap("i", i);
        batch.add(new SourceRecord(partition, offset, topic, SCHEMA, row(i)));
      }
      return batch;
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
      if (sent >= records) {
        Thread.sleep(10);
        return null;
      }
      marks.start();
      long first = sent;
      sent += BATCH;
      return prebuilt != null ? prebuilt : build(first);
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
      marks.count(1);
    }

    @Override
    public void stop() {}
  }
}

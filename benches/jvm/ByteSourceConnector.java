package ferroconnect.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * The Java twin of {@code benches/source_throughput.py}'s variant af: one task whose every {@code
 * poll} builds 1000 fresh records of the same 100-byte value, each with a fresh offset map {@code
 * {"o": n}}, all under one shared partition map, to {@code topic}, until {@code records} were sent.
 * It marks (see {@link Marks}) its first poll and the acknowledgement of its last record ({@code
 * commitRecord}, which Connect calls from the producer's callback).
 *
 * <p>Config: {@code topic}, {@code records}, {@code marks.file}.
 */
public class ByteSourceConnector extends SourceConnector {
  private Map<String, String> config = Collections.emptyMap();

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
    return ByteSourceTask.class;
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

  /** Fresh records each poll, then nothing (a 10 ms sleep per poll, as the Python task). */
  public static class ByteSourceTask extends SourceTask {
    private static final int BATCH = 1000;
    private static final byte[] VALUE = new byte[100];
    private final Map<String, Object> partition = Collections.singletonMap("p", 0);
    private String topic;
    private long records;
    private long sent;
    private Marks marks;

    static {
      java.util.Arrays.fill(VALUE, (byte) 'x');
    }

    @Override
    public String version() {
      return "1";
    }

    @Override
    public void start(Map<String, String> props) {
      topic = props.get("topic");
      records = Long.parseLong(props.get("records"));
      marks = new Marks(props.get("marks.file"), records);
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
      if (sent >= records) {
        Thread.sleep(10);
        return null;
      }
      marks.start();
      long end = Math.min(records, sent + BATCH);
      List<SourceRecord> batch = new ArrayList<>((int) (end - sent));
      for (long o = sent; o < end; o++) {
        Map<String, Object> offset = Collections.singletonMap("o", o);
        batch.add(new SourceRecord(partition, offset, topic, Schema.BYTES_SCHEMA, VALUE));
      }
      sent = end;
      return batch;
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
      marks.count(1);
    }

    @Override
    public void stop() {}
  }
}

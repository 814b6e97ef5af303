package ferroconnect.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * The Java twin of {@code benches/struct_records.py}'s sink variant {@code get}: one task whose
 * {@code put} reads one field of each record's Struct value, {@code value.get("id")}. It marks
 * (see {@link Marks}) its first record and its {@code records}-th.
 *
 * <p>Config: {@code topics}, {@code records}, {@code marks.file}.
 */
public class StructSinkConnector extends SinkConnector {
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
    return StructSinkTask.class;
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

  /** Reads {@code id} of every value. */
  public static class StructSinkTask extends SinkTask {
    private Marks marks;
    // Kept so that the JIT cannot drop the reads.
    private long sum;

    @Override
    public String version() {
      return "1";
    }

    @Override
    public void start(Map<String, String> props) {
      marks = new Marks(props.get("marks.file"), Long.parseLong(props.get("records")));
    }

    @Override
    public void put(Collection<SinkRecord> records) {
      if (records.isEmpty()) {
        return;
      }
      marks.start();
      for (SinkRecord record : records) {
        sum += (Long) ((Struct) record.value()).get("id");
      }
      marks.count(records.size());
    }

    @Override
    public void stop() {}
  }
}

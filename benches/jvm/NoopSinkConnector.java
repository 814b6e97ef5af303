package ferroconnect.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * The Java twin of {@code benches/sink_throughput.py}'s variant a: one task whose {@code put} only
 * counts the records. It marks (see {@link Marks}) its first record and its {@code records}-th.
 *
 * <p>Config: {@code topics}, {@code records}, {@code marks.file}.
 */
public class NoopSinkConnector extends SinkConnector {
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
    return NoopSinkTask.class;
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

  /** Counts what {@code put} gets. */
  public static class NoopSinkTask extends SinkTask {
    private Marks marks;

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
      marks.count(records.size());
    }

    @Override
    public void stop() {}
  }
}

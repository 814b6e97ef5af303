package ferroconnect.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * A source connector whose tasks have nothing to do: {@code tasks.max} tasks, each {@code poll}
 * sleeps 100 ms and returns null. The Java twin of {@code benches/idle_connector.py}, so that
 * {@code benches/rebalance.py} times the same work on both runtimes: only the cluster's.
 *
 * <p>Compiled by the benchmark against Java Connect's jars into a temp folder put on the worker's
 * classpath; {@code META-INF/services} beside it lets Connect's plugin scan find it.
 */
public class IdleSourceConnector extends SourceConnector {
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
    return IdleTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      configs.add(config);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  /** Polls nothing: sleeps 100 ms, returns null. */
  public static class IdleTask extends SourceTask {
    @Override
    public String version() {
      return "1";
    }

    @Override
    public void start(Map<String, String> props) {}

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
      Thread.sleep(100);
      return null;
    }

    @Override
    public void stop() {}
  }
}

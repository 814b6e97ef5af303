package ferroconnect.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a benchmark task measures of itself: the moment and the JVM's CPU time at its first record,
 * when it has seen half of the {@code expected} records and when it has seen them all, written as
 * one JSON object to {@code marks.file}. The second half alone shows the JIT-compiled rate: a run
 * of a million records spends seconds of its CPU compiling.
 *
 * <p>The task measures itself because the moments the benchmarks time (a source's first {@code
 * poll} and the acknowledgement of its last record, a sink's first and last record) are only
 * visible inside the worker, and the JVM's CPU time over that window leaves out its start-up,
 * which an outside reading of /proc at those moments could not. CPU time is the whole process's
 * (every thread: task, producer or consumer, JIT and GC), from {@code getProcessCpuTime}.
 */
final class Marks {
  private final Path file;
  private final long expected;
  private final AtomicLong seen = new AtomicLong();
  private volatile long startNanos;
  private volatile long startCpuNanos;
  private volatile boolean started;
  private volatile long halfNanos;
  private volatile long halfCpuNanos;
  private volatile long halfRecords;

  Marks(String file, long expected) {
    this.file = Paths.get(file);
    this.expected = expected;
  }

  /** Marks the start, once: the first poll of a source, the first record of a sink. */
  void start() {
    if (!started) {
      synchronized (this) {
        if (!started) {
          startNanos = System.nanoTime();
          startCpuNanos = cpuNanos();
          started = true;
        }
      }
    }
  }

  /** Counts {@code n} more records; the call that reaches {@code expected} writes the file. */
  void count(long n) {
    long before = seen.getAndAdd(n);
    long half = expected / 2;
    if (before < half && before + n >= half) {
      halfNanos = System.nanoTime();
      halfCpuNanos = cpuNanos();
      halfRecords = before + n;
    }
    if (before < expected && before + n >= expected) {
      write(System.nanoTime(), cpuNanos(), before + n);
    }
  }

  private void write(long endNanos, long endCpuNanos, long records) {
    String json =
        String.format(
            Locale.ROOT,
            "{\"records\": %d, \"seconds\": %.9f, \"cpu_s\": %.9f, \"second_half_records\": %d,"
                + " \"second_half_seconds\": %.9f, \"second_half_cpu_s\": %.9f}%n",
            records,
            (endNanos - startNanos) / 1e9,
            (endCpuNanos - startCpuNanos) / 1e9,
            records - halfRecords,
            (endNanos - halfNanos) / 1e9,
            (endCpuNanos - halfCpuNanos) / 1e9);
    // Written aside and renamed, so that the benchmark never reads half a file.
    Path staged = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.write(staged, json.getBytes(StandardCharsets.UTF_8));
      Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new RuntimeException("cannot write " + file, e);
    }
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}

package bpbench.jvm.apps;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.streaming.Time;
import org.apache.spark.streaming.api.java.JavaDStream;

/**
 * The app's own account of what it processed: one JSON line per batch in
 * {@code batches.jsonl}, appended by the driver, as {@code apps/driver.py} writes it (or, with
 * another file name, one line per result the app reports, such as a time window's).
 *
 * <p>It holds only the file's path, so the output operations that capture it survive the
 * checkpointing of the DStream graph.
 */
public final class BatchLog implements Serializable {

    static final String BATCHES_FILE = "batches.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String path;

    public BatchLog(String outputDir) {
        this(outputDir, BATCHES_FILE);
    }

    public BatchLog(String outputDir, String fileName) {
        this.path = Path.of(outputDir, fileName).toString();
    }

    /**
     * Every batch of {@code tallies} becomes one line: the sum of its tallies, as {@code figures}
     * names them; the figures of the whole state only {@code withStateScan}.
     */
    public void writeEachBatch(JavaDStream<Figures.Tally> tallies, Figures figures, boolean withStateScan) {
        tallies.foreachRDD((rdd, time) ->
                append(time, figures.fields(rdd.fold(figures.zero(), Figures.Tally::plus), withStateScan)));
    }

    public void append(Time batchTime, Map<String, Object> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("batch_time_ms", batchTime.milliseconds());
        line.putAll(fields);
        write(toJson(line) + "\n");
    }

    private static String toJson(Map<String, Object> line) {
        try {
            return JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a batch line that is not JSON: " + line, e);
        }
    }

    private synchronized void write(String line) {
        try {
            // Opened, appended and closed per batch: each line is on disk when the batch ends.
            Files.writeString(Path.of(path), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

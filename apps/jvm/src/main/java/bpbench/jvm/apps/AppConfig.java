package bpbench.jvm.apps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.streaming.Duration;
import org.apache.spark.streaming.Durations;

/**
 * What the harness tells an app in its {@code --config} JSON file, the same file the Python apps
 * read ({@code apps/driver.py}): the input ({@code source} "direct" or "receiver"), the batch
 * interval and the output folder, plus the state settings of the stateful apps, the cost factor of
 * expensive records and the window apps' window ({@code window_size}, {@code window_slide},
 * {@code top_k}, {@code checkpoint_interval_batches}). The JVM apps read the artifact layout only:
 * a config naming another {@code layout} is refused (the manifest's validation refuses it before
 * anything starts).
 */
public record AppConfig(
        String bootstrapServers,
        String topic,
        String groupId,
        long batchIntervalMs,
        String outputDir,
        String source,
        int receivers,
        String checkpointDir,
        long stateTimeoutMs,
        int costFactor,
        Map<String, String> kafkaParams,
        int ranks,
        boolean reportState,
        String storageLevel,
        long inFlightBudget,
        String controlTopic,
        String controller,
        Double windowSize,
        Double windowSlide,
        Integer topK,
        int checkpointIntervalBatches) {

    /** The paper's state timeout: a key not updated for 20 s leaves the state. */
    static final double DEFAULT_STATE_TIMEOUT_S = 20.0;
    /** The window apps' state is checkpointed this often unless the config says otherwise. */
    static final int DEFAULT_CHECKPOINT_INTERVAL_BATCHES = 10;
    /** {@code inFlightBudget} when the receivers may hold any number of bytes in Spark. */
    public static final long NO_BUDGET = -1;

    public static AppConfig fromArgs(String[] args) throws IOException {
        if (args.length != 2 || !args[0].equals("--config")) {
            throw new IllegalArgumentException("usage: --config FILE");
        }
        return fromJson(new ObjectMapper().readTree(Path.of(args[1]).toFile()));
    }

    static AppConfig fromJson(JsonNode raw) {
        String outputDir = raw.get("output_dir").asText();
        String checkpointDir = raw.hasNonNull("checkpoint_dir")
                ? raw.get("checkpoint_dir").asText()
                : Path.of(outputDir, "checkpoint").toString();
        double timeoutS = raw.path("state_timeout_s").asDouble(DEFAULT_STATE_TIMEOUT_S);
        String layout = raw.path("layout").asText("artifact");
        if (!layout.equals("artifact")) {
            throw new IllegalArgumentException("the JVM apps read the artifact layout only, not " + layout);
        }
        // The cluster's client settings (security), added to the app's consumers.
        Map<String, String> kafkaParams = new LinkedHashMap<>();
        raw.path("kafka_params").fields().forEachRemaining(e -> kafkaParams.put(e.getKey(), e.getValue().asText()));
        return new AppConfig(
                raw.get("bootstrap_servers").asText(),
                raw.get("topic").asText(),
                raw.get("group_id").asText(),
                raw.get("batch_interval_ms").asLong(),
                outputDir,
                raw.path("source").asText("direct"),
                raw.path("receivers").asInt(1),
                checkpointDir,
                Math.round(timeoutS * 1000),
                raw.path("cost_factor").asInt(1),
                Map.copyOf(kafkaParams),
                raw.path("ranks").asInt(1),
                raw.path("report_state").asBoolean(false),
                raw.path("storage_level").asText("MEMORY_ONLY"),
                raw.hasNonNull("in_flight_budget") ? raw.get("in_flight_budget").asLong() : NO_BUDGET,
                raw.hasNonNull("control_topic") ? raw.get("control_topic").asText() : null,
                // The plugged rate controller's setting as JSON text (null: Spark's own backpressure).
                raw.hasNonNull("controller") ? raw.get("controller").toString() : null,
                // The window apps' window: tuples (count windows) or seconds (time windows).
                raw.hasNonNull("window_size") ? raw.get("window_size").asDouble() : null,
                raw.hasNonNull("window_slide") ? raw.get("window_slide").asDouble() : null,
                raw.hasNonNull("top_k") ? raw.get("top_k").asInt() : null,
                raw.path("checkpoint_interval_batches").asInt(DEFAULT_CHECKPOINT_INTERVAL_BATCHES));
    }

    public boolean readsThroughReceivers() {
        return source.equals("receiver");
    }

    public Duration batchInterval() {
        return Durations.milliseconds(batchIntervalMs);
    }

    public Duration stateTimeout() {
        return Durations.milliseconds(stateTimeoutMs);
    }

    /** How often the window apps checkpoint their stateful DStream: every {@code checkpoint_interval_batches} batches. */
    public Duration checkpointInterval() {
        return Durations.milliseconds(checkpointIntervalBatches * batchIntervalMs);
    }

    /** The window's size in tuples (count windows), as {@code int(config.window_size)} in Python. */
    public int windowSizeTuples() {
        return (int) (double) required(windowSize, "window_size");
    }

    /** The window's slide in tuples (count sliding window). */
    public int windowSlideTuples() {
        return (int) (double) required(windowSlide, "window_slide");
    }

    /** The window's size in seconds as a Spark duration, truncated to whole ms as PySpark's {@code _jduration}. */
    public Duration windowSizeDuration() {
        return Durations.milliseconds((long) (required(windowSize, "window_size") * 1000));
    }

    public Duration windowSlideDuration() {
        return Durations.milliseconds((long) (required(windowSlide, "window_slide") * 1000));
    }

    public int topKeys() {
        return required(topK, "top_k");
    }

    private static <T> T required(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException("the window app needs " + name + " in its config");
        }
        return value;
    }
}

package bpbench.jvm.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.streaming.StreamingContext;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.dstream.ReceiverInputDStream;

/**
 * The controllers a run can plug in, made from the resolved {@code controller} setting the harness
 * writes into the app's config (see {@code harness/spec/manifest.py}, which validates it first):
 * {@code {"kind": "fixed", "rate": R}}, {@code {"kind": "pid", <Spark's PID gains>}} and
 * {@code {"kind": "governor", ..., "pid": {<gains>}}} and {@code {"kind": "python", ...}}, whose
 * decisions a Python object makes ({@link PythonController}). Kind {@code spark} never reaches the
 * JVM: it is Spark's built-in backpressure.
 */
public final class Controllers {

    private Controllers() {
    }

    public static Controller fromJson(String json, long intervalMs) {
        return fromJson(json, intervalMs, 0, null);
    }

    /**
     * @param streamId the input stream the controller serves
     * @param pythonDecider kind {@code python}: the Python side's {@code Decider} (a Py4J proxy)
     */
    @SuppressWarnings("unchecked")
    public static Controller fromJson(String json, long intervalMs, int streamId, Object pythonDecider) {
        JsonNode spec;
        try {
            spec = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String kind = spec.path("kind").asText();
        return switch (kind) {
            case "fixed" -> new FixedController(spec.get("rate").asDouble());
            case "pid" -> pid(spec, intervalMs);
            case "governor" -> new GovernorController(
                    intervalMs,
                    spec.get("region_batches").asInt(),
                    spec.get("min_job_records").asLong(),
                    (int) Math.ceil(spec.get("history_s").asDouble() * 1000 / intervalMs),
                    spec.get("warmup_regions").asInt(),
                    pid(spec.get("pid"), intervalMs));
            case "python" -> {
                if (pythonDecider == null) {
                    throw new IllegalArgumentException("controller kind python runs only in a PySpark app");
                }
                yield new PythonController(streamId, (Function<Object, Object>) pythonDecider);
            }
            default -> throw new IllegalArgumentException("unknown controller kind: " + kind);
        };
    }

    static SparkPidController pid(JsonNode gains, long intervalMs) {
        return new SparkPidController(intervalMs, gains.get("proportional").asDouble(),
                gains.get("integral").asDouble(), gains.get("derived").asDouble(), gains.get("min_rate").asDouble());
    }

    /**
     * Plugs a controller (one per receiver stream, each with the stream's own statistics, as Spark
     * gives each receiver stream its own PID) into receiver streams: listeners that send each new
     * limit to their receiver. Call before the context starts.
     */
    public static void controlReceivers(JavaStreamingContext jssc, List<ReceiverInputDStream<?>> streams,
            String controllerJson, String outputDir, Object pythonDecider) {
        StreamingContext ssc = jssc.ssc();
        long intervalMs = ssc.graph().batchDuration().milliseconds();
        DecisionLog log = new DecisionLog(outputDir);
        List<PluggedRateController> made = new ArrayList<>();
        for (ReceiverInputDStream<?> stream : streams) {
            made.add(new PluggedRateController(stream.id(),
                    fromJson(controllerJson, intervalMs, stream.id(), pythonDecider), log, new ReceiverRates(ssc)));
        }
        made.forEach(jssc::addStreamingListener);
    }
}

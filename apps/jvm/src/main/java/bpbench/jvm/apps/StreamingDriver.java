package bpbench.jvm.apps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import bpbench.jvm.BatchStatsListener;
import bpbench.jvm.KafkaDirectStreams;
import bpbench.jvm.KafkaReceiverStreams;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * The driver protocol every app shares with the harness, as {@code apps/driver.py} implements it
 * for the Python apps: read {@code --config}, start streaming, announce the driver in
 * {@code driver.json}, and stop gracefully (finishing the batches it has) once {@code STOP} exists.
 * A failure of the streaming job ends the driver with exit status 1, which the harness records.
 */
public final class StreamingDriver {

    static final String HANDSHAKE_FILE = "driver.json";
    static final String STOP_FILE = "STOP";
    static final String OFFSETS_FILE = "offsets.jsonl";
    static final long POLL_MS = 500;

    /** What an app adds to the streaming context: its transformations and output operations. */
    public interface Pipeline {
        void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config);
    }

    private StreamingDriver() {
    }

    public static void run(String[] args, Pipeline pipeline) {
        try {
            runUntilStopped(AppConfig.fromArgs(args), pipeline);
        } catch (Throwable failure) {
            failure.printStackTrace();
            // Spark's threads may outlive main; exiting here makes the failure the process's status.
            System.exit(1);
        }
    }

    static void runUntilStopped(AppConfig config, Pipeline pipeline) throws Exception {
        JavaSparkContext sc = new JavaSparkContext(new SparkConf());
        JavaStreamingContext jssc = new JavaStreamingContext(sc, config.batchInterval());
        pipeline.define(jssc, recordValues(jssc, config), config);
        new BatchStatsListener().attach(jssc, config.outputDir());
        jssc.start();
        writeHandshake(config, sc);
        Path stopFile = Path.of(config.outputDir(), STOP_FILE);
        // awaitTerminationOrTimeout rethrows a failure of the streaming job.
        while (!Files.exists(stopFile)) {
            if (jssc.awaitTerminationOrTimeout(POLL_MS)) {
                return;
            }
        }
        jssc.stop(true, true);
    }

    /**
     * The topic's record values, as the Python apps read them ({@code apps/kafka_dstream.py}):
     * through receivers, or from the direct stream, which logs each batch's offset ranges to
     * {@code offsets.jsonl} and commits them to the group.
     */
    static JavaDStream<byte[]> recordValues(JavaStreamingContext jssc, AppConfig config) {
        Map<String, String> params = new HashMap<>(config.kafkaParams());
        params.put("bootstrap.servers", config.bootstrapServers());
        params.put("group.id", config.groupId());
        params.put("auto.offset.reset", "earliest");
        List<String> topics = List.of(config.topic());
        if (config.readsThroughReceivers()) {
            return new KafkaReceiverStreams().createValueStream(jssc, params, topics, config.receivers(),
                    config.storageLevel(), config.controlTopic(), config.inFlightBudget(), config.controller(),
                    config.outputDir(), null);
        }
        String offsetLog = Path.of(config.outputDir(), OFFSETS_FILE).toString();
        return new KafkaDirectStreams().createValueStream(jssc, params, topics, offsetLog, config.controller(),
                config.outputDir(), null);
    }

    static void writeHandshake(AppConfig config, JavaSparkContext sc) throws IOException {
        Map<String, Object> handshake = new LinkedHashMap<>();
        handshake.put("app_id", sc.sc().applicationId());
        handshake.put("ui_url", sc.sc().uiWebUrl().isDefined() ? sc.sc().uiWebUrl().get() : null);
        handshake.put("pid", ProcessHandle.current().pid());
        Path target = Path.of(config.outputDir(), HANDSHAKE_FILE);
        Path partial = Path.of(config.outputDir(), HANDSHAKE_FILE + ".partial");
        Files.writeString(partial, new ObjectMapper().writeValueAsString(handshake));
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}

package bpbench.jvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaInputDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.kafka010.CanCommitOffsets;
import org.apache.spark.streaming.kafka010.ConsumerStrategies;
import org.apache.spark.streaming.kafka010.ConsumerStrategy;
import org.apache.spark.streaming.kafka010.DefaultPerPartitionConfig;
import org.apache.spark.streaming.kafka010.HasOffsetRanges;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.apache.spark.streaming.kafka010.LocationStrategies;
import org.apache.spark.streaming.kafka010.OffsetRange;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import bpbench.jvm.control.ControlledDirectKafkaInputDStream;
import bpbench.jvm.control.Controllers;
import bpbench.jvm.control.DecisionLog;

/**
 * Hands a direct Kafka DStream to PySpark, which has had no Kafka DStream API since Spark 3.
 *
 * <p>The stream carries each record's value as {@code byte[]}; PySpark reads such elements
 * unchanged with its {@code NoOpSerializer}. Rate control is Spark's own (with backpressure on,
 * the direct stream sizes each batch from the PID estimator and
 * {@code spark.streaming.kafka.maxRatePerPartition}), or, given a controller setting, a plugged
 * controller's ({@link ControlledDirectKafkaInputDStream}).
 *
 * <p>Py4J finds classes added with {@code --jars} only through the context class loader, so
 * Python loads this class there and calls it through an instance.
 */
public final class KafkaDirectStreams {

    public KafkaDirectStreams() {
    }

    /**
     * A stream of record values from {@code topics}. For each batch the offset ranges it covers are
     * appended to {@code offsetLog} (one JSON line: batch time and [partition, from, until] ranges),
     * so the harness can tell exactly which records the batches the app finished held; and the
     * offsets are committed to {@code group.id}, so the group's lag in Kafka follows the app.
     *
     * @param controllerJson the plugged rate controller ({@link Controllers}), or null for Spark's own
     * @param outputDir where the controller's decisions go ({@link DecisionLog})
     * @param pythonDecider controller kind python: the PySpark driver's decider (else null)
     */
    public JavaDStream<byte[]> createValueStream(
            JavaStreamingContext jssc, Map<String, String> kafkaParams, List<String> topics, String offsetLog,
            String controllerJson, String outputDir, Object pythonDecider) {
        Map<String, Object> params = new HashMap<>(kafkaParams);
        params.put("key.deserializer", ByteArrayDeserializer.class);
        params.put("value.deserializer", ByteArrayDeserializer.class);
        params.put("enable.auto.commit", false);

        ConsumerStrategy<byte[], byte[]> subscription = ConsumerStrategies.<byte[], byte[]>Subscribe(topics, params);
        JavaInputDStream<ConsumerRecord<byte[], byte[]>> input;
        if (controllerJson == null) {
            input = KafkaUtils.createDirectStream(jssc, LocationStrategies.PreferConsistent(), subscription);
        } else {
            // What KafkaUtils builds, with our controller in place of Spark's.
            ClassTag<ConsumerRecord<byte[], byte[]>> tag = ClassTag$.MODULE$.apply(ConsumerRecord.class);
            input = new JavaInputDStream<>(new ControlledDirectKafkaInputDStream<>(jssc.ssc(),
                    LocationStrategies.PreferConsistent(), subscription,
                    new DefaultPerPartitionConfig(jssc.sparkContext().getConf()), controllerJson, pythonDecider,
                    new DecisionLog(outputDir)), tag);
        }
        input.foreachRDD((rdd, time) -> {
            OffsetRange[] ranges = ((HasOffsetRanges) rdd.rdd()).offsetRanges();
            appendOffsets(offsetLog, time.milliseconds(), ranges);
            ((CanCommitOffsets) input.inputDStream()).commitAsync(ranges);
        });
        return input.map(ConsumerRecord::value);
    }

    private static void appendOffsets(String offsetLog, long batchTimeMs, OffsetRange[] ranges)
            throws IOException {
        StringBuilder line = new StringBuilder("{\"batch_time_ms\": ").append(batchTimeMs).append(", \"ranges\": [");
        for (int i = 0; i < ranges.length; i++) {
            OffsetRange range = ranges[i];
            line.append(i == 0 ? "" : ", ").append('[').append(range.partition()).append(", ")
                    .append(range.fromOffset()).append(", ").append(range.untilOffset()).append(']');
        }
        line.append("]}\n");
        Files.writeString(Path.of(offsetLog), line, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}

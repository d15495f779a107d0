package bpbench.jvm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.spark.storage.StorageLevel;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaReceiverInputDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.dstream.ReceiverInputDStream;

import bpbench.jvm.control.Controllers;

/**
 * Hands PySpark (and the Java apps) a stream of Kafka record values read by {@code receivers}
 * receivers ({@link KafkaRecordReceiver}), one input stream each, unioned into one DStream, as the
 * original artifact unioned one stream per receiver.
 *
 * <p>With a control topic, each receiver measures its data in flight ({@link InFlightGauge}) and,
 * with a budget above 0, holds back at its equal share of it; the driver publishes the processed counts
 * ({@link ProcessedCountPublisher}). Called from Python through an instance, like
 * {@link KafkaDirectStreams}.
 */
public final class KafkaReceiverStreams {

    public KafkaReceiverStreams() {
    }

    /**
     * @param storageLevel a Spark storage level's name ({@code MEMORY_ONLY}, the original's)
     * @param controlTopic null: nothing measured, no budget
     * @param inFlightBudget bytes; 0 or less: no budget
     * @param controllerJson a plugged rate controller per receiver ({@link Controllers}), or null for
     *     Spark's own
     * @param outputDir where the controllers' decisions go
     * @param pythonDecider controller kind python: the PySpark driver's decider (else null)
     */
    @SuppressWarnings("unchecked")
    public JavaDStream<byte[]> createValueStream(
            JavaStreamingContext jssc, Map<String, String> kafkaParams, List<String> topics, int receivers,
            String storageLevel, String controlTopic, long inFlightBudget, String controllerJson,
            String outputDir, Object pythonDecider) {
        StorageLevel storage = StorageLevel.fromString(storageLevel);
        if (controlTopic != null) {
            ProcessedCountPublisher.attach(jssc, controlTopic, kafkaParams);
        }
        List<JavaDStream<byte[]>> streams = new ArrayList<>();
        List<ReceiverInputDStream<?>> inputs = new ArrayList<>();
        for (int i = 0; i < receivers; i++) {
            InFlightGauge gauge = controlTopic == null ? null : new InFlightGauge(controlTopic, inFlightBudget, receivers, kafkaParams);
            JavaReceiverInputDStream<byte[]> stream =
                    jssc.receiverStream(new KafkaRecordReceiver(kafkaParams, topics, storage, gauge));
            streams.add(stream);
            inputs.add(stream.receiverInputDStream());
        }
        if (controllerJson != null) {
            Controllers.controlReceivers(jssc, inputs, controllerJson, outputDir, pythonDecider);
        }
        return streams.size() == 1 ? streams.get(0) : jssc.union(streams.toArray(new JavaDStream[0]));
    }
}

package bpbench.jvm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.spark.storage.StorageLevel;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * Hands PySpark a stream of Kafka record values read by {@code receivers} receivers
 * ({@link KafkaRecordReceiver}), unioned into one DStream.
 *
 * <p>Called from Python through an instance, like {@link KafkaDirectStreams}.
 */
public final class KafkaReceiverStreams {

    public KafkaReceiverStreams() {
    }

    @SuppressWarnings("unchecked")
    public JavaDStream<byte[]> createValueStream(
            JavaStreamingContext jssc, Map<String, String> kafkaParams, List<String> topics, int receivers) {
        List<JavaDStream<byte[]>> streams = new ArrayList<>();
        for (int i = 0; i < receivers; i++) {
            streams.add(jssc.receiverStream(
                    new KafkaRecordReceiver(kafkaParams, topics, StorageLevel.MEMORY_AND_DISK_SER())));
        }
        return streams.size() == 1 ? streams.get(0) : jssc.union(streams.toArray(new JavaDStream[0]));
    }
}

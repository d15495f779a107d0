package bpbench.jvm;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.scheduler.StreamInputInfo;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;
import scala.Tuple2;
import scala.collection.Iterator;

/**
 * The driver's half of the in-flight budget: after every completed batch, each input stream's
 * records processed so far go to the control topic, where the receivers' {@link InFlightGauge}s
 * read them. The original artifact's Spark listener told its message queue the same over ZeroMQ.
 * The producer's I/O thread is a daemon and each count is sent at once ({@code linger.ms=0}), so
 * nothing needs closing when the driver ends.
 */
public final class ProcessedCountPublisher implements StreamingListener {

    private final String controlTopic;
    private final KafkaProducer<String, String> producer;
    private final Map<Integer, Long> processed = new HashMap<>();

    private ProcessedCountPublisher(String controlTopic, Map<String, String> kafkaParams) {
        Properties properties = new Properties();
        properties.putAll(kafkaParams);
        properties.remove("group.id");
        properties.remove("auto.offset.reset");
        properties.put("key.serializer", StringSerializer.class.getName());
        properties.put("value.serializer", StringSerializer.class.getName());
        properties.put("linger.ms", "0");
        this.controlTopic = controlTopic;
        this.producer = new KafkaProducer<>(properties);
    }

    static void attach(JavaStreamingContext jssc, String controlTopic, Map<String, String> kafkaParams) {
        jssc.addStreamingListener(new ProcessedCountPublisher(controlTopic, kafkaParams));
    }

    @Override
    public void onBatchCompleted(StreamingListenerBatchCompleted event) {
        long now = System.currentTimeMillis();
        for (Iterator<Tuple2<Object, StreamInputInfo>> it = event.batchInfo().streamIdToInputInfo().iterator(); it.hasNext();) {
            StreamInputInfo input = it.next()._2();
            long total = processed.merge(input.inputStreamId(), input.numRecords(), Long::sum);
            String value = "{\"kind\": \"processed\", \"time_ms\": " + now
                    + ", \"stream_id\": " + input.inputStreamId()
                    + ", \"records\": " + total + "}";
            producer.send(new ProducerRecord<>(controlTopic, 0, "processed-" + input.inputStreamId(), value));
        }
    }
}

package bpbench.jvm;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.streaming.receiver.Receiver;

/**
 * A receiver that consumes Kafka record by record, as the original artifact's receivers consumed
 * their queue.
 *
 * <p>Each value goes through {@link #store(Object)} one at a time, so Spark's BlockGenerator and
 * its token bucket set the pace: with backpressure on, the PID's rate reaches the bucket (the
 * executor logs "Received a new rate limit"), capped by {@code spark.streaming.receiver.maxRate}.
 *
 * <p>Offsets are committed once their records are stored, not when Spark has processed them: like
 * any receiver without a write-ahead log, blocks it holds in memory are lost if it dies, and the
 * harness's accounting shows them as lost. Records polled but not yet stored when the receiver
 * stops are not committed, so they stay in Kafka's backlog.
 */
public final class KafkaRecordReceiver extends Receiver<byte[]> {

    private static final Duration POLL = Duration.ofMillis(200);

    private final HashMap<String, String> kafkaParams;
    private final List<String> topics;
    private transient volatile KafkaConsumer<byte[], byte[]> consumer;
    private transient Thread worker;

    public KafkaRecordReceiver(Map<String, String> kafkaParams, List<String> topics, StorageLevel storage) {
        super(storage);
        this.kafkaParams = new HashMap<>(kafkaParams);
        this.topics = List.copyOf(topics);
    }

    @Override
    public void onStart() {
        Properties properties = new Properties();
        properties.putAll(kafkaParams);
        properties.put("key.deserializer", ByteArrayDeserializer.class.getName());
        properties.put("value.deserializer", ByteArrayDeserializer.class.getName());
        properties.put("enable.auto.commit", "false");
        consumer = new KafkaConsumer<>(properties);
        consumer.subscribe(topics);
        worker = new Thread(this::consume, "bpbench-kafka-receiver");
        worker.setDaemon(true);
        worker.start();
    }

    private void consume() {
        Map<TopicPartition, OffsetAndMetadata> stored = new HashMap<>();
        try {
            while (!isStopped()) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (isStopped()) {
                        break;
                    }
                    store(record.value());
                    stored.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                }
                if (!stored.isEmpty()) {
                    consumer.commitAsync(new HashMap<>(stored), null);
                }
            }
        } catch (WakeupException stopping) {
            // onStop woke the consumer up: the receiver is shutting down.
        } catch (RuntimeException failure) {
            if (!isStopped()) {
                restart("Kafka consumer failed", failure);
            }
        } finally {
            try {
                if (!stored.isEmpty()) {
                    consumer.commitSync(stored);
                }
            } finally {
                consumer.close();
            }
        }
    }

    @Override
    public void onStop() {
        KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }
}

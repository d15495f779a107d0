package bpbench.jvm;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
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
 * <p>Two threads: a fetcher takes records from Kafka into the executor, and a storer hands them
 * one at a time to {@link #store(Object)}, where Spark's BlockGenerator and its token bucket set the
 * pace (with backpressure on, the PID's rate reaches the bucket and the executor logs "Received a
 * new rate limit"; {@code spark.streaming.receiver.maxRate} caps it).
 *
 * <p>How far the fetcher runs ahead is the in-flight budget ({@link InFlightGauge}). With one, the
 * fetcher takes records while the bytes taken less the bytes Spark processed are below it, as the
 * original's message queue pushed data into the receivers up to its {@code qosmax}: records taken
 * but not yet stored wait in the executor's memory. Without one, it takes a record only when the
 * storer has handed the previous one to Spark, so records wait in Kafka.
 *
 * <p>Offsets are committed once their records are stored, not when Spark has processed them: like
 * any receiver without a write-ahead log, blocks it holds in memory are lost if it dies, and the
 * harness's accounting shows them as lost. Records taken but not yet stored when the receiver
 * stops are not committed, so they stay in Kafka's backlog.
 */
public final class KafkaRecordReceiver extends Receiver<byte[]> {

    private static final Duration POLL = Duration.ofMillis(200);
    /** How long the fetcher waits for room before it polls Kafka (paused) to stay in its group. */
    private static final long ROOM_WAIT_MS = 1000;

    private final HashMap<String, String> kafkaParams;
    private final List<String> topics;
    private final InFlightGauge gauge; // null: no control topic, nothing measured
    private transient volatile KafkaConsumer<byte[], byte[]> consumer;
    private transient LinkedBlockingQueue<ConsumerRecord<byte[], byte[]>> taken;
    private transient ConcurrentHashMap<TopicPartition, OffsetAndMetadata> stored;
    private transient Thread fetcher;
    private transient Thread storer;

    public KafkaRecordReceiver(
            Map<String, String> kafkaParams, List<String> topics, StorageLevel storage, InFlightGauge gauge) {
        super(storage);
        this.kafkaParams = new HashMap<>(kafkaParams);
        this.topics = List.copyOf(topics);
        this.gauge = gauge;
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
        taken = new LinkedBlockingQueue<>();
        stored = new ConcurrentHashMap<>();
        if (gauge != null) {
            gauge.start(streamId());
        }
        storer = new Thread(this::storeTaken, "bpbench-kafka-storer");
        storer.setDaemon(true);
        storer.start();
        fetcher = new Thread(this::fetch, "bpbench-kafka-receiver");
        fetcher.setDaemon(true);
        fetcher.start();
    }

    /** Room for one more record: below the budget with one, an empty hand-over queue without. */
    private boolean mayTake() {
        return gauge != null && gauge.hasBudget() ? gauge.mayTake() : taken.isEmpty();
    }

    private void awaitRoom() throws InterruptedException {
        long waited = 0;
        while (!mayTake() && !isStopped()) {
            if (gauge != null && gauge.hasBudget()) {
                gauge.awaitRoom(50);
            } else {
                synchronized (taken) {
                    taken.wait(50);
                }
            }
            waited += 50;
            if (waited >= ROOM_WAIT_MS) {
                // Poll with every partition paused: the group keeps the consumer, nothing is fetched.
                consumer.pause(consumer.assignment());
                consumer.poll(Duration.ZERO);
                consumer.resume(consumer.paused());
                commitStored();
                waited = 0;
            }
        }
    }

    private void fetch() {
        try {
            while (!isStopped()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    awaitRoom();
                    if (isStopped()) {
                        break;
                    }
                    taken.put(record);
                    if (gauge != null) {
                        gauge.taken(1, record.value().length);
                    }
                }
                commitStored();
            }
        } catch (WakeupException | InterruptedException stopping) {
            // onStop woke the consumer up: the receiver is shutting down.
        } catch (RuntimeException failure) {
            if (!isStopped()) {
                restart("Kafka consumer failed", failure);
            }
        } finally {
            try {
                storer.interrupt();
                storer.join(10_000);
                commitStoredSync();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                consumer.close();
                if (gauge != null) {
                    gauge.stop();
                }
            }
        }
    }

    private void storeTaken() {
        try {
            while (!isStopped()) {
                ConsumerRecord<byte[], byte[]> record = taken.poll(POLL.toMillis(), TimeUnit.MILLISECONDS);
                if (record == null) {
                    continue;
                }
                store(record.value());
                stored.put(new TopicPartition(record.topic(), record.partition()),
                        new OffsetAndMetadata(record.offset() + 1));
                synchronized (taken) {
                    taken.notifyAll();
                }
            }
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> storedSoFar() {
        return new HashMap<>(stored);
    }

    private void commitStored() {
        if (!stored.isEmpty()) {
            consumer.commitAsync(storedSoFar(), null);
        }
    }

    private void commitStoredSync() {
        if (stored.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(storedSoFar());
        } catch (WakeupException late) {
            // The wake-up of onStop arrived after the fetcher had stopped polling: commit again.
            consumer.commitSync(storedSoFar());
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

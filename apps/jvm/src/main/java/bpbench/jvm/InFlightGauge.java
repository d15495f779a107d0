package bpbench.jvm;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One receiver's data in flight: the bytes it has taken from Kafka less the bytes Spark has
 * processed of its stream, and the budget that holds it back, as the original artifact's message
 * queue held back its forwarding ({@code caching()} in {@code message_queue_static.c}: no more
 * data while the GiB forwarded less the GiB processed exceed {@code qosmax}).
 *
 * <p>The feedback path is the run's Kafka, so it works wherever the executors run: the driver's
 * {@link ProcessedCountPublisher} writes each stream's processed record count to the control topic
 * after every completed batch; this gauge reads it, and writes the receiver's own state back to the
 * same topic every {@link #REPORT_MS} ms, which the harness records as the run's in-flight series.
 *
 * <p>Spark processes a stream's records in the order the receiver stored them, so the bytes of the
 * first N processed records are known from the receiver's running totals (kept per Kafka poll and
 * interpolated within one). A receiver started again (on another executor after a loss) starts
 * from the stream's processed count at that moment: blocks the lost receiver held are not counted.
 */
public final class InFlightGauge implements Serializable {

    private static final long serialVersionUID = 1L;
    static final long REPORT_MS = 200;
    private static final Duration POLL = Duration.ofMillis(200);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String controlTopic;
    private final long budgetBytes; // the whole budget; <= 0: none
    private final long shareBytes; // this receiver's part of it
    private final Map<String, String> kafkaParams;

    private transient Object lock;
    private transient int streamId;
    private transient long takenRecords;
    private transient long takenBytes;
    private transient long processedRecords; // of this stream, since this gauge started
    private transient long processedBytes;
    private transient long baseProcessed; // the stream's processed count when this gauge started
    private transient ArrayDeque<long[]> takes; // {records before, bytes before, records, bytes} per take
    private transient volatile boolean heldBack;
    private transient volatile boolean running;
    private transient Thread thread;
    private transient KafkaConsumer<String, String> consumer;
    private transient KafkaProducer<String, String> producer;

    /**
     * @param budgetBytes the budget of all {@code receivers} together, as the original's queues shared
     *     one global {@code qosmax}; each receiver holds back at an equal share
     */
    public InFlightGauge(String controlTopic, long budgetBytes, int receivers, Map<String, String> kafkaParams) {
        this.controlTopic = controlTopic;
        this.budgetBytes = budgetBytes;
        this.shareBytes = budgetBytes > 0 ? Math.max(1, budgetBytes / receivers) : 0;
        this.kafkaParams = Map.copyOf(kafkaParams);
    }

    public boolean hasBudget() {
        return budgetBytes > 0;
    }

    /** Reads the control topic up to its end, then follows it and reports on its own thread. */
    public void start(int streamId) {
        this.lock = new Object();
        this.streamId = streamId;
        this.takes = new ArrayDeque<>();
        Properties common = new Properties();
        common.putAll(kafkaParams);
        common.remove("group.id");
        common.remove("auto.offset.reset");
        Properties consumerProps = (Properties) common.clone();
        consumerProps.put("key.deserializer", StringDeserializer.class.getName());
        consumerProps.put("value.deserializer", StringDeserializer.class.getName());
        consumerProps.put("enable.auto.commit", "false");
        consumer = new KafkaConsumer<>(consumerProps);
        TopicPartition partition = new TopicPartition(controlTopic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        while (consumer.position(partition) < end) {
            consumer.poll(POLL).forEach(record -> baseProcessed = Math.max(baseProcessed, processedCount(record)));
        }
        Properties producerProps = (Properties) common.clone();
        producerProps.put("key.serializer", StringSerializer.class.getName());
        producerProps.put("value.serializer", StringSerializer.class.getName());
        producerProps.put("linger.ms", "0");
        producer = new KafkaProducer<>(producerProps);
        running = true;
        thread = new Thread(this::follow, "bpbench-in-flight-" + streamId);
        thread.setDaemon(true);
        thread.start();
    }

    public void stop() {
        running = false;
        KafkaConsumer<String, String> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Counts records the receiver took from Kafka into the executor. */
    public void taken(long records, long bytes) {
        synchronized (lock) {
            takes.addLast(new long[] {takenRecords, takenBytes, records, bytes});
            takenRecords += records;
            takenBytes += bytes;
        }
    }

    public long inFlightBytes() {
        synchronized (lock) {
            return takenBytes - processedBytes;
        }
    }

    /** True while the budget allows taking more: in-flight bytes below it (always, without one). */
    public boolean mayTake() {
        boolean may = !hasBudget() || inFlightBytes() < shareBytes;
        heldBack = !may;
        return may;
    }

    /** Blocks until {@link #mayTake()} or {@code maxWaitMs} passed; woken by each processed count. */
    public void awaitRoom(long maxWaitMs) throws InterruptedException {
        synchronized (lock) {
            if (mayTake()) {
                return;
            }
            lock.wait(maxWaitMs);
        }
    }

    private void processed(long streamTotal) {
        synchronized (lock) {
            long records = Math.min(streamTotal - baseProcessed, takenRecords);
            if (records <= processedRecords) {
                return;
            }
            processedRecords = records;
            // Bytes of the first `records` taken: whole takes, then a share of the one it ends in.
            while (!takes.isEmpty()) {
                long[] take = takes.peekFirst();
                long before = take[0];
                long count = take[2];
                if (before + count <= records) {
                    processedBytes = take[1] + take[3];
                    takes.removeFirst();
                } else {
                    processedBytes = take[1] + take[3] * (records - before) / count;
                    break;
                }
            }
            lock.notifyAll();
        }
    }

    private long processedCount(ConsumerRecord<String, String> record) {
        try {
            JsonNode message = JSON.readTree(record.value());
            if ("processed".equals(message.path("kind").asText()) && message.path("stream_id").asInt(-1) == streamId) {
                return message.path("records").asLong();
            }
        } catch (java.io.IOException ignored) {
            // Not ours to read: the topic carries the receivers' reports too.
        }
        return 0;
    }

    private void follow() {
        long nextReport = 0;
        try {
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
                    long count = processedCount(record);
                    if (count > 0) {
                        processed(count);
                    }
                }
                long now = System.currentTimeMillis();
                if (now >= nextReport) {
                    report(now);
                    nextReport = now + REPORT_MS;
                }
            }
        } catch (WakeupException stopping) {
            // stop() woke the consumer up.
        } finally {
            report(System.currentTimeMillis());
            producer.close(Duration.ofSeconds(5));
            consumer.close();
        }
    }

    private void report(long now) {
        String value;
        synchronized (lock) {
            value = "{\"kind\": \"receiver\", \"time_ms\": " + now
                    + ", \"stream_id\": " + streamId
                    + ", \"taken_records\": " + takenRecords
                    + ", \"taken_bytes\": " + takenBytes
                    + ", \"processed_records\": " + processedRecords
                    + ", \"in_flight_bytes\": " + (takenBytes - processedBytes)
                    + ", \"budget_bytes\": " + (hasBudget() ? Long.toString(budgetBytes) : "null")
                    + ", \"share_bytes\": " + (hasBudget() ? Long.toString(shareBytes) : "null")
                    + ", \"held_back\": " + heldBack + "}";
        }
        producer.send(new ProducerRecord<>(controlTopic, 0, "receiver-" + streamId, value));
    }
}

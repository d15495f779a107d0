package bpbench.jvm.apps;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.api.java.Optional;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import scala.Tuple2;

/**
 * GOVERNOR's count windows ({@link CountSlidingWindow}, {@link CountTumblingWindow}), the Java port
 * of {@code apps/window_apps.py}: a tuple is one record, keyed by its rank, ordered by its step,
 * and its value is the mean of the record's values. Per key, a window of {@code size} tuples closes
 * at the key's n-th tuple when {@code n >= size} and {@code (n - size) % slide == 0}; its result is
 * the mean of those tuple values.
 *
 * <p>The state is kept with {@code updateStateByKey}, as in the PySpark app: per key, the number of
 * tuples seen and the last {@code size - 1} tuple values, enough to close every window a batch's
 * tuples complete. The keys are the ranks, a bounded set, so no key leaves the state. The state
 * DStream is checkpointed every {@code checkpoint_interval_batches} batches.
 *
 * <p>Its line in {@code batches.jsonl}: the keys with tuples in the batch, the records, the keys in
 * the state, the windows the batch closed with the sum and the largest of their means (null
 * without windows), and whether the batch's state RDD was checkpointed.
 */
public final class CountWindows {

    /** One tuple of a key: its step (its place in the key's order) and its value. */
    public record Tuple(int step, double value) implements Serializable {
    }

    /**
     * One key's state: the tuples seen, the last {@code size - 1} tuple values (the latest last), and
     * what the latest batch did to the key: its tuples, the windows it closed, the sum and the largest
     * of their means.
     */
    public record State(long seen, double[] tail, long tuples, long windows, double meanSum, double meanMax)
            implements Serializable {
    }

    /** A batch's figures, summed over the keys of the state. */
    public record Part(long keys, long records, long stateKeys, long windows, double meanSum, double meanMax)
            implements Serializable {

        static final Part ZERO = new Part(0, 0, 0, 0, 0.0, Double.NEGATIVE_INFINITY);

        static Part of(State state) {
            return new Part(state.tuples() > 0 ? 1 : 0, state.tuples(), 1, state.windows(), state.meanSum(),
                    state.meanMax());
        }

        Part plus(Part other) {
            return new Part(keys + other.keys, records + other.records, stateKeys + other.stateKeys,
                    windows + other.windows, meanSum + other.meanSum, Math.max(meanMax, other.meanMax));
        }

        Map<String, Object> fields() {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("keys", keys);
            fields.put("records", records);
            fields.put("state_keys", stateKeys);
            fields.put("windows", windows);
            fields.put("window_mean_sum", meanSum);
            fields.put("window_mean_max", windows > 0 ? meanMax : null);
            return fields;
        }
    }

    private CountWindows() {
    }

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config, int size,
            int slide) {
        jssc.checkpoint(config.checkpointDir());
        // Typed as Spark's Java Function2: a bare lambda would also match the Scala overloads.
        Function2<List<Tuple>, Optional<State>, Optional<State>> update =
                (batch, state) -> Optional.of(update(size, slide, batch, state.orNull()));
        int costFactor = config.costFactor();
        JavaPairDStream<Integer, State> states =
                records.mapToPair(record -> tuple(record, costFactor)).updateStateByKey(update);
        states.checkpoint(config.checkpointInterval());
        BatchLog log = new BatchLog(config.outputDir());
        states.foreachRDD((rdd, time) -> {
            Part total = rdd.map(pair -> Part.of(pair._2())).fold(Part.ZERO, Part::plus);
            Map<String, Object> fields = total.fields();
            // Read after the job above, which writes the checkpoint of an RDD marked for one.
            fields.put("checkpointed", rdd.rdd().isCheckpointed());
            log.append(time, fields);
        });
    }

    /** A record as its key (rank) and its tuple. */
    static Tuple2<Integer, Tuple> tuple(byte[] record, int costFactor) {
        RankStep key = Records.key(record);
        return new Tuple2<>(key.rank(), new Tuple(key.step(), Records.tupleValue(record, costFactor)));
    }

    /** One key's state after a batch ({@code updateStateByKey}'s update function); {@code state} null for a new key. */
    static State update(int size, int slide, List<Tuple> batch, State state) {
        long seen = state == null ? 0 : state.seen();
        double[] tail = state == null ? new double[0] : state.tail();
        List<Tuple> ordered = new ArrayList<>(batch);
        ordered.sort(Comparator.comparingInt(Tuple::step).thenComparingDouble(Tuple::value));
        double[] window = Arrays.copyOf(tail, tail.length + ordered.size());
        for (int i = 0; i < ordered.size(); i++) {
            window[tail.length + i] = ordered.get(i).value();
        }
        long offset = seen - tail.length; // tuples before window[0]
        long windows = 0;
        double meanSum = 0.0;
        double meanMax = Double.NEGATIVE_INFINITY;
        for (long n = seen + 1; n <= seen + ordered.size(); n++) {
            if (n >= size && (n - size) % slide == 0) {
                int end = (int) (n - offset);
                double sum = 0.0;
                for (int i = end - size; i < end; i++) {
                    sum += window[i];
                }
                double mean = sum / size;
                windows++;
                meanSum += mean;
                meanMax = Math.max(meanMax, mean);
            }
        }
        int keep = Math.min(size - 1, window.length);
        double[] newTail = Arrays.copyOfRange(window, window.length - keep, window.length);
        return new State(seen + ordered.size(), newTail, ordered.size(), windows, meanSum, meanMax);
    }
}

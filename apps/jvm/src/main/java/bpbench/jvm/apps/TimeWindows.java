package bpbench.jvm.apps;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import scala.Tuple2;

/**
 * GOVERNOR's time windows ({@link TimeSlidingWindow}, {@link TimeSlidingTopK}), the Java port of
 * {@code apps/window_apps.py}: a tuple is one record, keyed by its rank, and its value is the mean
 * of the record's values. Per key, the tuples of the batches in the window {@code (t - size, t]},
 * evaluated every slide at batch time t; the key's windowed value is the mean of those tuple
 * values. The top-k variant reports the k keys with the largest windowed value (ties go to the
 * smaller key).
 *
 * <p>Each batch is reduced to a per-key (sum, count), then windowed with
 * {@code reduceByKeyAndWindow} and its inverse function, keys whose count falls to zero dropped.
 * The window DStream is checkpointed every {@code checkpoint_interval_batches} batches. (PySpark's
 * window recomputes from the window's batches instead of subtracting when the window is shorter
 * than five slides; the results are the same up to the rounding of the sums.)
 *
 * <p>Its lines: one per batch in {@code batches.jsonl} with the batch's keys and records, and one
 * per window evaluation in {@code windows.jsonl} with the window's keys, tuples and the sum of the
 * keys' windowed means, the top k ({@code [key, mean]} pairs) for the top-k variant, and whether the
 * window's RDD was checkpointed.
 */
public final class TimeWindows {

    static final String WINDOWS_FILE = "windows.jsonl";

    /** A key's tuples in a batch or a window: the sum of their values and how many they are. */
    public record TupleSums(double valueSum, long tuples) implements Serializable {

        TupleSums plus(TupleSums other) {
            return new TupleSums(valueSum + other.valueSum, tuples + other.tuples);
        }

        TupleSums minus(TupleSums other) {
            return new TupleSums(valueSum - other.valueSum, tuples - other.tuples);
        }

        double mean() {
            return valueSum / tuples;
        }
    }

    private TimeWindows() {
    }

    /** {@code topK}: how many keys the top-k variant reports; null for the plain window. */
    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config, Integer topK) {
        jssc.checkpoint(config.checkpointDir());
        int costFactor = config.costFactor();
        JavaPairDStream<Integer, TupleSums> perBatch =
                records.mapToPair(record -> tupleSums(record, costFactor)).reduceByKey(TupleSums::plus).cache();
        BatchLog batches = new BatchLog(config.outputDir());
        perBatch.foreachRDD((rdd, time) -> {
            Tuple2<Long, Long> total = rdd.map(pair -> new Tuple2<>(1L, pair._2().tuples()))
                    .fold(new Tuple2<>(0L, 0L), (a, b) -> new Tuple2<>(a._1() + b._1(), a._2() + b._2()));
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("keys", total._1());
            fields.put("records", total._2());
            batches.append(time, fields);
        });
        // PySpark's default: as many partitions as the context's default parallelism.
        int partitions = jssc.sparkContext().defaultParallelism();
        JavaPairDStream<Integer, TupleSums> windows = perBatch.reduceByKeyAndWindow(TupleSums::plus,
                TupleSums::minus, config.windowSizeDuration(), config.windowSlideDuration(), partitions,
                pair -> pair._2().tuples() > 0);
        windows.checkpoint(config.checkpointInterval());
        BatchLog windowLog = new BatchLog(config.outputDir(), WINDOWS_FILE);
        windows.foreachRDD((rdd, time) -> {
            Map<String, Object> fields = report(rdd.collect(), topK);
            // Read after the job above, which writes the checkpoint of an RDD marked for one.
            fields.put("checkpointed", rdd.rdd().isCheckpointed());
            windowLog.append(time, fields);
        });
    }

    static Tuple2<Integer, TupleSums> tupleSums(byte[] record, int costFactor) {
        return new Tuple2<>(Records.key(record).rank(), new TupleSums(Records.tupleValue(record, costFactor), 1));
    }

    /** A window's figures from its per-key (sum, count), with the top {@code topK} keys unless it is null. */
    static Map<String, Object> report(List<Tuple2<Integer, TupleSums>> pairs, Integer topK) {
        long tuples = 0;
        double meanSum = 0.0;
        for (Tuple2<Integer, TupleSums> pair : pairs) {
            tuples += pair._2().tuples();
            meanSum += pair._2().mean();
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("window_keys", pairs.size());
        fields.put("window_tuples", tuples);
        fields.put("window_mean_sum", meanSum);
        if (topK != null) {
            fields.put("top_k", topK(pairs, topK));
        }
        return fields;
    }

    /** The k keys with the largest windowed mean, as {@code [key, mean]}; ties go to the smaller key. */
    static List<List<Object>> topK(List<Tuple2<Integer, TupleSums>> pairs, int k) {
        List<Tuple2<Integer, Double>> means = new ArrayList<>();
        for (Tuple2<Integer, TupleSums> pair : pairs) {
            means.add(new Tuple2<>(pair._1(), pair._2().mean()));
        }
        // Compared as numbers (not Double.compare), so 0.0 and -0.0 tie as in Python.
        means.sort((a, b) -> a._2() > b._2() ? -1 : a._2() < b._2() ? 1 : Integer.compare(a._1(), b._1()));
        List<List<Object>> top = new ArrayList<>();
        for (Tuple2<Integer, Double> entry : means.subList(0, Math.min(k, means.size()))) {
            top.add(List.of(entry._1(), entry._2()));
        }
        return top;
    }
}

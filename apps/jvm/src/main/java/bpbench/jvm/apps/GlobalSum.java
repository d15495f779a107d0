package bpbench.jvm.apps;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * GlobalSUM: a two-level mean per (rank, step). Each batch gives a key a local mean of its values
 * in the batch; the state keeps the total sum and count of the key's values across batches, whose
 * ratio is the global mean. A key not updated for the state timeout is dropped.
 */
public final class GlobalSum {

    private GlobalSum() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, GlobalSum::define);
    }

    /** What the app emits per key and batch: the batch's sums (hence local mean) and the global mean. */
    record Means(Sums batch, double globalMean) implements Serializable {

        double localMean() {
            return batch.mean();
        }
    }

    static final TimedState.Fold<Sums, Means> AVERAGE = new TimedState.Fold<>() {
        @Override
        public Sums merge(Sums state, Sums batch) {
            return state.plus(batch);
        }

        @Override
        public Means emitted(Sums batch, Sums state) {
            return new Means(batch, state.mean());
        }
    };

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        jssc.checkpoint(config.checkpointDir());
        JavaMapWithStateDStream<RankStep, Sums, Sums, Means> updates =
                StatelessSum.batchSums(records, config).mapWithState(TimedState.spec(AVERAGE, config));
        JavaDStream<Report> parts = updates.map(Report::ofBatch)
                .union(updates.stateSnapshots().map(entry -> Report.ofState(entry._2())));
        new BatchLog(config.outputDir()).writeEachBatch(parts, Report.ZERO);
    }

    record Report(long keys, long records, long values, double valueSum, double localMeanSum,
                  long stateKeys, double globalMeanSum) implements BatchReport<Report> {

        static final Report ZERO = new Report(0, 0, 0, 0.0, 0.0, 0, 0.0);

        static Report ofBatch(Means means) {
            Sums batch = means.batch();
            return new Report(1, batch.records(), batch.values(), batch.valueSum(), means.localMean(), 0, 0.0);
        }

        static Report ofState(Sums state) {
            return new Report(0, 0, 0, 0.0, 0.0, 1, state.mean());
        }

        @Override
        public Report plus(Report o) {
            return new Report(keys + o.keys, records + o.records, values + o.values, valueSum + o.valueSum,
                    localMeanSum + o.localMeanSum, stateKeys + o.stateKeys, globalMeanSum + o.globalMeanSum);
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("keys", keys);
            fields.put("records", records);
            fields.put("values", values);
            fields.put("value_sum", valueSum);
            fields.put("local_mean_sum", localMeanSum);
            fields.put("state_keys", stateKeys);
            fields.put("global_mean_sum", globalMeanSum);
            return fields;
        }
    }
}

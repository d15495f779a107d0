package bpbench.jvm.apps;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * SUM: StatelessSUM's per-batch sums accumulated across batches per (rank, step) with
 * {@code mapWithState}; a key not updated for the state timeout (20 s in the paper) is dropped.
 */
public final class Sum {

    private Sum() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, Sum::define);
    }

    /** Accumulates a key's sums; emits the batch's sums, which the batch report adds up. */
    static final TimedState.Fold<Sums, Sums> ACCUMULATE = new TimedState.Fold<>() {
        @Override
        public Sums merge(Sums state, Sums batch) {
            return state.plus(batch);
        }

        @Override
        public Sums emitted(Sums batch, Sums state) {
            return batch;
        }
    };

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        jssc.checkpoint(config.checkpointDir());
        JavaMapWithStateDStream<RankStep, Sums, Sums, Sums> updates =
                StatelessSum.batchSums(records, config).mapWithState(TimedState.spec(ACCUMULATE, config));
        JavaDStream<Report> parts = updates.map(Report::ofBatch)
                .union(updates.stateSnapshots().map(entry -> Report.ofState(entry._2())));
        new BatchLog(config.outputDir()).writeEachBatch(parts, Report.ZERO);
    }

    record Report(long keys, long records, long values, double valueSum, long stateKeys, double stateValueSum)
            implements BatchReport<Report> {

        static final Report ZERO = new Report(0, 0, 0, 0.0, 0, 0.0);

        static Report ofBatch(Sums batch) {
            return new Report(1, batch.records(), batch.values(), batch.valueSum(), 0, 0.0);
        }

        static Report ofState(Sums state) {
            return new Report(0, 0, 0, 0.0, 1, state.valueSum());
        }

        @Override
        public Report plus(Report o) {
            return new Report(keys + o.keys, records + o.records, values + o.values, valueSum + o.valueSum,
                    stateKeys + o.stateKeys, stateValueSum + o.stateValueSum);
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("keys", keys);
            fields.put("records", records);
            fields.put("values", values);
            fields.put("value_sum", valueSum);
            fields.put("state_keys", stateKeys);
            fields.put("state_value_sum", stateValueSum);
            return fields;
        }
    }
}

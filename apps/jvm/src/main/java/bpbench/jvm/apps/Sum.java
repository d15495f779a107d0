package bpbench.jvm.apps;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * SUM: StatelessSUM's per-batch sums accumulated across batches per (rank, step) with
 * {@code mapWithState}, as the original's {@code SUMServer.java}: reduced per key, grouped with one
 * partition per rank, then kept in the state; a key not updated for the state timeout (20 s in the
 * paper) is dropped. Its line holds the batch's sums; with {@code report_state} also the state's
 * keys and the sum of their accumulated values.
 */
public final class Sum {

    static final Figures FIGURES = Figures.batchSums().fromStateScan().count("state_keys").sum("state_value_sum");

    private Sum() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, Sum::define);
    }

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        jssc.checkpoint(config.checkpointDir());
        int costFactor = config.costFactor();
        JavaMapWithStateDStream<RankStep, Sums, Sums, TimedState.Update<RankStep, Sums>> keys = TimedState.perRank(
                records.mapToPair(record -> Records.sums(record, costFactor)), Sums::plus, config);
        JavaDStream<Figures.Tally> tallies = TimedState.tallies(keys, Sum::ofKey, Sum::ofStateEntry, config);
        new BatchLog(config.outputDir()).writeEachBatch(tallies, FIGURES, config.reportState());
    }

    static Figures.Tally ofKey(TimedState.Update<RankStep, Sums> update) {
        return FIGURES.tally().batch(update.batch()).build();
    }

    static Figures.Tally ofStateEntry(Sums state) {
        return FIGURES.tally().set("state_keys", 1).set("state_value_sum", state.valueSum()).build();
    }
}

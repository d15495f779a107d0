package bpbench.jvm.apps;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * GlobalSUM: a two-level mean, as the original's {@code GlobalSUMServer.java}. The first level is
 * SUM's: per (rank, step), the batch's sums (whose ratio is the local mean) folded into a state
 * across batches, grouped with one partition per rank. The second level re-keys what the first
 * emits by step and keeps a second state per step across ranks (and batches): its mean is the
 * step's global mean. Both states drop a key not updated for the state timeout.
 *
 * <p>How ours maps to the original: the original feeds the second state the first state's running
 * totals and adds them up again, which counts a (rank, step) twice once its records span batches
 * (in the original a rank sends one message per step, so they seldom do); ours feeds it each
 * batch's sums, so a step's total stays exact. The original also lets a (rank, step) or step whose
 * count is already complete in the batch bypass the state; ours sends every key through it.
 *
 * <p>Its line: the batch's sums and the sum of its keys' local means; the steps the batch updated
 * and the sum of their global means; with {@code report_state} also the first state's keys and the
 * sum of their means across batches ({@code global_mean_sum}), and the second state's steps.
 */
public final class GlobalSum {

    static final Figures FIGURES = Figures.batchSums().sum("local_mean_sum").count("steps").sum("step_mean_sum")
            .fromStateScan().count("state_keys").sum("global_mean_sum").count("state_steps");

    private GlobalSum() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, GlobalSum::define);
    }

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        jssc.checkpoint(config.checkpointDir());
        int costFactor = config.costFactor();
        JavaMapWithStateDStream<RankStep, Sums, Sums, TimedState.Update<RankStep, Sums>> keys = TimedState.perRank(
                records.mapToPair(record -> Records.sums(record, costFactor)), Sums::plus, config);
        JavaMapWithStateDStream<Integer, Sums, Sums, TimedState.Update<Integer, Sums>> steps =
                TimedState.perStep(keys, Sums::plus, config);
        JavaDStream<Figures.Tally> tallies = TimedState.tallies(keys, GlobalSum::ofKey, GlobalSum::ofKeyState, config)
                .union(TimedState.tallies(steps, GlobalSum::ofStep, GlobalSum::ofStepState, config));
        new BatchLog(config.outputDir()).writeEachBatch(tallies, FIGURES, config.reportState());
    }

    static Figures.Tally ofKey(TimedState.Update<RankStep, Sums> update) {
        return FIGURES.tally().batch(update.batch()).set("local_mean_sum", update.batch().mean()).build();
    }

    static Figures.Tally ofStep(TimedState.Update<Integer, Sums> update) {
        return FIGURES.tally().set("steps", 1).set("step_mean_sum", update.state().mean()).build();
    }

    static Figures.Tally ofKeyState(Sums state) {
        return FIGURES.tally().set("state_keys", 1).set("global_mean_sum", state.mean()).build();
    }

    static Figures.Tally ofStepState(Sums state) {
        return FIGURES.tally().set("state_steps", 1).build();
    }
}

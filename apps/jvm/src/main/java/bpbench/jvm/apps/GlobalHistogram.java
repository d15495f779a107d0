package bpbench.jvm.apps;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * GlobalHistogram: a fixed {@value Histogram#BINS}-bin histogram of the values, in two levels as the
 * original's {@code GlobalHistogramServer.java}: per (rank, step), the batch's histogram folded into
 * a state across batches, grouped with one partition per rank; then what the first level emits,
 * re-keyed by step, folded into a second state per step across ranks. Both states drop a key not
 * updated for the state timeout.
 *
 * <p>As in GlobalSUM, the original's second state adds up the first state's running histograms
 * (counting a (rank, step) again each batch it is updated); ours adds each batch's histograms, so a
 * step's histogram counts each value once. (Its bins differ too: the original's are value mod 10,
 * ours are ten equal bins over [0, 1), the generator's range.)
 *
 * <p>Its line: the batch's keys, records and histogram; the steps the batch updated and the sum of
 * their histograms across ranks; with {@code report_state} also the first state's keys and
 * histogram, and the second state's steps.
 */
public final class GlobalHistogram {

    static final Figures FIGURES = new Figures().count("keys", "records").bins("histogram")
            .count("histogram_total", "steps").bins("step_histogram")
            .fromStateScan().count("state_keys").bins("state_histogram").count("state_steps");

    private GlobalHistogram() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, GlobalHistogram::define);
    }

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        jssc.checkpoint(config.checkpointDir());
        int costFactor = config.costFactor();
        JavaMapWithStateDStream<RankStep, Histogram, Histogram, TimedState.Update<RankStep, Histogram>> keys =
                TimedState.perRank(records.mapToPair(record -> Records.histogram(record, costFactor)),
                        Histogram::plus, config);
        JavaMapWithStateDStream<Integer, Histogram, Histogram, TimedState.Update<Integer, Histogram>> steps =
                TimedState.perStep(keys, Histogram::plus, config);
        JavaDStream<Figures.Tally> tallies =
                TimedState.tallies(keys, GlobalHistogram::ofKey, GlobalHistogram::ofKeyState, config)
                        .union(TimedState.tallies(steps, GlobalHistogram::ofStep, GlobalHistogram::ofStepState, config));
        new BatchLog(config.outputDir()).writeEachBatch(tallies, FIGURES, config.reportState());
    }

    static Figures.Tally ofKey(TimedState.Update<RankStep, Histogram> update) {
        Histogram batch = update.batch();
        return FIGURES.tally().set("keys", 1).set("records", batch.records()).set("histogram", batch.counts())
                .set("histogram_total", batch.total()).build();
    }

    static Figures.Tally ofStep(TimedState.Update<Integer, Histogram> update) {
        return FIGURES.tally().set("steps", 1).set("step_histogram", update.state().counts()).build();
    }

    static Figures.Tally ofKeyState(Histogram state) {
        return FIGURES.tally().set("state_keys", 1).set("state_histogram", state.counts()).build();
    }

    static Figures.Tally ofStepState(Histogram state) {
        return FIGURES.tally().set("state_steps", 1).build();
    }
}

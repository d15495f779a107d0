package bpbench.jvm.apps;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * GlobalHistogram: a fixed {@value Histogram#BINS}-bin histogram of the values of each
 * (rank, step), accumulated across batches with {@code mapWithState}; a key not updated for the
 * state timeout is dropped.
 */
public final class GlobalHistogram {

    private GlobalHistogram() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, GlobalHistogram::define);
    }

    /** Adds a key's batch histogram to its state; emits the batch's histogram for the report. */
    static final TimedState.Fold<Histogram, Histogram> ACCUMULATE = new TimedState.Fold<>() {
        @Override
        public Histogram merge(Histogram state, Histogram batch) {
            return state.plus(batch);
        }

        @Override
        public Histogram emitted(Histogram batch, Histogram state) {
            return batch;
        }
    };

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        jssc.checkpoint(config.checkpointDir());
        int costFactor = config.costFactor();
        JavaMapWithStateDStream<RankStep, Histogram, Histogram, Histogram> updates = records
                .mapToPair(record -> Records.histogram(record, costFactor))
                .reduceByKey(Histogram::plus)
                .mapWithState(TimedState.spec(ACCUMULATE, config));
        JavaDStream<Report> parts = updates.map(Report::ofBatch)
                .union(updates.stateSnapshots().map(entry -> Report.ofState(entry._2())));
        new BatchLog(config.outputDir()).writeEachBatch(parts, Report.ZERO);
    }

    record Report(long keys, long records, Histogram histogram, long stateKeys, Histogram stateHistogram)
            implements BatchReport<Report> {

        static final Histogram EMPTY = new Histogram(new long[Histogram.BINS], 0);
        static final Report ZERO = new Report(0, 0, EMPTY, 0, EMPTY);

        static Report ofBatch(Histogram batch) {
            return new Report(1, batch.records(), batch, 0, EMPTY);
        }

        static Report ofState(Histogram state) {
            return new Report(0, 0, EMPTY, 1, state);
        }

        @Override
        public Report plus(Report o) {
            return new Report(keys + o.keys, records + o.records, histogram.plus(o.histogram),
                    stateKeys + o.stateKeys, stateHistogram.plus(o.stateHistogram));
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("keys", keys);
            fields.put("records", records);
            fields.put("histogram", histogram.counts());
            fields.put("histogram_total", histogram.total());
            fields.put("state_keys", stateKeys);
            fields.put("state_histogram", stateHistogram.counts());
            return fields;
        }
    }
}

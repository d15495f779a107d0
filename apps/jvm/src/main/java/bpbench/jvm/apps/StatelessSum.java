package bpbench.jvm.apps;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/**
 * StatelessSUM: per (rank, step), the sum and count of the values in each batch; no state.
 *
 * <p>The original ({@code StatelessSUMServer.java}) maps each record to its (rank, step) and sums
 * and writes them out, one per record, with neither a reduction nor a partitioner. Ours reduces
 * them per (rank, step), since its line counts the batch's keys; it has no state, hence no
 * partitioner of one partition per rank (that comes with the state, in SUM and the others).
 */
public final class StatelessSum {

    static final Figures FIGURES = Figures.batchSums();

    private StatelessSum() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, StatelessSum::define);
    }

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        int costFactor = config.costFactor();
        JavaDStream<Figures.Tally> tallies = records.mapToPair(record -> Records.sums(record, costFactor))
                .reduceByKey(Sums::plus)
                .map(pair -> FIGURES.tally().batch(pair._2()).build());
        new BatchLog(config.outputDir()).writeEachBatch(tallies, FIGURES, config.reportState());
    }
}

package bpbench.jvm.apps;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;

/** StatelessSUM: per (rank, step), the sum and count of the values in each batch; no state. */
public final class StatelessSum {

    private StatelessSum() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, StatelessSum::define);
    }

    static void define(JavaStreamingContext jssc, JavaDStream<byte[]> records, AppConfig config) {
        JavaDStream<Report> parts = batchSums(records, config).map(pair -> Report.ofBatch(pair._2()));
        new BatchLog(config.outputDir()).writeEachBatch(parts, Report.ZERO);
    }

    /** The sums of each key's values in the batch: the first step of SUM and GlobalSUM too. */
    static JavaPairDStream<RankStep, Sums> batchSums(JavaDStream<byte[]> records, AppConfig config) {
        int costFactor = config.costFactor();
        return records.mapToPair(record -> Records.sums(record, costFactor)).reduceByKey(Sums::plus);
    }

    record Report(long keys, long records, long values, double valueSum) implements BatchReport<Report> {

        static final Report ZERO = new Report(0, 0, 0, 0.0);

        static Report ofBatch(Sums sums) {
            return new Report(1, sums.records(), sums.values(), sums.valueSum());
        }

        @Override
        public Report plus(Report o) {
            return new Report(keys + o.keys, records + o.records, values + o.values, valueSum + o.valueSum);
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("keys", keys);
            fields.put("records", records);
            fields.put("values", values);
            fields.put("value_sum", valueSum);
            return fields;
        }
    }
}

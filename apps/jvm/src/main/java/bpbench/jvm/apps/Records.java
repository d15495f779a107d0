package bpbench.jvm.apps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.BiPredicate;
import java.util.function.Function;

import scala.Tuple2;

/**
 * The original artifact's record layout: {@code int32 rank, int32 step, N x float32},
 * little-endian; the same definition as {@code apps/records.py}.
 *
 * <p>The sign bit of the rank field marks an expensive record (the cost-shift workload): its
 * per-record computation is repeated {@code costFactor} times in all, with the same result.
 */
public final class Records {

    static final int HEADER_BYTES = 8;
    static final int VALUE_BYTES = 4;

    private Records() {
    }

    static ByteBuffer layout(byte[] record) {
        if (record.length < HEADER_BYTES || (record.length - HEADER_BYTES) % VALUE_BYTES != 0) {
            throw new IllegalArgumentException("not an artifact record: " + record.length + " bytes");
        }
        return ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static RankStep key(byte[] record) {
        ByteBuffer buffer = layout(record);
        return new RankStep(buffer.getInt(0) & Integer.MAX_VALUE, buffer.getInt(4));
    }

    public static boolean expensive(byte[] record) {
        return layout(record).getInt(0) < 0;
    }

    public static float[] values(byte[] record) {
        ByteBuffer buffer = layout(record);
        float[] values = new float[(record.length - HEADER_BYTES) / VALUE_BYTES];
        for (int i = 0; i < values.length; i++) {
            values[i] = buffer.getFloat(HEADER_BYTES + i * VALUE_BYTES);
        }
        return values;
    }

    /**
     * A record's tuple value in the window apps ({@code apps/window_apps.py}): the mean of its values;
     * an expensive record's is computed {@code costFactor} times ({@code records.cost_shift}: a
     * costlier operator, the same value).
     */
    public static double tupleValue(byte[] record, int costFactor) {
        return computed(record, costFactor, Records::meanOf, Double::equals);
    }

    /** The mean of a record's values, summed in double; 0 for a record without values. */
    static double meanOf(byte[] record) {
        float[] values = values(record);
        double sum = 0.0;
        for (float value : values) {
            sum += value;
        }
        return values.length == 0 ? 0.0 : sum / values.length;
    }

    /** One record's key with the sum and count of its values (sums kept in double). */
    public static Tuple2<RankStep, Sums> sums(byte[] record, int costFactor) {
        return new Tuple2<>(key(record), computed(record, costFactor, Records::sumOf, Sums::equals));
    }

    /** One record's key with the histogram of its values. */
    public static Tuple2<RankStep, Histogram> histogram(byte[] record, int costFactor) {
        return new Tuple2<>(key(record), computed(record, costFactor, Records::histogramOf,
                (a, b) -> Arrays.equals(a.counts(), b.counts())));
    }

    static Sums sumOf(byte[] record) {
        double sum = 0.0;
        float[] values = values(record);
        for (float value : values) {
            sum += value;
        }
        return new Sums(sum, values.length, 1);
    }

    static Histogram histogramOf(byte[] record) {
        long[] counts = new long[Histogram.BINS];
        for (float value : values(record)) {
            counts[Histogram.bin(value)]++;
        }
        return new Histogram(counts, 1);
    }

    /**
     * A record's computation; for an expensive record repeated until it has run {@code costFactor}
     * times, each repetition compared with the first, so the extra work is done and cannot change
     * the result.
     */
    static <T> T computed(byte[] record, int costFactor, Function<byte[], T> compute, BiPredicate<T, T> same) {
        T result = compute.apply(record);
        if (expensive(record)) {
            for (int i = 1; i < costFactor; i++) {
                if (!same.test(result, compute.apply(record))) {
                    throw new IllegalStateException("a repeated computation gave another result");
                }
            }
        }
        return result;
    }
}

package bpbench.jvm.apps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import scala.Tuple2;

/**
 * The original artifact's record layout: {@code int32 rank, int32 step, N x float32},
 * little-endian; the same definition as {@code apps/records.py}.
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
        return new RankStep(buffer.getInt(0), buffer.getInt(4));
    }

    public static float[] values(byte[] record) {
        ByteBuffer buffer = layout(record);
        float[] values = new float[(record.length - HEADER_BYTES) / VALUE_BYTES];
        for (int i = 0; i < values.length; i++) {
            values[i] = buffer.getFloat(HEADER_BYTES + i * VALUE_BYTES);
        }
        return values;
    }

    /** One record's key with the sum and count of its values (sums kept in double). */
    public static Tuple2<RankStep, Sums> sums(byte[] record) {
        double sum = 0.0;
        float[] values = values(record);
        for (float value : values) {
            sum += value;
        }
        return new Tuple2<>(key(record), new Sums(sum, values.length, 1));
    }

    /** One record's key with the histogram of its values. */
    public static Tuple2<RankStep, Histogram> histogram(byte[] record) {
        long[] counts = new long[Histogram.BINS];
        for (float value : values(record)) {
            counts[Histogram.bin(value)]++;
        }
        return new Tuple2<>(key(record), new Histogram(counts, 1));
    }
}

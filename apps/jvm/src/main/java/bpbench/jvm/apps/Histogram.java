package bpbench.jvm.apps;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A fixed histogram of values in {@value #BINS} equal bins over [0, 1), and how many records the
 * values came from. The generator's values are uniform in [0, 1); anything outside is clamped to
 * the first or last bin, so every value is counted.
 */
public final class Histogram implements Serializable {

    public static final int BINS = 10;

    private final long[] counts;
    private final long records;

    public Histogram(long[] counts, long records) {
        if (counts.length != BINS) {
            throw new IllegalArgumentException("a histogram has " + BINS + " bins, not " + counts.length);
        }
        this.counts = counts;
        this.records = records;
    }

    /**
     * The bin of one value. The value is widened to double before scaling, the same arithmetic as
     * the Python apps, so both place a value on the same side of a bin edge. NaN goes to bin 0.
     */
    public static int bin(float value) {
        double scaled = Math.floor((double) value * BINS);
        if (!(scaled >= 0)) {
            return 0;
        }
        return scaled >= BINS - 1 ? BINS - 1 : (int) scaled;
    }

    public Histogram plus(Histogram other) {
        long[] sum = new long[BINS];
        for (int i = 0; i < BINS; i++) {
            sum[i] = counts[i] + other.counts[i];
        }
        return new Histogram(sum, records + other.records);
    }

    public long[] counts() {
        return counts.clone();
    }

    public long records() {
        return records;
    }

    public long total() {
        return Arrays.stream(counts).sum();
    }
}

package bpbench.jvm.apps;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of an app's line in {@code batches.jsonl}, in order, and what each is: a count, a
 * sum, or the bins of a histogram. A batch's line is the sum of one {@link Tally} per key the
 * batch updated (and, with {@code report_state}, per state entry), added on the executors, so the
 * driver receives one small object per batch.
 *
 * <p>Figures declared after {@link #fromStateScan()} come from a scan of the whole state every
 * batch, which the original artifact does not do: they are written only with {@code report_state}.
 */
public final class Figures implements Serializable {

    private enum Kind { COUNT, SUM, BINS }

    private record Figure(String name, Kind kind, int offset, boolean fromStateScan) implements Serializable {
    }

    private final List<Figure> figures = new ArrayList<>();
    private final Map<String, Figure> byName = new HashMap<>();
    private int width;
    private boolean fromStateScan;

    /** keys, records, values and value_sum: a key's batch {@link Sums} (StatelessSUM, SUM, GlobalSUM). */
    static Figures batchSums() {
        return new Figures().count("keys", "records", "values").sum("value_sum");
    }

    public Figures count(String... names) {
        return declare(Kind.COUNT, 1, names);
    }

    public Figures sum(String... names) {
        return declare(Kind.SUM, 1, names);
    }

    public Figures bins(String... names) {
        return declare(Kind.BINS, Histogram.BINS, names);
    }

    /** The figures declared from here on are read from the whole state (written with report_state only). */
    public Figures fromStateScan() {
        fromStateScan = true;
        return this;
    }

    private Figures declare(Kind kind, int size, String... names) {
        for (String name : names) {
            Figure figure = new Figure(name, kind, width, fromStateScan);
            if (byName.put(name, figure) != null) {
                throw new IllegalArgumentException("a figure named twice: " + name);
            }
            figures.add(figure);
            width += size;
        }
        return this;
    }

    public Tally zero() {
        return new Tally(new double[width]);
    }

    /** A tally with every figure 0 but those the builder sets. */
    public Builder tally() {
        return new Builder();
    }

    /** The batch's line, from the sum of its tallies; without {@code withStateScan} the state's figures are left out. */
    public Map<String, Object> fields(Tally total, boolean withStateScan) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Figure figure : figures) {
            if (figure.fromStateScan() && !withStateScan) {
                continue;
            }
            double[] values = total.values();
            fields.put(figure.name(), switch (figure.kind()) {
                case COUNT -> Math.round(values[figure.offset()]);
                case SUM -> values[figure.offset()];
                case BINS -> {
                    long[] bins = new long[Histogram.BINS];
                    for (int i = 0; i < bins.length; i++) {
                        bins[i] = Math.round(values[figure.offset() + i]);
                    }
                    yield bins;
                }
            });
        }
        return fields;
    }

    /** One key's (or state entry's) share of a batch's figures; counts are exact in a double up to 2^53. */
    public record Tally(double[] values) implements Serializable {

        public Tally plus(Tally other) {
            double[] sum = values.clone();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += other.values[i];
            }
            return new Tally(sum);
        }
    }

    public final class Builder {

        private final double[] values = new double[width];

        private Builder() {
        }

        public Builder set(String name, double value) {
            Figure figure = figure(name);
            if (figure.kind() == Kind.BINS) {
                throw new IllegalArgumentException(name + " is a histogram");
            }
            values[figure.offset()] = value;
            return this;
        }

        public Builder set(String name, long[] bins) {
            Figure figure = figure(name);
            if (figure.kind() != Kind.BINS || bins.length != Histogram.BINS) {
                throw new IllegalArgumentException(name + " is not a histogram of " + bins.length + " bins");
            }
            for (int i = 0; i < bins.length; i++) {
                values[figure.offset() + i] = bins[i];
            }
            return this;
        }

        /** keys (1), records, values and value_sum of one key's batch sums. */
        public Builder batch(Sums sums) {
            return set("keys", 1).set("records", sums.records()).set("values", sums.values())
                    .set("value_sum", sums.valueSum());
        }

        public Tally build() {
            return new Tally(values.clone());
        }

        private Figure figure(String name) {
            Figure figure = byName.get(name);
            if (figure == null) {
                throw new IllegalArgumentException("no figure named " + name);
            }
            return figure;
        }
    }
}

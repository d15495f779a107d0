package bpbench.jvm.apps;

import java.io.Serializable;

/** The sum and count of some values, and how many records they came from. */
public record Sums(double valueSum, long values, long records) implements Serializable {

    public Sums plus(Sums other) {
        return new Sums(valueSum + other.valueSum, values + other.values, records + other.records);
    }

    /** The mean of the values; 0 for records without values, which the layout allows. */
    public double mean() {
        return values == 0 ? 0.0 : valueSum / values;
    }
}

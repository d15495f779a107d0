package bpbench.jvm.apps;

/**
 * count_tumbling_window, one of GOVERNOR's four window operators (the Java port of
 * {@code apps/window_apps.py}'s): per key, the mean of each disjoint window of {@code window_size}
 * tuples, the sliding window with its slide equal to its size. The pipeline is
 * {@link CountWindows}'.
 */
public final class CountTumblingWindow {

    private CountTumblingWindow() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, (jssc, records, config) ->
                CountWindows.define(jssc, records, config, config.windowSizeTuples(), config.windowSizeTuples()));
    }
}

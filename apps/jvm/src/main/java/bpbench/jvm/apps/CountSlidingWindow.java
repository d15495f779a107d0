package bpbench.jvm.apps;

/**
 * count_sliding_window, one of GOVERNOR's four window operators (the Java port of
 * {@code apps/window_apps.py}'s): per key, after every {@code window_slide}-th tuple once
 * {@code window_size} tuples have arrived, the mean of the key's last {@code window_size} tuple
 * values. The pipeline is {@link CountWindows}'.
 */
public final class CountSlidingWindow {

    private CountSlidingWindow() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, (jssc, records, config) ->
                CountWindows.define(jssc, records, config, config.windowSizeTuples(), config.windowSlideTuples()));
    }
}

package bpbench.jvm.apps;

/**
 * time_sliding_window, one of GOVERNOR's four window operators (the Java port of
 * {@code apps/window_apps.py}'s): per key, every {@code window_slide} seconds, the mean of the tuple
 * values of the batches in the last {@code window_size} seconds. The pipeline is
 * {@link TimeWindows}'.
 */
public final class TimeSlidingWindow {

    private TimeSlidingWindow() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, (jssc, records, config) -> TimeWindows.define(jssc, records, config, null));
    }
}

package bpbench.jvm.apps;

/**
 * time_sliding_topk, one of GOVERNOR's four window operators (the Java port of
 * {@code apps/window_apps.py}'s): the time-based sliding window's {@code top_k} keys with the
 * largest windowed mean, ties going to the smaller key. The pipeline is {@link TimeWindows}'.
 */
public final class TimeSlidingTopK {

    private TimeSlidingTopK() {
    }

    public static void main(String[] args) {
        StreamingDriver.run(args, (jssc, records, config) ->
                TimeWindows.define(jssc, records, config, config.topKeys()));
    }
}

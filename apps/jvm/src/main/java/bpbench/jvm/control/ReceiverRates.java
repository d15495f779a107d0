package bpbench.jvm.control;

import org.apache.spark.streaming.StreamingContext;

/**
 * Sends a receiver stream's new limit to its receiver, as Spark's {@code ReceiverRateController}
 * does. The receiver's {@code RateLimiter} ignores a limit of 0 or less, so a receiver cannot be
 * paused through its rate. Not part of the DStream graph (it is a listener), so the context it
 * holds is never checkpointed.
 */
public final class ReceiverRates implements PluggedRateController.Publisher {

    private static final long serialVersionUID = 1L;

    private final transient StreamingContext ssc;

    public ReceiverRates(StreamingContext ssc) {
        this.ssc = ssc;
    }

    @Override
    public void publish(int streamId, long rate) {
        ssc.scheduler().receiverTracker().sendRateUpdate(streamId, rate);
    }
}

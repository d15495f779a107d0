package bpbench.jvm.control;

import java.io.Serializable;

/**
 * A rate controller: after each completed batch it may set a new rate limit (records per second)
 * for its input stream. Metadata checkpoints serialize the DStream graph, controller included, so
 * every controller is {@link Serializable}.
 */
public interface Controller extends Serializable {

    /** The new limit after {@code batch}, or null to keep the current one. May throw. */
    Double decide(BatchStats batch) throws Exception;

    /** The limit before any decision; a value of 0 or less leaves Spark's own start (initialRate). */
    default long initialRate() {
        return -1;
    }

    /**
     * The limit for the batch of time {@code batchTimeMs}, which the direct stream asks when it plans
     * that batch; {@code latestRate} is the last decided limit. Controllers that size each batch
     * (GOVERNOR) answer per batch; the others keep the latest limit.
     */
    default long rateFor(long batchTimeMs, long latestRate) {
        return latestRate;
    }

    /** What the controller planned, as a JSON text for the decision log (GOVERNOR's region), or null. */
    default String detail() {
        return null;
    }
}

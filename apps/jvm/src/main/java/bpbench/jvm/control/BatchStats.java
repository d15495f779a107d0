package bpbench.jvm.control;

import java.io.Serializable;

/**
 * What a rate controller learns of one completed batch, as Spark's {@code RateController} hands it
 * to its estimator, plus the batch's own time (which batch of a checkpoint region it was).
 *
 * @param batchTimeMs the batch's time
 * @param endTimeMs when its processing ended (the {@code time} argument of Spark's estimator)
 * @param elements records of this input stream in the batch
 * @param processingDelayMs its processing time
 * @param schedulingDelayMs how long it waited to start
 */
public record BatchStats(
        long batchTimeMs, long endTimeMs, long elements, long processingDelayMs, long schedulingDelayMs)
        implements Serializable {
}

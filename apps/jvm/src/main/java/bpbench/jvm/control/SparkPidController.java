package bpbench.jvm.control;

import org.apache.spark.streaming.scheduler.rate.PIDRateEstimator;
import scala.Option;

/**
 * Spark's own {@code PIDRateEstimator}, driven through the plug-in path instead of Spark's built-in
 * wiring: its limits must equal the built-in's on the same batch statistics.
 */
public final class SparkPidController implements Controller {

    private static final long serialVersionUID = 1L;

    private final PIDRateEstimator estimator;

    public SparkPidController(long batchIntervalMs, double proportional, double integral, double derived,
            double minRate) {
        this.estimator = new PIDRateEstimator(batchIntervalMs, proportional, integral, derived, minRate);
    }

    @Override
    public Double decide(BatchStats batch) {
        Option<Object> rate = estimator.compute(
                batch.endTimeMs(), batch.elements(), batch.processingDelayMs(), batch.schedulingDelayMs());
        return rate.isDefined() ? (Double) rate.get() : null;
    }
}

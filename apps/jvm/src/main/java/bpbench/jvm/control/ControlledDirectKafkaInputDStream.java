package bpbench.jvm.control;

import org.apache.spark.streaming.StreamingContext;
import org.apache.spark.streaming.Time;
import org.apache.spark.streaming.kafka010.ConsumerStrategy;
import org.apache.spark.streaming.kafka010.DirectKafkaInputDStream;
import org.apache.spark.streaming.kafka010.LocationStrategy;
import org.apache.spark.streaming.kafka010.PerPartitionConfig;
import org.apache.spark.streaming.scheduler.RateController;
import scala.Option;

/**
 * Spark's direct Kafka stream with our rate controller. Built without {@code KafkaUtils}, with
 * {@code spark.streaming.backpressure.enabled=false}, so the parent never makes Spark's PID; the
 * parent sizes each batch from {@code rateController().getLatestRate()} when it computes the batch
 * (per partition by lag, at least {@code minRatePerPartition}, at most
 * {@code maxRatePerPartition}), and asks for the controller through the overridden accessor.
 * Around that computation the controller knows which batch it sizes ({@link Controller#rateFor}).
 */
public final class ControlledDirectKafkaInputDStream<K, V> extends DirectKafkaInputDStream<K, V> {

    private static final long serialVersionUID = 1L;

    private final PluggedRateController plugged;

    /**
     * @param controllerJson the controller's setting ({@link Controllers#fromJson})
     * @param pythonDecider kind python: the PySpark driver's decider (else null)
     */
    public ControlledDirectKafkaInputDStream(StreamingContext ssc, LocationStrategy locations,
            ConsumerStrategy<K, V> consumers, PerPartitionConfig perPartition, String controllerJson,
            Object pythonDecider, DecisionLog log) {
        super(ssc, locations, consumers, perPartition);
        Controller controller = Controllers.fromJson(controllerJson, ssc.graph().batchDuration().milliseconds(),
                id(), pythonDecider);
        this.plugged = new PluggedRateController(id(), controller, log, null);
    }

    @Override
    public Option<RateController> rateController() {
        // Null only while the parent's constructor runs, before ours has made the controller.
        return Option.apply(plugged);
    }

    // Raw: Scala's covariant override (Option[KafkaRDD] over DStream's Option[RDD]) has no generic
    // Java spelling that overrides both.
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Option compute(Time validTime) {
        plugged.planBatch(validTime.milliseconds());
        try {
            return super.compute(validTime);
        } finally {
            plugged.donePlanning();
        }
    }
}

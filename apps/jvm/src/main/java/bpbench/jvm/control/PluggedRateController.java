package bpbench.jvm.control;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.spark.streaming.scheduler.RateController;
import org.apache.spark.streaming.scheduler.StreamInputInfo;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;
import org.apache.spark.streaming.scheduler.StreamingListenerReceiverStarted;
import org.apache.spark.streaming.scheduler.rate.RateEstimator;
import org.apache.spark.streaming.scheduler.BatchInfo;
import scala.Option;

/**
 * Spark's {@code RateController} with a {@link Controller} of ours in place of Spark's PID: a
 * listener that, after each completed batch, asks the controller for a new limit (on a thread of
 * its own, as Spark does, so the listener bus never waits) and publishes it.
 *
 * <p>The direct stream reads {@link #getLatestRate()} when it plans a batch (through
 * {@link ControlledDirectKafkaInputDStream#rateController()}); receivers get each limit through
 * {@code sendRateUpdate} ({@link ReceiverRates}). Spark's own rate machinery in the parent class is
 * left unused: backpressure is off in Spark's conf, so no PID of Spark's runs beside ours.
 *
 * <p>A controller that throws, or returns a rate that is not a finite number of at least 0, does
 * not end the run: the decision is recorded with its error and the last good limit stays in force.
 */
public class PluggedRateController extends RateController {

    private static final long serialVersionUID = 1L;

    /** Where a new limit goes besides {@link #getLatestRate()}: the receivers, or nowhere. */
    public interface Publisher extends java.io.Serializable {
        void publish(int streamId, long rate);
    }

    private final int streamId;
    private final Controller controller;
    private final DecisionLog log;
    private final Publisher publisher;
    private final AtomicLong latest;
    private volatile long planning = -1;
    private transient ExecutorService worker;

    public PluggedRateController(int streamId, Controller controller, DecisionLog log, Publisher publisher) {
        super(streamId, NoEstimate.INSTANCE);
        this.streamId = streamId;
        this.controller = controller;
        this.log = log;
        this.publisher = publisher;
        this.latest = new AtomicLong(controller.initialRate());
    }

    public Controller controller() {
        return controller;
    }

    @Override
    public void publish(long rate) {
        if (publisher != null && rate > 0) {
            publisher.publish(streamId, rate);
        }
    }

    /** The limit: per batch while the direct stream plans one, else the last decided (-1: none yet). */
    @Override
    public long getLatestRate() {
        long now = latest.get();
        return planning >= 0 ? controller.rateFor(planning, now) : now;
    }

    /** The direct stream plans the batch of {@code batchTimeMs}: the limit it reads is for that batch. */
    long planBatch(long batchTimeMs) {
        planning = batchTimeMs;
        long limit = getLatestRate();
        log.batchCap(streamId, batchTimeMs, limit);
        return limit;
    }

    void donePlanning() {
        planning = -1;
    }

    @Override
    public void onReceiverStarted(StreamingListenerReceiverStarted started) {
        // A receiver starts at Spark's initialRate; a controller with a limit of its own sets it now.
        if (started.receiverInfo().streamId() == streamId && latest.get() > 0) {
            publish(latest.get());
        }
    }

    @Override
    public void onBatchCompleted(StreamingListenerBatchCompleted completed) {
        BatchInfo info = completed.batchInfo();
        Option<StreamInputInfo> input = info.streamIdToInputInfo().get(streamId);
        // The same batches Spark's RateController feeds its estimator: ended, with both delays.
        if (info.processingEndTime().isEmpty() || info.processingDelay().isEmpty()
                || info.schedulingDelay().isEmpty() || input.isEmpty()) {
            return;
        }
        BatchStats batch = new BatchStats(info.batchTime().milliseconds(), (Long) info.processingEndTime().get(),
                input.get().numRecords(), (Long) info.processingDelay().get(), (Long) info.schedulingDelay().get());
        worker().execute(() -> decide(batch));
    }

    /** One decision, synchronously: what the worker thread runs (and the replay tool calls). */
    public void decide(BatchStats batch) {
        long started = System.nanoTime();
        Double rate = null;
        String error = null;
        try {
            rate = controller.decide(batch);
            if (rate != null && (rate.isNaN() || rate.isInfinite() || rate < 0)) {
                error = "the controller returned " + rate + ", not a finite rate of at least 0";
                rate = null;
            }
        } catch (Throwable failure) {
            error = failure.getClass().getName() + ": " + failure.getMessage();
            rate = null;
        }
        long took = System.nanoTime() - started;
        if (rate != null) {
            latest.set(rate.longValue());
            publish(rate.longValue());
        }
        String detail = null;
        try {
            detail = controller.detail();
        } catch (Throwable ignored) {
            // The detail only annotates the record; the decision stands without it.
        }
        log.decision(streamId, batch, rate, latest.get(), took, error, detail);
    }

    private synchronized ExecutorService worker() {
        if (worker == null) {
            worker = Executors.newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "bpbench-rate-controller-" + streamId);
                thread.setDaemon(true);
                return thread;
            });
        }
        return worker;
    }

    /** The parent's estimator, never asked: decisions come from the {@link Controller}. */
    private enum NoEstimate implements RateEstimator {
        INSTANCE;

        @Override
        public Option<Object> compute(long time, long elements, long processingDelay, long schedulingDelay) {
            return Option.empty();
        }
    }
}

package bpbench.jvm.control;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * GOVERNOR (Chen et al., ICAC 2017): checkpoint-aware backpressure, our own implementation of what
 * the paper and its prototype describe (docs/controllers.md lists where it fills the paper's gaps).
 *
 * <p>The job stream is cut into regions of {@code regionBatches} batches, each starting at a
 * checkpoint job. Until it has watched {@code warmupRegions} regions GOVERNOR is Spark's PID. Then
 * it knows which batch of a region checkpoints (the phase with the longest mean processing time)
 * and keeps, over the last {@code historyBatches} batches, the checkpoint jobs, the minimum-size
 * jobs and the full jobs apart. From them: a minimum job's time {@code tMin}, the cost of a record
 * in a full job {@code c} (full job time = tMin + c x records), and the checkpoint's overshoot
 * {@code O} (a checkpoint job's time beyond that line). For each coming region it plans batch sizes:
 * the checkpoint job at full size, which leaves a delay d = (delay inherited at the region's start)
 * + O; then minimum jobs of {@code minJobRecords} records while d exceeds what one clears
 * (interval - tMin); then one partial job that uses the time left; then full jobs of
 * (interval - tMin) / c records. The direct stream caps each batch at its planned size; the rate it
 * returns (which receivers get) is the region's planned records over the region's time.
 */
public final class GovernorController implements Controller {

    private static final long serialVersionUID = 1L;
    /** Trimmed means over the last this many values, as the prototype keeps the last 10. */
    static final int TRIM_WINDOW = 10;

    private final long intervalMs;
    private final int regionBatches;
    private final long minJobRecords;
    private final int historyBatches;
    private final int warmupRegions;
    private final SparkPidController pid;

    private final Deque<Observed> history = new ArrayDeque<>();
    private final double[] phaseTimeSum;
    private final int[] phaseCount;
    private long seen;
    private int checkpointPhase = -1;
    private Plan plan;
    private Plan previous;

    record Observed(long batchTimeMs, int phase, long elements, long processingMs, boolean minimum)
            implements java.io.Serializable {
    }

    /** One region's batch sizes (records per batch), from the checkpoint job at index 0. */
    record Plan(long startMs, long[] records, int minimumJobs, double carriedMs, double tMinMs,
            double costMsPerRecord, double overshootMs, long rate) implements java.io.Serializable {

        String json() {
            return "{\"region_start_ms\": " + startMs + ", \"records\": " + Arrays.toString(records)
                    + ", \"minimum_jobs\": " + minimumJobs + ", \"carried_ms\": " + carriedMs
                    + ", \"t_min_ms\": " + tMinMs + ", \"cost_ms_per_record\": " + costMsPerRecord
                    + ", \"overshoot_ms\": " + overshootMs + ", \"region_rate\": " + rate + "}";
        }
    }

    public GovernorController(long intervalMs, int regionBatches, long minJobRecords, int historyBatches,
            int warmupRegions, SparkPidController pid) {
        if (intervalMs <= 0 || regionBatches < 2 || minJobRecords < 1 || historyBatches < regionBatches
                || warmupRegions < 1) {
            throw new IllegalArgumentException("governor: interval > 0, region of at least 2 batches, "
                    + "min_job_records >= 1, a history of at least one region, warmup_regions >= 1");
        }
        this.intervalMs = intervalMs;
        this.regionBatches = regionBatches;
        this.minJobRecords = minJobRecords;
        this.historyBatches = historyBatches;
        this.warmupRegions = warmupRegions;
        this.pid = pid;
        this.phaseTimeSum = new double[regionBatches];
        this.phaseCount = new int[regionBatches];
    }

    int phase(long batchTimeMs) {
        return (int) Math.floorMod(batchTimeMs / intervalMs, (long) regionBatches);
    }

    int checkpointPhase() {
        return checkpointPhase;
    }

    Plan plan() {
        return plan;
    }

    @Override
    public synchronized Double decide(BatchStats batch) throws Exception {
        Double base = pid.decide(batch);
        int phase = phase(batch.batchTimeMs());
        boolean minimum = plannedRecords(batch.batchTimeMs()) == minJobRecords;
        if (batch.processingDelayMs() > 0) {
            history.addLast(new Observed(batch.batchTimeMs(), phase, batch.elements(), batch.processingDelayMs(),
                    minimum));
            while (history.size() > historyBatches) {
                history.removeFirst();
            }
            phaseTimeSum[phase] += batch.processingDelayMs();
            phaseCount[phase] += 1;
            seen++;
        }
        if (checkpointPhase < 0) {
            if (seen < (long) warmupRegions * regionBatches) {
                return base;  // warm-up: Spark's PID
            }
            checkpointPhase = slowestPhase();
        }
        Plan next = planAfter(batch);
        if (next == null) {
            return base;
        }
        if (plan == null || next.startMs() != plan.startMs()) {
            previous = plan;
            plan = next;
        } else {
            plan = next;
        }
        return (double) plan.rate();
    }

    @Override
    public synchronized long rateFor(long batchTimeMs, long latestRate) {
        long records = plannedRecords(batchTimeMs);
        if (records < 0) {
            return latestRate;
        }
        // The direct stream multiplies the rate by the interval: ask for at least one record per second.
        return Math.max(1, (long) Math.ceil(records * 1000.0 / intervalMs));
    }

    @Override
    public synchronized String detail() {
        return plan == null ? null : plan.json();
    }

    /** The planned size of the batch of {@code batchTimeMs}, or -1 outside every planned region. */
    long plannedRecords(long batchTimeMs) {
        for (Plan candidate : new Plan[] {plan, previous}) {
            if (candidate != null) {
                long index = (batchTimeMs - candidate.startMs()) / intervalMs;
                if (batchTimeMs >= candidate.startMs() && index < regionBatches) {
                    return candidate.records()[(int) index];
                }
            }
        }
        return -1;
    }

    private int slowestPhase() {
        int slowest = 0;
        for (int p = 1; p < regionBatches; p++) {
            if (mean(p) > mean(slowest)) {
                slowest = p;
            }
        }
        return slowest;
    }

    private double mean(int p) {
        return phaseCount[p] == 0 ? 0 : phaseTimeSum[p] / phaseCount[p];
    }

    /**
     * The plan for the next region to start after {@code batch}, made again on each decision until the
     * region starts, so it uses the latest delay: the one the batches before the region pass on.
     */
    private Plan planAfter(BatchStats batch) {
        long offset = Math.floorMod(checkpointPhase - phase(batch.batchTimeMs()), regionBatches);
        long start = batch.batchTimeMs() + (offset == 0 ? regionBatches : offset) * intervalMs;
        List<Double> checkpointTimes = new ArrayList<>();
        List<Long> checkpointRecords = new ArrayList<>();
        List<Double> minimumTimes = new ArrayList<>();
        double fullTime = 0;
        long fullRecords = 0;
        int fullJobs = 0;
        double smallest = Double.MAX_VALUE;
        for (Observed o : history) {
            if (o.phase() == checkpointPhase) {
                checkpointTimes.add((double) o.processingMs());
                checkpointRecords.add(o.elements());
                continue;
            }
            smallest = Math.min(smallest, o.processingMs());
            if (o.minimum()) {
                minimumTimes.add((double) o.processingMs());
            } else if (o.elements() > 0) {
                fullTime += o.processingMs();
                fullRecords += o.elements();
                fullJobs++;
            }
        }
        if (fullJobs == 0 || fullRecords == 0 || checkpointTimes.isEmpty()) {
            return null;
        }
        // Before the first minimum job, the quickest non-checkpoint job stands for one.
        double tMin = minimumTimes.isEmpty() ? smallest : trimmedMean(minimumTimes);
        tMin = Math.min(tMin, intervalMs * 0.9);
        double cost = Math.max((fullTime - fullJobs * tMin) / fullRecords, 1e-6);
        List<Double> overshoots = new ArrayList<>();
        for (int i = 0; i < checkpointTimes.size(); i++) {
            overshoots.add(Math.max(0, checkpointTimes.get(i) - (tMin + cost * checkpointRecords.get(i))));
        }
        double overshoot = trimmedMean(overshoots);
        // The delay the region's checkpoint job inherits: what the latest batch passes on.
        double inherited = Math.max(0, batch.schedulingDelayMs() + batch.processingDelayMs() - intervalMs);
        return regionPlan(start, inherited, overshoot, tMin, cost);
    }

    /** The region arithmetic: the batch sizes of one region, from its checkpoint job on. */
    Plan regionPlan(long start, double inheritedMs, double overshootMs, double tMinMs, double costMsPerRecord) {
        long full = Math.max(1, (long) Math.floor((intervalMs - tMinMs) / costMsPerRecord));
        long[] records = new long[regionBatches];
        records[0] = full;
        double carried = inheritedMs + overshootMs;
        double cleared = intervalMs - tMinMs;  // what one minimum job takes off the delay
        int minimumJobs = 0;
        int k = 1;
        for (; k < regionBatches && carried > cleared; k++) {
            records[k] = minJobRecords;
            carried -= cleared;
            minimumJobs++;
        }
        if (k < regionBatches) {
            double budget = intervalMs - carried - tMinMs;
            records[k] = Math.max(minJobRecords, Math.min(full, (long) Math.floor(budget / costMsPerRecord)));
            for (k++; k < regionBatches; k++) {
                records[k] = full;
            }
        }
        long total = Arrays.stream(records).sum();
        long rate = Math.max(1, Math.round(total * 1000.0 / (regionBatches * intervalMs)));
        return new Plan(start, records, minimumJobs, inheritedMs + overshootMs, tMinMs, costMsPerRecord,
                overshootMs, rate);
    }

    static double trimmedMean(List<Double> values) {
        List<Double> last = new ArrayList<>(values.subList(Math.max(0, values.size() - TRIM_WINDOW), values.size()));
        last.sort(Double::compare);
        if (last.size() >= 3) {
            last = last.subList(1, last.size() - 1);
        }
        return last.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }
}

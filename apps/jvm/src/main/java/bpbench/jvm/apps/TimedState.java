package bpbench.jvm.apps;

import java.io.Serializable;

import org.apache.spark.api.java.Optional;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.Function4;
import org.apache.spark.streaming.State;
import org.apache.spark.streaming.StateSpec;
import org.apache.spark.streaming.Time;
import org.apache.spark.streaming.api.java.JavaDStream;
import org.apache.spark.streaming.api.java.JavaMapWithStateDStream;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import scala.Tuple2;

/**
 * The state of the three stateful apps, as the original artifact keeps it ({@code SUMServer.java},
 * {@code GlobalSUMServer.java}, {@code GlobalHistogramServer.java}): each batch's value of a key is
 * folded into the key's state with {@code mapWithState}, and a key not updated for the configured
 * timeout (20 s in the paper) is dropped.
 *
 * <p>The first state is per (rank, step): the batch is reduced per key, grouped with one partition
 * per rank ({@link RankPartitioner}), and kept in a state partitioned the same way. GlobalSUM and
 * GlobalHistogram add a second state per step, across ranks.
 *
 * <p>Spark drops timed-out keys when it scans the whole state, which it does on the batches whose
 * state is checkpointed (every tenth batch interval by default), so a stale key may stay a few
 * batches longer than the timeout.
 */
public final class TimedState {

    /** What a state emits for a key updated in the batch: the batch's value and the key's value after it. */
    public record Update<K, V>(K key, V batch, V state) implements Serializable {
    }

    private TimedState() {
    }

    /**
     * The first state: {@code values} (one per record) reduced per (rank, step) in the batch, grouped
     * into one partition per rank, then folded into each key's state.
     */
    public static <V> JavaMapWithStateDStream<RankStep, V, V, Update<RankStep, V>> perRank(
            JavaPairDStream<RankStep, V> values, Function2<V, V, V> merge, AppConfig config) {
        RankPartitioner byRank = new RankPartitioner(config.ranks());
        return values.reduceByKey(merge)
                .groupByKey(byRank)
                .mapValues(grouped -> fold(grouped, merge))
                .mapWithState(TimedState.<RankStep, V>spec(merge, config).partitioner(byRank));
    }

    /** The second state (GlobalSUM, GlobalHistogram): the batch values re-keyed by step, reduced, then kept per step. */
    public static <V> JavaMapWithStateDStream<Integer, V, V, Update<Integer, V>> perStep(
            JavaMapWithStateDStream<RankStep, V, V, Update<RankStep, V>> perRank, Function2<V, V, V> merge,
            AppConfig config) {
        return perRank.mapToPair(update -> new Tuple2<>(update.key().step(), update.batch()))
                .reduceByKey(merge)
                .mapWithState(TimedState.<Integer, V>spec(merge, config));
    }

    /**
     * A state's share of the batch's report: a tally per key the batch updated and, only with
     * {@code report_state}, one per entry of the whole state (a scan the original does not do).
     */
    public static <K, V> JavaDStream<Figures.Tally> tallies(
            JavaMapWithStateDStream<K, V, V, Update<K, V>> updates,
            Function<Update<K, V>, Figures.Tally> ofUpdate,
            Function<V, Figures.Tally> ofStateEntry,
            AppConfig config) {
        JavaDStream<Figures.Tally> tallies = updates.map(ofUpdate);
        if (!config.reportState()) {
            return tallies;
        }
        return tallies.union(updates.stateSnapshots().map(entry -> ofStateEntry.call(entry._2())));
    }

    public static <K, V> StateSpec<K, V, V, Update<K, V>> spec(Function2<V, V, V> merge, AppConfig config) {
        // Typed as Spark's Java Function4: a bare lambda would also match the Scala overload.
        Function4<Time, K, Optional<V>, State<V>, Optional<Update<K, V>>> mapping =
                (time, key, batch, state) -> update(merge, key, batch, state);
        return StateSpec.function(mapping).timeout(config.stateTimeout());
    }

    static <K, V> Optional<Update<K, V>> update(Function2<V, V, V> merge, K key, Optional<V> batch, State<V> state)
            throws Exception {
        // Spark calls without a value only for a key that is timing out: it leaves, emitting nothing.
        if (state.isTimingOut() || !batch.isPresent()) {
            return Optional.empty();
        }
        V merged = state.exists() ? merge.call(state.get(), batch.get()) : batch.get();
        state.update(merged);
        return Optional.of(new Update<>(key, batch.get(), merged));
    }

    private static <V> V fold(Iterable<V> values, Function2<V, V, V> merge) throws Exception {
        V folded = null;
        for (V value : values) {
            folded = folded == null ? value : merge.call(folded, value);
        }
        return folded;
    }
}

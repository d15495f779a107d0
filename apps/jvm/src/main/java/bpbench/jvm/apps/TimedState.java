package bpbench.jvm.apps;

import java.io.Serializable;

import org.apache.spark.api.java.Optional;
import org.apache.spark.api.java.function.Function4;
import org.apache.spark.streaming.State;
import org.apache.spark.streaming.StateSpec;
import org.apache.spark.streaming.Time;

/**
 * The {@code mapWithState} specification the three stateful apps share: each batch's value of a
 * key is folded into the key's state, and a key not updated for the configured timeout is dropped.
 *
 * <p>Spark drops timed-out keys when it scans the whole state, which it does on the batches whose
 * state is checkpointed (every tenth batch interval by default), so a stale key may stay a few
 * batches longer than the timeout.
 */
public final class TimedState {

    /** How an app folds a key's batch value into its state, and what it emits for the batch. */
    public interface Fold<V, M> extends Serializable {

        V merge(V state, V batch);

        M emitted(V batch, V state);
    }

    private TimedState() {
    }

    public static <V, M> StateSpec<RankStep, V, V, M> spec(Fold<V, M> fold, AppConfig config) {
        // Typed as Spark's Java Function4: a bare lambda would also match the Scala overload.
        Function4<Time, RankStep, Optional<V>, State<V>, Optional<M>> mapping =
                (time, key, batch, state) -> update(fold, batch, state);
        return StateSpec.function(mapping).timeout(config.stateTimeout());
    }

    static <V, M> Optional<M> update(Fold<V, M> fold, Optional<V> batch, State<V> state) {
        // Spark calls without a value only for a key that is timing out: it leaves, emitting nothing.
        if (state.isTimingOut() || !batch.isPresent()) {
            return Optional.empty();
        }
        V merged = state.exists() ? fold.merge(state.get(), batch.get()) : batch.get();
        state.update(merged);
        return Optional.of(fold.emitted(batch.get(), merged));
    }
}

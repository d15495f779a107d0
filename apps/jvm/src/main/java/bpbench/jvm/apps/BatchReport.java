package bpbench.jvm.apps;

import java.io.Serializable;
import java.util.Map;

/**
 * A batch's account, built by adding one part per key (and per state entry) on the executors, so
 * the driver receives one small object per batch.
 */
public interface BatchReport<R extends BatchReport<R>> extends Serializable {

    R plus(R other);

    /** The fields of the batch's line in {@code batches.jsonl}, in order. */
    Map<String, Object> fields();
}

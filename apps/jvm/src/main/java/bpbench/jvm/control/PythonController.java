package bpbench.jvm.control;

import java.util.function.Function;

/**
 * The user's controller in Python, called on the PySpark driver through Py4J's callback server
 * ({@code apps/python_controller.py}). Py4J's proxy implements a JDK interface, which it can load
 * whatever the class loader of the helper's jar, and gets one line
 * {@code stream,batch_time,end_time,elements,processing,scheduling}; it answers a number or null.
 *
 * <p>The proxy is not serializable: a metadata checkpoint keeps the controller without it, and a
 * context restored from that checkpoint would find no Python controller (its decisions then fail
 * and keep the last limit).
 */
public final class PythonController implements Controller {

    private static final long serialVersionUID = 1L;

    private final int streamId;
    private final transient Function<Object, Object> decider;

    public PythonController(int streamId, Function<Object, Object> decider) {
        this.streamId = streamId;
        this.decider = decider;
    }

    @Override
    public Double decide(BatchStats batch) {
        if (decider == null) {
            throw new IllegalStateException("the Python controller is not reachable (restored from a checkpoint)");
        }
        Object rate = decider.apply(streamId + "," + batch.batchTimeMs() + "," + batch.endTimeMs() + ","
                + batch.elements() + "," + batch.processingDelayMs() + "," + batch.schedulingDelayMs());
        if (rate == null) {
            return null;
        }
        if (!(rate instanceof Number number)) {
            throw new IllegalArgumentException("the Python controller returned " + rate + ", not a number");
        }
        return number.doubleValue();
    }
}

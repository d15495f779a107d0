package bpbench.jvm.control;

/** A constant limit: the control arm of every comparison. */
public final class FixedController implements Controller {

    private static final long serialVersionUID = 1L;

    private final double rate;

    public FixedController(double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("fixed: rate must be a positive number, not " + rate);
        }
        this.rate = rate;
    }

    @Override
    public Double decide(BatchStats batch) {
        return rate;
    }

    @Override
    public long initialRate() {
        return (long) rate;
    }
}

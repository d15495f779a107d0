package bpbench.jvm.apps;

import java.io.Serializable;

/** The key of every app: the producer rank and time step a record belongs to. */
public record RankStep(int rank, int step) implements Serializable {
}

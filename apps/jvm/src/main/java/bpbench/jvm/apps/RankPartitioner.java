package bpbench.jvm.apps;

import org.apache.spark.Partitioner;

/**
 * The original artifact's partitioner of the stateful apps: one partition per MPI rank, a key's
 * partition its rank (here rank mod the number of ranks, so any rank has a partition). With no
 * rank count given (0 or less) there is a single partition.
 *
 * <p>Two instances with the same number of partitions are equal, so Spark sees the grouped batch
 * already partitioned as {@code mapWithState} wants it and does not shuffle it again.
 */
public final class RankPartitioner extends Partitioner {

    private final int partitions;

    public RankPartitioner(int ranks) {
        this.partitions = Math.max(ranks, 1);
    }

    @Override
    public int numPartitions() {
        return partitions;
    }

    @Override
    public int getPartition(Object key) {
        return Math.floorMod(((RankStep) key).rank(), partitions);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RankPartitioner that && that.partitions == partitions;
    }

    @Override
    public int hashCode() {
        return partitions;
    }
}

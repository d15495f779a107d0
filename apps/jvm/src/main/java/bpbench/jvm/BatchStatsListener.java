package bpbench.jvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.scheduler.BatchInfo;
import org.apache.spark.streaming.scheduler.OutputOperationInfo;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchStarted;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchSubmitted;
import scala.Option;
import scala.collection.Iterator;

/**
 * Spark's own statistics of every batch, pushed by the driver as it has them: one JSON line per
 * batch and state (queued, processing, completed) appended to {@code streaming-batches.jsonl} in
 * the app's output directory. The harness reads the file instead of asking the driver's REST API,
 * whose batch list costs the driver a request per poll, grows with the run and keeps only the last
 * {@code spark.streaming.ui.retainedBatches}.
 *
 * <p>The fields are the REST API's ({@code /streaming/batches}), from the same {@link BatchInfo}.
 * Python attaches it through an instance, as it loads the other helpers.
 */
public final class BatchStatsListener implements StreamingListener {

    public static final String FILE = "streaming-batches.jsonl";

    private final Path path;

    public BatchStatsListener() {
        this.path = null;
    }

    private BatchStatsListener(String outputDir) {
        this.path = Path.of(outputDir, FILE);
    }

    /** Registers a listener writing to {@code outputDir}; call before the context starts. */
    public void attach(JavaStreamingContext jssc, String outputDir) {
        jssc.addStreamingListener(new BatchStatsListener(outputDir));
    }

    @Override
    public void onBatchSubmitted(StreamingListenerBatchSubmitted event) {
        append(event.batchInfo(), "QUEUED");
    }

    @Override
    public void onBatchStarted(StreamingListenerBatchStarted event) {
        append(event.batchInfo(), "PROCESSING");
    }

    @Override
    public void onBatchCompleted(StreamingListenerBatchCompleted event) {
        append(event.batchInfo(), "COMPLETED");
    }

    private void append(BatchInfo batch, String status) {
        String line = "{\"batch_time_ms\": " + batch.batchTime().milliseconds()
                + ", \"status\": \"" + status + "\""
                + ", \"input_records\": " + batch.numRecords()
                + ", \"scheduling_delay_ms\": " + orNull(batch.schedulingDelay())
                + ", \"processing_time_ms\": " + orNull(batch.processingDelay())
                + ", \"total_delay_ms\": " + orNull(batch.totalDelay())
                + ", \"output_ops_failed\": " + failedOutputOps(batch) + "}\n";
        try {
            // One line per write; a reader keeps a line that has no newline yet for its next read.
            Files.writeString(path, line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String orNull(Option<Object> value) {
        return value.isDefined() ? value.get().toString() : "null";
    }

    private static int failedOutputOps(BatchInfo batch) {
        int failed = 0;
        for (Iterator<OutputOperationInfo> ops = batch.outputOperationInfos().valuesIterator(); ops.hasNext();) {
            if (ops.next().failureReason().isDefined()) {
                failed++;
            }
        }
        return failed;
    }
}

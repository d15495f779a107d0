package bpbench.jvm.control;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Every decision of the plugged controllers, one JSON line each in {@code controller.jsonl} of the
 * app's output folder (the harness turns it into {@code controller.parquet}):
 * {@code decision} lines hold a completed batch's statistics, the rate the controller returned
 * (null: keep), the limit in force afterwards, the controller's own time and its error if it failed;
 * {@code batch_cap} lines hold the limit the direct stream applied when it planned a batch.
 */
public final class DecisionLog implements Serializable {

    private static final long serialVersionUID = 1L;
    public static final String FILE = "controller.jsonl";

    private final String path;

    public DecisionLog(String outputDir) {
        this.path = Path.of(outputDir, FILE).toString();
    }

    public void decision(int streamId, BatchStats batch, Double rate, long limit, long computeNanos,
            String error, String detail) {
        append("{\"event\": \"decision\", \"stream_id\": " + streamId
                + ", \"batch_time_ms\": " + batch.batchTimeMs()
                + ", \"end_time_ms\": " + batch.endTimeMs()
                + ", \"elements\": " + batch.elements()
                + ", \"processing_delay_ms\": " + batch.processingDelayMs()
                + ", \"scheduling_delay_ms\": " + batch.schedulingDelayMs()
                + ", \"rate_rps\": " + number(rate)
                + ", \"limit_rps\": " + limitOrNull(limit)
                + ", \"compute_us\": " + computeNanos / 1000.0
                + ", \"decided_ms\": " + System.currentTimeMillis()
                + ", \"error\": " + quoted(error)
                + ", \"detail\": " + quoted(detail) + "}\n");
    }

    public void batchCap(int streamId, long batchTimeMs, long limit) {
        append("{\"event\": \"batch_cap\", \"stream_id\": " + streamId
                + ", \"batch_time_ms\": " + batchTimeMs
                + ", \"limit_rps\": " + limitOrNull(limit)
                + ", \"decided_ms\": " + System.currentTimeMillis() + "}\n");
    }

    private static String limitOrNull(long limit) {
        return limit > 0 ? Long.toString(limit) : "null";
    }

    private static String number(Double value) {
        return value == null || value.isNaN() || value.isInfinite() ? "null" : value.toString();
    }

    static String quoted(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static final Object LOCK = new Object();

    private void append(String line) {
        synchronized (LOCK) {
            write(line);
        }
    }

    private void write(String line) {
        try {
            // One line per write; the harness's reader keeps a line without its newline for later.
            Files.writeString(Path.of(path), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

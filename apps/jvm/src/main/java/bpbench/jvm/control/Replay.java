package bpbench.jvm.control;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Drives a controller through the plug-in's decision path without Spark running, for tests and
 * offline study: {@code Replay CONTROLLER_JSON INTERVAL_MS OUTPUT_DIR} (or {@code --class NAME} in
 * place of the JSON: a {@link Controller} with a no-argument constructor). Each line on stdin is
 * either a completed batch ({@code batch_time_ms, end_time_ms, elements, processing_delay_ms,
 * scheduling_delay_ms}), answered with {@code {"limit": L}}, the limit in force after it; or
 * {@code {"cap_for_ms": T}}, answered with {@code {"cap": L}}, the limit the direct stream would
 * apply to the batch of time T. Decisions go to OUTPUT_DIR/controller.jsonl, as in a run.
 */
public final class Replay {

    private Replay() {
    }

    public static void main(String[] args) throws Exception {
        Controller controller;
        int next;
        if (args[0].equals("--class")) {
            controller = (Controller) Class.forName(args[1]).getDeclaredConstructor().newInstance();
            next = 2;
        } else {
            controller = Controllers.fromJson(args[0], Long.parseLong(args[1]));
            next = 1;
        }
        String outputDir = args[next + 1];
        PluggedRateController plugged = new PluggedRateController(0, controller, new DecisionLog(outputDir), null);
        ObjectMapper json = new ObjectMapper();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode raw = json.readTree(line);
            if (raw.has("cap_for_ms")) {
                long cap = plugged.planBatch(raw.get("cap_for_ms").asLong());
                plugged.donePlanning();
                out.println("{\"cap\": " + cap + "}");
            } else {
                plugged.decide(new BatchStats(raw.get("batch_time_ms").asLong(), raw.get("end_time_ms").asLong(),
                        raw.get("elements").asLong(), raw.get("processing_delay_ms").asLong(),
                        raw.get("scheduling_delay_ms").asLong()));
                out.println("{\"limit\": " + plugged.getLatestRate() + "}");
            }
        }
    }
}

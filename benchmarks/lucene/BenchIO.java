// Reading the query file, timing the queries and writing the result lines, shared by both
// Lucene columns.
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

final class BenchIO {
    private BenchIO() {}

    static Map<String, List<String>> readQueries(String path) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", 2);
            if (f.length == 2) out.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f[1]);
        }
        return out;
    }

    static long bytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** One query's work (search, top 10, one highlighted fragment per hit). */
    interface Query {
        int run(String text) throws Exception;
    }

    /** Each class's per-query best of 3 (ms), after two warm-up rounds of every query. */
    static Map<String, double[]> time(Map<String, List<String>> queries, Query query)
            throws Exception {
        for (int round = 0; round < 2; round++)
            for (List<String> list : queries.values())
                for (String q : list) query.run(q);
        Map<String, double[]> times = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : queries.entrySet()) {
            double[] best = new double[e.getValue().size()];
            for (int i = 0; i < best.length; i++) {
                best[i] = Double.MAX_VALUE;
                for (int k = 0; k < 3; k++) {
                    long t = System.nanoTime();
                    query.run(e.getValue().get(i));
                    best[i] = Math.min(best[i], (System.nanoTime() - t) / 1e6);
                }
            }
            times.put(e.getKey(), best);
        }
        return times;
    }

    static String buildJson(String engine, int articles, double buildSeconds, Path dir)
            throws IOException {
        return "{\"engine\": \"" + engine + "\", \"articles\": " + articles
            + ", \"build_s\": " + buildSeconds + ", \"index_mb\": " + bytes(dir) / 1e6 + "}";
    }

    static String timesJson(String engine, Map<String, double[]> times) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"engine\": \"").append(engine).append("\", \"times_ms\": {");
        boolean first = true;
        for (Map.Entry<String, double[]> e : times.entrySet()) {
            if (!first) sb.append(", ");
            first = false;
            sb.append('"').append(e.getKey()).append("\": ").append(Arrays.toString(e.getValue()));
        }
        return sb.append("}}").toString();
    }
}

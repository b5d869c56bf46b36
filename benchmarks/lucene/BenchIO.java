// Reading the query file and writing the result line, shared by both Lucene columns.
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

    static String json(String engine, int articles, double buildSeconds, Path dir,
                       Map<String, double[]> times) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"engine\": \"").append(engine).append("\", \"articles\": ").append(articles)
          .append(", \"build_s\": ").append(buildSeconds)
          .append(", \"index_mb\": ").append(bytes(dir) / 1e6)
          .append(", \"times_ms\": {");
        boolean first = true;
        for (Map.Entry<String, double[]> e : times.entrySet()) {
            if (!first) sb.append(", ");
            first = false;
            sb.append('"').append(e.getKey()).append("\": ").append(Arrays.toString(e.getValue()));
        }
        return sb.append("}}").toString();
    }
}

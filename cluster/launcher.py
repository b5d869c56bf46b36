"""Build and start the loopback SolrCloud (``cluster/``'s Java launcher) from Python.

    python -m cluster.launcher [--nodes 2] [--dir var/cluster]     (what `make cluster` runs)

The Maven project is built once (``mvn package``; its dependencies come from Maven Central
by name), then ``mops.cluster.Cluster start`` runs ZooKeeper and the Solr nodes, each node its
own JVM, and prints their addresses. Tests and benchmarks use ``running_cluster()``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = HERE / "target"
CONFIGSET = ROOT / "search" / "configset"
START_TIMEOUT_S = 240


class ClusterError(RuntimeError):
    """The cluster could not be built or started; the message says why."""


def missing_tools() -> str | None:
    """Why this machine cannot start the cluster (no JDK or Maven), or None."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (the SolrCloud backend needs a JDK 17 and Maven)"
    return None


def build() -> list[str]:
    """Compile the launcher (only when its sources changed); return its class path."""
    jar, classpath = TARGET / "cluster-1.jar", TARGET / "classpath.txt"
    sources = [HERE / "pom.xml", *sorted((HERE / "src").rglob("*.java"))]
    newest = max(p.stat().st_mtime for p in sources)
    if not (jar.exists() and classpath.exists() and jar.stat().st_mtime >= newest):
        done = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(HERE / "pom.xml"), "package", "-DskipTests"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise ClusterError("building cluster/ failed:\n" + (done.stdout + done.stderr)[-3000:])
    return [str(jar), classpath.read_text().strip()]


def start(directory: Path, nodes: int = 2, heap: str = "512m") -> tuple[subprocess.Popen, dict]:
    """Start ZooKeeper and ``nodes`` Solr nodes; return the launcher process and what it
    printed: ``{"zk_host", "configset", "nodes": [{"url", "pid"}]}``."""
    classpath = os.pathsep.join(build())
    directory.mkdir(parents=True, exist_ok=True)
    log = open(directory / "launcher.log", "wb")  # noqa: SIM115 (kept open while it runs)
    proc = subprocess.Popen(
        ["java", "-Xmx256m", "-cp", classpath, "mops.cluster.Cluster", "start",
         "--nodes", str(nodes), "--dir", str(directory), "--configset", str(CONFIGSET),
         "--heap", heap],  # fmt: skip
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
    )
    proc.log = log  # closed by stop()
    deadline = time.monotonic() + START_TIMEOUT_S
    line = b""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(b"{") or proc.poll() is not None:
            break
    if not line.startswith(b"{"):
        stop(proc)
        tail = (directory / "launcher.log").read_text(errors="replace")[-2000:]
        raise ClusterError(f"the cluster did not start:\n{tail}")
    return proc, json.loads(line)


def stop(proc: subprocess.Popen) -> None:
    """Stop the launcher, which stops its nodes and ZooKeeper."""
    if proc.poll() is None:
        try:
            proc.stdin.close()  # the launcher exits when its input closes
        except OSError:
            pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for stream in (proc.stdout, getattr(proc, "log", None)):
        if stream is not None:
            stream.close()


def solr_url(info: dict) -> str:
    """SOLR_URL for a started cluster: every node, commas between."""
    return ",".join(node["url"] for node in info["nodes"])


@contextmanager
def running_cluster(directory: Path, nodes: int = 2, heap: str = "512m"):
    proc, info = start(directory, nodes, heap)
    try:
        yield info
    finally:
        stop(proc)


def main() -> None:
    import click

    @click.command()
    @click.option("--nodes", default=2, show_default=True, type=click.IntRange(1, 9))
    @click.option("--dir", "directory", default="var/cluster", show_default=True,
                  type=click.Path(path_type=Path))  # fmt: skip
    @click.option("--heap", default="512m", show_default=True, help="Java heap per Solr node.")
    def run(nodes: int, directory: Path, heap: str) -> None:
        """Start a SolrCloud on loopback and keep it running until Ctrl-C."""
        reason = missing_tools()
        if reason:
            raise click.ClickException(reason)
        try:
            proc, info = start(directory.resolve(), nodes, heap)
        except ClusterError as exc:
            raise click.ClickException(str(exc)) from exc
        url = solr_url(info)
        click.echo(f"ZooKeeper: {info['zk_host']}")
        for node in info["nodes"]:
            click.echo(f"Solr node: {node['url']} (pid {node['pid']})")
        click.echo(
            "\nIndex and serve with:\n"
            f"  SEARCH_BACKEND=solr SOLR_URL={url} .venv/bin/python -m indexer rebuild\n"
            f"  SEARCH_BACKEND=solr SOLR_URL={url} .venv/bin/python -m web\n"
            "Ctrl-C stops the cluster."
        )
        try:
            proc.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop(proc)

    run(prog_name="python -m cluster.launcher")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A bounded load test of `leaky serve` on loopback: N clients (default 32) ask for what the
explorer asks for (values as the sliders move, figures as SVG and PNG, CSV) for D seconds
(default 20), optionally with a training run going beside them (`--train`: started through the
experiments page's API, as the page starts one). With `--train`, M of the clients (default 8)
ask for what the experiments page asks for instead (the run folders, the training run's folder,
the jobs), and one more follows the run's live stream. Prints the requests, the errors, the
latency percentiles per kind of request, the live events received, and the server's resident
memory before the load and at each quarter of it (it should level off). Standard library only.

    cargo build --release -p leaky-cli
    python3 scripts/serve_load.py --train
"""

import argparse
import http.client
import json
import random
import re
import subprocess
import tempfile
import threading
import time

REQUESTS = [
    ("values", 0.70, lambda a: f"/api/values?spec=leaky_relu%3Aalpha%3D{a}&from=-2&to=2&points=100"),
    ("values, 3 specs", 0.15, lambda a: f"/api/values?spec=leaky_relu%3Aalpha%3D{a}&spec=tanh&spec=gelu&points=400"),
    ("plot.svg", 0.07, lambda a: f"/plot.svg?spec=leaky_relu%3Aalpha%3D{a}&derivative=1"),
    ("plot.png", 0.05, lambda a: f"/plot.png?spec=leaky_relu%3Aalpha%3D{a}&derivative=1"),
    ("eval.csv", 0.03, lambda a: f"/eval.csv?spec=leaky_relu%3Aalpha%3D{a}&points=1000"),
]

EXPERIMENTS = [
    ("runs", 0.4, lambda a: "/api/runs"),
    ("run folder", 0.4, lambda a: "/api/run?folder=cnn"),
    ("jobs", 0.2, lambda a: "/api/jobs"),
]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def client(port, stop, results, lock, seed, requests):
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mine = []
    while not stop.is_set():
        r = rng.random()
        for name, share, path in requests:
            if r < share:
                break
            r -= share
        alpha = round(rng.uniform(-1, 1), 3)
        start = time.perf_counter()
        try:
            connection.request("GET", path(alpha))
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine.append((name, time.perf_counter() - start, ok))
    with lock:
        results.extend(mine)


def follow(port, stop, events):
    """Reads the training run's live stream, counting its `run` events, until `stop`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/api/run/events?folder=cnn")
    response = connection.getresponse()
    while not stop.is_set():
        try:
            line = response.fp.readline()
        except (OSError, ValueError):
            break
        if line.startswith(b"event: run"):
            events.append(time.perf_counter())
    connection.close()


def api(port, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"content-type": "application/json"} if body else {}
    connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaky", default="target/release/leaky")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--train", action="store_true",
                        help="train a CNN beside the load, started from the experiments page's API")
    parser.add_argument("--run-clients", type=int, default=8,
                        help="with --train, how many of the clients ask for the experiments page's data")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp()
    server = subprocess.Popen([args.leaky, "serve", "--port", "0", "--runs", scratch],
                              stdout=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))
    job = None
    if args.train:
        status, job = api(port, "POST", "/api/jobs", {"kind": "train_cnn", "folder": "cnn", "epochs": 1})
        assert status == 202, job
    rss_start = rss_kib(server.pid)
    stop, lock, results, events = threading.Event(), threading.Lock(), [], []
    run_clients = args.run_clients if args.train else 0
    threads = [threading.Thread(target=client, args=(
        port, stop, results, lock, i, EXPERIMENTS if i < run_clients else REQUESTS))
        for i in range(args.clients)]
    if args.train:
        threads.append(threading.Thread(target=follow, args=(port, stop, events)))
    for t in threads:
        t.start()
    # The server's memory each second: it should level off, not keep growing.
    samples = []
    for _ in range(int(args.seconds)):
        time.sleep(1)
        samples.append(rss_kib(server.pid))
    stop.set()
    for t in threads:
        t.join()
    rss_end = rss_kib(server.pid)
    training = "none"
    if job is not None:
        _, jobs = api(port, "GET", "/api/jobs")
        state = next(j for j in jobs if j["id"] == job["id"])["state"]
        training = "still running" if state == "running" else state
        if state == "running":
            api(port, "DELETE", f"/api/jobs/{job['id']}")
    server.terminate()
    server.wait()

    errors = sum(1 for _, _, ok in results if not ok)
    print(f"{args.clients} clients ({run_clients} on the experiments page) for {args.seconds:.0f} s "
          f"on loopback, training beside: {training}")
    print(f"{len(results)} requests ({len(results) / args.seconds:.0f}/s), {errors} errors")
    print("| request | count | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, _, _ in REQUESTS + EXPERIMENTS + [("all", 0, None)]:
        times = [s * 1000 for n, s, _ in results if n == name or name == "all"]
        if times:
            print(f"| {name} | {len(times)} | {percentile(times, 50):.1f} | {percentile(times, 99):.1f} | {max(times):.1f} |")
    quarters = [samples[max(0, len(samples) * q // 4 - 1)] / 1024 for q in (1, 2, 3, 4)]
    print(f"server resident memory: {rss_start / 1024:.1f} MiB idle before the load; "
          f"after 1/4, 1/2, 3/4 and all of it: {', '.join(f'{m:.1f}' for m in quarters)} MiB; "
          f"{rss_end / 1024:.1f} MiB when the clients stopped")
    if args.train:
        gaps = [b - a for a, b in zip(events, events[1:])]
        print(f"live stream of the training run: {len(events)} events"
              + (f", {percentile(gaps, 50) * 1000:.0f} ms apart (median)" if gaps else ""))


if __name__ == "__main__":
    main()

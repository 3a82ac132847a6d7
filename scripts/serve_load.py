#!/usr/bin/env python3
"""A bounded load test of `leaky serve` on loopback: N clients (default 32) ask for what the
explorer asks for (values as the sliders move, figures as SVG and PNG, CSV) for D seconds
(default 20), optionally with a training run going beside them (`--train`). Prints the requests,
the errors, the latency percentiles per kind of request, and the server's resident memory before
the load and at each quarter of it (it should level off). Standard library only.

    cargo build --release -p leaky-cli
    python3 scripts/serve_load.py --train
"""

import argparse
import http.client
import os
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


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def client(port, stop, results, lock, seed):
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mine = []
    while not stop.is_set():
        r = rng.random()
        for name, share, path in REQUESTS:
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


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaky", default="target/release/leaky")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--train", action="store_true", help="train a CNN beside the load")
    args = parser.parse_args()

    server = subprocess.Popen([args.leaky, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))
    scratch = tempfile.mkdtemp()
    trainer = None
    if args.train:
        trainer = subprocess.Popen(
            [args.leaky, "train", "cnn", "--epochs", "1", "--out", os.path.join(scratch, "cnn")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rss_start = rss_kib(server.pid)
    stop, lock, results = threading.Event(), threading.Lock(), []
    threads = [threading.Thread(target=client, args=(port, stop, results, lock, i)) for i in range(args.clients)]
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
    if trainer is not None:
        training = "still running" if trainer.poll() is None else f"ended with {trainer.returncode}"
        trainer.kill()
    server.terminate()
    server.wait()

    errors = sum(1 for _, _, ok in results if not ok)
    print(f"{args.clients} clients for {args.seconds:.0f} s on loopback, training beside: {training}")
    print(f"{len(results)} requests ({len(results) / args.seconds:.0f}/s), {errors} errors")
    print("| request | count | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, _, _ in REQUESTS + [("all", 0, None)]:
        times = [s * 1000 for n, s, _ in results if n == name or name == "all"]
        if times:
            print(f"| {name} | {len(times)} | {percentile(times, 50):.1f} | {percentile(times, 99):.1f} | {max(times):.1f} |")
    quarters = [samples[max(0, len(samples) * q // 4 - 1)] / 1024 for q in (1, 2, 3, 4)]
    print(f"server resident memory: {rss_start / 1024:.1f} MiB idle before the load; "
          f"after 1/4, 1/2, 3/4 and all of it: {', '.join(f'{m:.1f}' for m in quarters)} MiB; "
          f"{rss_end / 1024:.1f} MiB when the clients stopped")


if __name__ == "__main__":
    main()

#!/bin/bash
# neardup.dask against the CLI on one corpus: wall time, the records compared
# byte for byte, the peak RSS of each worker process (sampled every 0.1 s),
# the bytes workers fetched from each other (Dask's transfer log), and, with
# -c, the components of the "shares a bucket" graph (bench/components.py's
# diagnostic: no task holds one since the passes are staged).
#
# Usage: bench/dask.sh [-b BUILD_DIR] [-w "1 2"] [-m MEMORY_LIMIT] [-s BLOCKSIZE] [-x N] [-n] [-c] [CORPUS.jsonl]
#   BUILD_DIR     the build (default: build at the project root)
#   -w            worker counts to run (default "1 2"), one thread each
#   MEMORY_LIMIT  Dask's memory_limit per worker (default: none)
#   BLOCKSIZE     bytes of JSONL per partition (default 16MiB)
#   -x N          scan the corpus N times over instead (bench/scale_corpus.py:
#                 copy n > 0 has ids "ID~n" and one word in ten replaced,
#                 seeded by n)
#   -n            no CLI run (a corpus too large for one machine's scan);
#                 the records are then not compared
#   -c            only the components (no scan): sizes of the largest
#   CORPUS        default /work/newsbench/news.jsonl (bench/make_corpus.sh)
# A scan that fails (Dask's KilledWorker, ...) prints how, after how long,
# and the workers' peaks and restarts so far.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
workers="1 2"
limit=0
times=1
cli=1
only_components=0
blocksize=16MiB
corpus=/work/newsbench/news.jsonl
while [ $# -gt 0 ]; do
    case "$1" in
        -b) build=$2; shift 2 ;;
        -w) workers=$2; shift 2 ;;
        -m) limit=$2; shift 2 ;;
        -s) blocksize=$2; shift 2 ;;
        -x) times=$2; shift 2 ;;
        -n) cli=0; shift ;;
        -c) only_components=1; cli=0; shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) corpus=$1; shift ;;
    esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$times" -gt 1 ]; then
    /usr/bin/python3 "$root/bench/scale_corpus.py" "$corpus" "$times" > "$tmp/scaled.jsonl"
    corpus="$tmp/scaled.jsonl"
fi
mb=$(( $(stat -c %s "$corpus") / 1000000 ))
docs=$(grep -c . "$corpus")
echo "corpus: $mb MB of JSONL, $docs documents"
if [ "$cli" = 1 ]; then
    /usr/bin/time -f "%e %M" -o "$tmp/cli.time" "$build/neardup" scan --json --threads 1 "$corpus" > "$tmp/cli.jsonl" 2>/dev/null
    read -r secs kb < "$tmp/cli.time"
    echo "cli 1 thread: ${secs} s, peak RSS $((kb / 1024)) MB"
fi
# a file, not stdin: Dask's worker processes import the main module again
cat > "$tmp/run.py" <<'PY'
import os, sys, threading, time
import distributed, psutil
import neardup.dask as nd
def main():
  corpus, n, limit, out_path, docs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
  scan, components = os.environ.get("SCAN") == "1", os.environ.get("COMPONENTS") == "1"
  cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=":0",
                                     memory_limit=limit if limit != "0" else 0)
  client = distributed.Client(cluster)
  peak, done = {}, threading.Event()
  def sample():
      while not done.is_set():
          # workers restarted by their nanny (memory limit) are new processes
          for pid in set(p.pid for p in psutil.Process().children(recursive=True)
                         if "resource_tracker" not in " ".join(p.cmdline())):
              try:
                  peak[pid] = max(peak.get(pid, 0), psutil.Process(pid).memory_info().rss)
              except psutil.Error:
                  pass
          time.sleep(0.1)
  def peaks():
      # the nannies are processes too: only the workers are >100 MB
      big = [v for v in peak.values() if v > 100 << 20]
      return "%s MB (%d worker processes, %d restarted)" % ("/".join(str(v >> 20) for v in big),
                                                            len(big), max(len(big) - n, 0))
  threading.Thread(target=sample, daemon=True).start()
  t0 = time.time()
  bag = nd._read([corpus], os.environ["BLOCKSIZE"])
  if scan:
      try:
          text = client.persist(nd.lines(bag))
          distributed.wait(text)
          secs = time.time() - t0
          with open(out_path, "w") as f:
              for part in text.to_delayed():
                  f.write("".join(part.compute()))
      except Exception as e:
          print("dask %d worker(s), %d partitions, memory_limit %s: FAILED after %.1f s: %s: %s; peak RSS %s"
                % (n, bag.npartitions, limit, time.time() - t0, type(e).__name__, str(e)[:300], peaks()))
          done.set()
          client.close(); cluster.close()
          sys.exit(1)
      moved = sum(sum(x["total"] for x in log)
                  for log in client.run(lambda dask_worker: list(dask_worker.transfer_incoming_log)).values())
      print("dask %d worker(s), %d partitions, memory_limit %s: %.1f s; peak RSS per worker process %s; "
            "fetched between workers %.1f MB (%.0f B per document)"
            % (n, bag.npartitions, limit, secs, peaks(), moved / 1e6, moved / max(docs, 1)))
  if components:
      t0 = time.time()
      for kinds, what in ((nd._KINDS, "every bucket"), ((1,), "family buckets only")):
          sizes = nd.component_sizes(bag, kinds, ranges=bag.npartitions).compute()
          total = sum(b for _, b in sizes)
          print("  components linked by %s: %d; largest %d documents, %d MB of signed paragraphs, "
                "%.1f%% of the signed bytes" % (what, len(sizes), sizes[0][0], sizes[0][1] >> 20,
                                                100.0 * sizes[0][1] / max(total, 1)))
      print("  components: %.1f s; peak RSS %s" % (time.time() - t0, peaks()))
  done.set()
  client.close(); cluster.close()
if __name__ == "__main__":
    main()
PY
for n in $workers; do
    SCAN=$((1 - only_components)) COMPONENTS=$only_components BLOCKSIZE=$blocksize PYTHONPATH="$build/python" \
        /usr/bin/python3 "$tmp/run.py" "$corpus" "$n" "$limit" "$tmp/dask.jsonl" "$docs" || continue
    [ "$cli" = 1 ] || continue
    if cmp -s "$tmp/cli.jsonl" "$tmp/dask.jsonl"; then echo "  records: identical to the CLI's"; else echo "  records: DIFFER from the CLI's"; fi
done

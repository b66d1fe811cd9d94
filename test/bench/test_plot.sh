#!/usr/bin/env bash
# test/bench/test_plot.sh: bench/plot on a fixed results file (test/bench/results.tsv). Each chart
# must come out as a 900-pixel-wide PNG, the links must land between the chart markers of a
# markdown file and nowhere else, a subset of the scenarios must draw only its charts, and bad
# input must fail with one line. Exits 77 (ctest: skipped) when gnuplot is not installed.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plot=$here/../../bench/plot
fixture=$here/results.tsv

if ! command -v gnuplot >/dev/null; then
  echo "SKIPPED: gnuplot is not installed (Debian: apt-get install gnuplot-nox)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# png_width FILE: the width in the IHDR chunk, when FILE starts with the PNG signature.
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'; }

charts=(plot-latency.png plot-cpu-per-echo.png plot-stream.png plot-idle-memory.png)

# 1. Every chart from the full fixture, linked from the markdown between the markers.
mkdir "$work/all"
cat >"$work/all/RESULTS.md" <<'EOF'
# Written by hand above
<!-- bench/run: begin -->
table
<!-- bench/plot: begin -->
a stale link
<!-- bench/plot: end -->
<!-- bench/run: end -->
Notes by hand below.
EOF
if ! "$plot" --results "$fixture" --out "$work/all" --markdown "$work/all/RESULTS.md" \
  2>"$work/err"; then
  fail "bench/plot exited non-zero on the fixture: $(cat "$work/err")"
fi
for chart in "${charts[@]}"; do
  file=$work/all/$chart
  if [ ! -s "$file" ]; then
    fail "$chart was not drawn"
  elif ! is_png "$file"; then
    fail "$chart is not a PNG (magic bytes $(head -c 8 "$file" | od -An -tx1))"
  elif [ "$(png_width "$file")" != 900 ]; then
    fail "$chart is $(png_width "$file") pixels wide, not 900"
  fi
  grep -qF "]($chart)" "$work/all/RESULTS.md" || fail "RESULTS.md has no link to $chart"
done
grep -q 'a stale link' "$work/all/RESULTS.md" && fail "the old text between the chart markers was kept"
head -1 "$work/all/RESULTS.md" | grep -qx '# Written by hand above' || fail "the text above the markers changed"
tail -1 "$work/all/RESULTS.md" | grep -qx 'Notes by hand below.' || fail "the text below the markers changed"
# Drawing again replaces the links rather than adding a second set.
"$plot" --results "$fixture" --out "$work/all" --markdown "$work/all/RESULTS.md" 2>/dev/null
[ "$(grep -c '](plot-latency.png)' "$work/all/RESULTS.md")" = 1 ] ||
  fail "a second run left $(grep -c '](plot-latency.png)' "$work/all/RESULTS.md") latency links"

# 2. A run of (d) alone: only the stream chart, only its link; --no-markdown touches nothing.
mkdir "$work/subset"
grep -v -e '^[abfg]_' -e '^g[0-9]' "$fixture" >"$work/subset/results.tsv"
"$plot" --results "$work/subset/results.tsv" --out "$work/subset" --no-markdown 2>/dev/null ||
  fail "bench/plot failed on a (d)-only results file"
[ -s "$work/subset/plot-stream.png" ] || fail "the (d)-only run drew no stream chart"
for chart in plot-latency.png plot-cpu-per-echo.png plot-idle-memory.png; do
  [ ! -e "$work/subset/$chart" ] || fail "the (d)-only run drew $chart"
done

# 3. Bad input: one line on stderr, non-zero exit, no chart.
expect_error() {
  local what=$1
  shift
  local status=0
  "$plot" "$@" --out "$work/bad" --no-markdown >/dev/null 2>"$work/err" || status=$?
  if [ "$status" = 0 ]; then
    fail "$what: exit status 0"
  elif [ "$(wc -l <"$work/err")" != 1 ] || ! grep -q '^bench/plot: ' "$work/err"; then
    fail "$what: not one 'bench/plot:' line on stderr: $(cat "$work/err")"
  fi
}
expect_error "a missing results file" --results "$work/nonexistent.tsv"
printf '@server\tours\techo-server\na_p50\tours\t1\tfast\t\n' >"$work/not-a-number.tsv"
expect_error "a value that is not a number" --results "$work/not-a-number.tsv"
printf 'a_p50\tours\t1\t14.9\t\n' >"$work/no-servers.tsv"
expect_error "a file without @server lines" --results "$work/no-servers.tsv"
expect_error "an unknown option" --results "$fixture" --colour
[ ! -e "$work/bad/plot-latency.png" ] || fail "a chart was drawn from bad input"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "bench/plot: ${#charts[@]} PNG charts, the markdown links, a subset and bad input all as expected"

#!/usr/bin/env bash
# Stalled-send benchmark (make bench-stall): the CPU that Postie's window spends
# while a send hangs, which must stay under 5% of one core beyond the
# window's own idle cost.
#
# The scene, as a person would meet it: the window is open with one account
# whose server (mail/outbox/bench/stallserver, on loopback) reads the first
# message's body and then holds its reply, as a slow or overloaded server
# does, while two more messages of the same account wait behind it.
#
#   1. The window starts on a data folder with that account and an empty
#      outbox; once it is on screen and has settled, its CPU is measured
#      for MEASURE seconds: the idle cost of the window itself.
#   2. `postie send --queue` queues three messages from another process,
#      as a script would; the window's worker finds them at its next poll
#      (at most 30 s) and starts sending the first, which stalls.
#   3. From the moment the server holds the reply, the window's CPU is
#      measured for MEASURE seconds again. Then the server is released and
#      must receive all three messages, so the scene really happened.
#   4. The idle window is measured once more; its idle cost is the mean of
#      both idle measurements, which evens out a change in the machine's
#      load during the run.
#
# CPU is utime + stime of the window's process from /proc/PID/stat, over
# the wall-clock time of each measurement, in % of one core. Peak RSS is
# the process's VmHWM at the end.
#
# The window runs under .ci/with-session (Xvfb), under which this script
# re-runs itself when DISPLAY is unset, but renders with Mesa's llvmpipe, the
# software renderer a machine without a GPU driver uses, rather than the
# session's softpipe (as ui/bench/startup.sh does). The idle window is not
# free: Compose focuses its To field and Fyne fades that field's cursor in
# and out, redrawing the window for each step. Under softpipe, a reference
# rasteriser several times slower, that costs about 50% of a core, and how
# much of it the window gets depends on the machine's load, so the idle
# figure alone moves by ±10% between runs on a shared machine and drowns a
# 5% target; under llvmpipe it costs about 15% and moves by a few %.
# BENCH_GALLIUM_DRIVER=softpipe measures under softpipe anyway.
#
# Usage: mail/outbox/bench/stall.sh [POSTIE_BINARY]   (make bench-stall)
# Without POSTIE_BINARY it builds Postie from this tree (pass an older build
# to measure it). Environment: MEASURE (default 20) seconds per measurement,
# BENCH_GALLIUM_DRIVER (default llvmpipe).
# Needs Go, /proc (Linux), xwininfo (x11-utils) and what .ci/with-session
# needs. Exits 1 when the target is missed or the scene did not happen.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
if [ -z "${DISPLAY:-}" ]; then
	exec "$repo/.ci/with-session" "$repo/mail/outbox/bench/stall.sh" "$@"
fi

measure="${MEASURE:-20}"
export GALLIUM_DRIVER="${BENCH_GALLIUM_DRIVER:-llvmpipe}"
target=5 # % of one core beyond the idle cost

work="$(mktemp -d /tmp/postie-stall.XXXXXX)"
server_pid=""
window_pid=""
cleanup() {
	for pid in "$window_pid" "$server_pid"; do
		if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bin" "$work/cwd"
if [ -n "${1:-}" ]; then
	postie="$(realpath "$1")"
	echo "Building stallserver…"
else
	postie="$work/bin/postie"
	echo "Building stallserver and postie…"
	(cd "$repo" && go build -o "$postie" .)
fi
(cd "$repo" && go build -o "$work/bin/" ./mail/outbox/bench/stallserver)

# await FILE PATTERN SECONDS WHAT: waits until a line of FILE matches.
await() {
	local deadline=$((SECONDS + $3))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "bench: $4 did not happen within $3 s" >&2
			exit 1
		fi
		sleep 0.1 # polling a log written by another process
	done
}

"$work/bin/stallserver" >"$work/server.log" 2>&1 &
server_pid=$!
await "$work/server.log" '^listening ' 10 "the stalling server's start"
port="$(sed -n 's/^listening //p' "$work/server.log")"

export POSTIE_DATA_DIR="$work/data"
"$postie" accounts add --name stall --email sender@example.org --display-name "Stall Sender" \
	--host 127.0.0.1 --port "$port" --security none --no-test >/dev/null

# The window starts in an empty folder, as an installed Postie would: a
# development build that finds FyneApp.toml in its working folder loads the
# icon from it (see ui/bench/startup.sh).
mkdir -p "$HOME/.cache" "$HOME/.config"
(cd "$work/cwd" && exec "$postie" >"$work/window.log" 2>&1) &
window_pid=$!
deadline=$((SECONDS + 60))
until xwininfo -root -tree 2>/dev/null | grep -q '"Postie"'; do
	if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$window_pid" 2>/dev/null; then
		echo "bench: Postie's window did not appear:" >&2
		tail -n 20 "$work/window.log" >&2
		exit 1
	fi
	sleep 0.1 # polling the X server for the window
done
sleep 5 # let the first frames (slow under softpipe) and start-up work end

ticks_per_second="$(getconf CLK_TCK)"
# cpu_ticks: utime + stime of the window; the fields after the command
# name, which ends with ")", start with the state (field 3 of stat(5)).
cpu_ticks() { sed 's/.*) //' "/proc/$window_pid/stat" | awk '{print $12 + $13}'; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# measure_cpu: % of one core the window used over the next $measure s.
measure_cpu() {
	local t0 c0 t1 c1
	t0="$(uptime_s)"
	c0="$(cpu_ticks)"
	sleep "$measure" # the measurement window itself
	t1="$(uptime_s)"
	c1="$(cpu_ticks)"
	awk -v c="$((c1 - c0))" -v hz="$ticks_per_second" -v t0="$t0" -v t1="$t1" \
		'BEGIN {printf "%.1f", 100 * c / hz / (t1 - t0)}'
}

echo "Measuring the idle window for $measure s…"
idle="$(measure_cpu)"

printf 'A message for the stalled-send benchmark.\n' >"$work/body.txt"
for i in 1 2 3; do
	"$postie" send --queue --to "rcpt$i@example.net" --subject "Stalled send $i" --body-file "$work/body.txt" >/dev/null
done
echo "Queued three messages; waiting for the window's worker to send the first (up to 30 s)…"
await "$work/server.log" '^stalled$' 60 "the first send"

echo "Measuring the window during the stalled send for $measure s…"
stalled="$(measure_cpu)"
if grep -q '^received ' "$work/server.log"; then
	echo "bench: the server replied before the measurement ended" >&2
	exit 1
fi
kill -USR1 "$server_pid"
await "$work/server.log" '^received 3$' 60 "the delivery of all three messages"
sleep 3 # let the window show the three messages as sent

echo "Measuring the idle window again for $measure s…"
idle_after="$(measure_cpu)"
rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$window_pid/status")"

idle_before="$idle"
idle="$(awk -v a="$idle_before" -v b="$idle_after" 'BEGIN {printf "%.1f", (a + b) / 2}')"
beyond="$(awk -v s="$stalled" -v i="$idle" 'BEGIN {printf "%.1f", s - i}')"
echo
echo "Postie's window, $measure s each, $GALLIUM_DRIVER:"
printf '  %-40s %6s%% of one core (before %s, after %s)\n' "idle" "$idle" "$idle_before" "$idle_after"
printf '  %-40s %6s%% of one core (%s beyond idle)\n' "stalled send, three messages queued" "$stalled" "$beyond"
printf '  %-40s %6d MiB\n' "peak RSS" "$((rss_kb / 1024))"
if awk -v b="$beyond" -v t="$target" 'BEGIN {exit !(b < t)}'; then
	echo "PASS  a stalled send costs under $target% of one core beyond idle"
else
	echo "FAIL  a stalled send costs $beyond% of one core beyond idle (target under $target%)"
	exit 1
fi

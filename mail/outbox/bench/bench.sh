#!/usr/bin/env bash
# Measures Postie's sending against msmtp's, both talking to Postfix's
# smtp-sink on loopback (make bench), and checks the targets:
#
#   1. flushing 1,000 queued small messages (`postie outbox flush`, one
#      connection) against 1,000 msmtp invocations: Postie ≥ 10× faster;
#   2. `postie send` of one small message as a whole process against msmtp
#      sending the same message (hyperfine): Postie's median ≤ msmtp's;
#   3. `postie send` with a 25 MiB attachment: peak RSS ≤ 64 MiB
#      (/usr/bin/time -v).
#
# Usage: mail/outbox/bench/bench.sh [POSTIE_BINARY]   (default: ./postie)
# BENCH_SKIP_FLUSH=1 skips the first, slow part (about 80 s).
# Needs msmtp, smtp-sink (postfix), hyperfine, GNU time and python3;
# `make bench` installs them. Exits 1 when a target is missed.
set -euo pipefail

postie="$(realpath "${1:-./postie}")"
for tool in msmtp smtp-sink hyperfine /usr/bin/time python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make bench installs it)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/postie-bench.XXXXXX)"
sink_pid=""
cleanup() {
	if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
sink_user="$(id -un)"
[ "$(id -u)" -eq 0 ] && sink_user=nobody # smtp-sink drops root privileges
smtp-sink -u "$sink_user" -c "127.0.0.1:$port" 1000 >"$work/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.05 # waiting for a server we just started to listen
done

export POSTIE_DATA_DIR="$work/data"
"$postie" accounts add --name bench --email sender@example.org --display-name "Bench Sender" \
	--host 127.0.0.1 --port "$port" --security none --no-test >/dev/null

printf 'A small message for the benchmark.\nSecond line.\n' >"$work/body.txt"
printf 'From: Bench Sender <sender@example.org>\r\nTo: rcpt@example.net\r\nSubject: Benchmark\r\nMessage-ID: <bench@example.org>\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\n\r\nA small message for the benchmark.\r\nSecond line.\r\n' >"$work/msg.eml"
msmtp_cmd=(msmtp --host=127.0.0.1 --port="$port" --domain=localhost --from=sender@example.org rcpt@example.net)
send_cmd=("$postie" send --to rcpt@example.net --subject Benchmark --body-file "$work/body.txt")

now() { python3 -c 'import time; print(time.monotonic())'; }
failed=0
check() { # check NAME OK_EXPRESSION DETAIL
	if python3 -c "import sys; sys.exit(0 if ($2) else 1)"; then
		echo "PASS  $1: $3"
	else
		echo "FAIL  $1: $3"
		failed=1
	fi
}

bench_flush() {
	echo "Queueing 1,000 messages…"
	for i in $(seq 1000); do
		"${send_cmd[@]}" --queue >/dev/null
	done
	t0="$(now)"
	"$postie" outbox flush
	t1="$(now)"
	flush="$(python3 -c "print(f'{$t1 - $t0:.3f}')")"

	echo "Sending 1,000 messages with msmtp…"
	t0="$(now)"
	for i in $(seq 1000); do
		"${msmtp_cmd[@]}" <"$work/msg.eml"
	done
	t1="$(now)"
	loop="$(python3 -c "print(f'{$t1 - $t0:.3f}')")"
	check "flush 1,000" "$loop / $flush >= 10" "postie ${flush}s, msmtp loop ${loop}s, $(python3 -c "print(f'{$loop / $flush:.1f}')")× faster (target ≥ 10×)"
}
[ -n "${BENCH_SKIP_FLUSH:-}" ] || bench_flush

# hyperfine runs both through the shell, so the redirection costs each the same.
hyperfine --warmup 3 --runs 40 --export-json "$work/send.json" \
	-n postie "${send_cmd[*]}" -n msmtp "${msmtp_cmd[*]} <$work/msg.eml" >"$work/hyperfine.txt"
read -r postie_median msmtp_median < <(python3 -c "
import json
r = {x['command']: x['median'] for x in json.load(open('$work/send.json'))['results']}
print(f\"{r['postie']*1000:.1f} {r['msmtp']*1000:.1f}\")")
check "postie send, median" "$postie_median <= $msmtp_median" "postie ${postie_median} ms, msmtp ${msmtp_median} ms"

head -c $((25 * 1024 * 1024)) /dev/urandom >"$work/big.bin"
/usr/bin/time -v "${send_cmd[@]}" --attach "$work/big.bin" >/dev/null 2>"$work/time.txt"
rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")"
check "postie send 25 MiB, peak RSS" "$rss <= 64 * 1024" "$((rss / 1024)) MiB (target ≤ 64 MiB)"

exit "$failed"

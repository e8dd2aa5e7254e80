#!/usr/bin/env bash
# Sent-copy benchmark (make bench-sent-copy): what a person feels when Postie
# sends a 25 MiB attachment and files the copy in the mailbox's Sent folder
# over IMAP (issue 14), measured as the whole `postie` process.
#
# The account sends through Postfix's smtp-sink on loopback (as bench.sh's
# part 3) and files its copies, with --sent-copy always, in a private
# Dovecot (mail/outbox/bench/dovecotserver: the tests' configuration, CA
# and passwd-file user, the folder marked \Sent named "Gesendet"), over
# implicit TLS, trusting the test CA with --ca-file, which the IMAP server's
# certificate is checked against too. The IMAP password is in the session's
# keyring, as a user's would be.
#
#   1. `postie send --attach` of 25 MiB of random bytes (a message of about
#      34 MiB once base64-encoded), RUNS times (3): for each, the wall time,
#      the CPU share (user + system over wall, in % of one core) and the
#      peak RSS of the process (/usr/bin/time -v), and the check that the
#      copy was filed (`postie log --json`: sent_copy "filed" in
#      "Gesendet") exactly once (one more message in Dovecot's Maildir
#      folder).
#   2. The copy alone: one more send while the IMAP server refuses the
#      connection leaves its copy pending; with the server back,
#      `postie log retry-copy ID` files it in a process of its own, through
#      the same code as `postie outbox flush` (FlushCopies), and is
#      measured in the same way.
#
# Peak RSS must stay at or under 64 MiB in every run. The data folder is
# changed behind Postie's back only for part 2, to point the account at a
# closed port and back (the root package's TestKilledBetweenAcceptanceAnd-
# CopyFilesItOnceAfterRestart does the same): no command edits an account.
#
# The keyring comes from .ci/with-session (a private D-Bus session and
# gnome-keyring), under which the script re-runs itself, so that the
# benchmark's password never lands in the user's own keyring.
#
# Usage: mail/outbox/bench/sentcopy.sh [POSTIE_BINARY]   (make bench-sent-copy)
# Without POSTIE_BINARY it builds Postie from this tree. RUNS=N sets the
# number of sends in part 1. Needs Go, dovecot (dovecot-imapd), smtp-sink
# (postfix), GNU time, python3 and what .ci/with-session needs. Exits 1 when
# a target is missed or a copy was not filed exactly once.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
if [ -z "${POSTIE_BENCH_SESSION:-}" ]; then
	POSTIE_BENCH_SESSION=1 exec "$repo/.ci/with-session" "$repo/mail/outbox/bench/sentcopy.sh" "$@"
fi
for tool in dovecot smtp-sink /usr/bin/time python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make bench-sent-copy installs it)" >&2; exit 1; }
done

runs="${RUNS:-3}"
limit_kib=$((64 * 1024))
imap_password="sent-copy bench password"

work="$(mktemp -d /tmp/postie-sentcopy.XXXXXX)"
sink_pid=""
imap_pid=""
cleanup() {
	for pid in "$sink_pid" "$imap_pid"; do
		if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bin"
if [ -n "${1:-}" ]; then
	postie="$(realpath "$1")"
	echo "Building dovecotserver…"
else
	postie="$work/bin/postie"
	echo "Building dovecotserver and postie…"
	(cd "$repo" && go build -o "$postie" .)
fi
(cd "$repo" && go build -o "$work/bin/" ./mail/outbox/bench/dovecotserver)

# await FILE PATTERN SECONDS WHAT: waits until a line of FILE matches.
await() {
	local deadline=$((SECONDS + $3))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "bench: $4 did not happen within $3 s:" >&2
			cat "$1" >&2
			exit 1
		fi
		sleep 0.1 # polling a log written by another process
	done
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

smtp_port="$(free_port)"
sink_user="$(id -un)"
[ "$(id -u)" -eq 0 ] && sink_user=nobody # smtp-sink drops root privileges
smtp-sink -u "$sink_user" -c "127.0.0.1:$smtp_port" 100 >"$work/sink.log" 2>&1 &
sink_pid=$!

"$work/bin/dovecotserver" -password "$imap_password" >"$work/imap.log" 2>&1 &
imap_pid=$!
await "$work/imap.log" '^ready$' 30 "Dovecot's start"
fact() { sed -n "s/^$1 //p" "$work/imap.log"; }
read -r imap_host imap_port < <(fact imaps)
ca_file="$(fact ca)"
imap_user="$(fact user)"
sent_dir="$(fact sent)"

for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
	sleep 0.05 # waiting for a server we just started to listen
done

export POSTIE_DATA_DIR="$work/data"
printf '%s\n' "$imap_password" | "$postie" accounts add --name bench --email sender@example.org \
	--display-name "Bench Sender" --host 127.0.0.1 --port "$smtp_port" --security none \
	--imap-host "$imap_host" --imap-port "$imap_port" --imap-security tls --imap-user "$imap_user" \
	--imap-password-stdin --ca-file "$ca_file" --sent-copy always >/dev/null

printf 'The photos from Sunday.\n' >"$work/body.txt"
head -c $((25 * 1024 * 1024)) /dev/urandom >"$work/photos.bin"
send_cmd=("$postie" send --to rcpt@example.net --subject "Sent-copy benchmark" --body-file "$work/body.txt" --attach "$work/photos.bin")

failed=0
fail() { echo "FAIL  $*"; failed=1; }

# sent_files: the messages in Dovecot's Sent folder (Maildir: one file
# each), as "MTIME SIZE" lines; none before Dovecot made the folder.
sent_files() { find "$sent_dir/cur" "$sent_dir/new" -type f -printf '%T@ %s\n' 2>/dev/null || true; }
copies() { sent_files | wc -l; }

# entry ID FIELD: a field of message ID in `postie log --json`.
entry() {
	"$postie" log --json | python3 -c "
import json, sys
e = [e for e in json.load(sys.stdin) if e['id'] == $1]
print(e[0]['$2'] if e else '(no message $1)')"
}

# measured NAME CMD...: runs CMD under /usr/bin/time -v, prints its wall
# time, CPU share and peak RSS, and fails above the RSS limit. CMD's
# standard output is left in $work/out.txt.
measured() {
	local name="$1"
	shift
	if ! /usr/bin/time -v "$@" >"$work/out.txt" 2>"$work/time.txt"; then
		fail "$name: the command failed:"
		cat "$work/out.txt" "$work/time.txt"
		return 1
	fi
	python3 - "$name" "$limit_kib" "$work/time.txt" <<-'PY' || failed=1
		import re, sys
		name, limit, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
		t = dict(l.strip().split(": ", 1) for l in open(path) if ": " in l)
		wall = 0.0
		for part in t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
		    wall = wall * 60 + float(part)
		cpu = float(t["User time (seconds)"]) + float(t["System time (seconds)"])
		rss = int(t["Maximum resident set size (kbytes)"])
		verdict = "PASS" if rss <= limit else "FAIL"
		print(f"{verdict}  {name}: wall {wall:.2f} s, CPU {100 * cpu / wall:.0f}% of a core "
		      f"({cpu:.2f} s), peak RSS {rss / 1024:.1f} MiB (target ≤ {limit // 1024} MiB)")
		sys.exit(0 if rss <= limit else 1)
	PY
}

# check_filed ID COPIES: message ID's copy is filed in Gesendet, the folder
# holds COPIES messages, and the newest holds the whole attachment (25 MiB
# in base64 is about 33.3 MiB).
check_filed() {
	local state folder n size
	state="$(entry "$1" sent_copy)"
	folder="$(entry "$1" sent_folder)"
	n="$(copies)"
	size="$(sent_files | sort -n | tail -n 1 | cut -d' ' -f2)"
	if [ "$state" != filed ] || [ "$folder" != Gesendet ] || [ "$n" -ne "$2" ] || [ "${size:-0}" -lt $((25 * 1024 * 1024 * 4 / 3)) ]; then
		fail "message $1: copy $state in \"$folder\", $n messages in the Sent folder, the newest ${size:-0} bytes (want filed in Gesendet, $2, ≥ 33.3 MiB)"
	else
		echo "      message $1: copy filed once in Gesendet ($n in the folder, the newest $((size / 1024)) KiB)"
	fi
}

message_id() { sed -n 's/^Sent (message \([0-9]*\)).*/\1/p' "$work/out.txt"; }

echo "Part 1: postie send, 25 MiB attachment, copy filed in Sent (Dovecot)"
for run in $(seq "$runs"); do
	measured "send + copy, run $run" "${send_cmd[@]}" || continue
	check_filed "$(message_id)" "$run"
done

echo "Part 2: the pending copy alone (postie log retry-copy)"
db="$POSTIE_DATA_DIR/postie.db"
set_imap_port() { python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('UPDATE accounts SET imap_port = ?', (int(sys.argv[2]),))
db.commit()" "$db" "$1"; }
set_imap_port "$(free_port)" # nothing listens there: the connection is refused
"${send_cmd[@]}" >"$work/out.txt" 2>&1 || true
id="$(message_id)"
before="$(copies)"
if [ -z "$id" ] || [ "$(entry "$id" sent_copy)" != pending ]; then
	fail "the send with the IMAP server away did not leave a pending copy:"
	cat "$work/out.txt"
else
	set_imap_port "$imap_port"
	measured "retry-copy of the pending copy" "$postie" log retry-copy "$id" && check_filed "$id" $((before + 1))
fi

exit "$failed"

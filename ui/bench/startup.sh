#!/usr/bin/env bash
# Start-up benchmark (make bench-startup): the time from process start to the first
# frame of Postie's main window, with 100,000 messages in the sent log, must
# be at most 1.5× that of an empty Fyne window, measured side by side.
#
# What is measured. ui/bench/firstframe starts the program and polls the X
# server every 5 ms, the same for both programs, until the program's window
# (found by its _NET_WM_PID) is viewable and completely drawn. GLFW creates
# windows without a background, so the server never paints them: until the
# program's first buffer swap arrives, its window still shows the root window
# beneath, which firstframe paints pure magenta, a colour no Fyne theme uses.
# The first frame is the first poll in which none of the pixels on 16 rows
# spread over the window is magenta; Mesa's software renderer sends a frame
# as one PutImage request, so a poll sees all of a frame or none of it. For
# Postie that first frame is the window with its "Opening Postie…"
# placeholder; the time until the views (the tabs, Compose) replace it is
# reported too, as "views", but only the first frame is held to the target.
# Each run closes the window as a window manager would (WM_DELETE_WINDOW)
# and waits for the program to exit, so each start finds the data as a
# person's next start would.
#
# Rendering is Mesa's llvmpipe, the software renderer a machine without a
# GPU driver uses, although .ci/with-session selects softpipe (for Fyne's
# Capture): softpipe is a reference rasteriser several times slower, and
# under it drawing Postie's views alone takes most of a second, which
# measures Mesa rather than start-up. BENCH_GALLIUM_DRIVER=softpipe measures
# with it anyway.
#
# Runs alternate, A B B A, so that drift in the machine's load falls on
# both; one warm-up run of each is not counted. Both programs are plain
# `go build` builds started from an empty working folder (a development
# build that finds FyneApp.toml in its working folder loads and rescales the
# icon from it, which a packaged build never does).
#
# Usage: ui/bench/startup.sh   (make bench-startup)
# Environment: RUNS (default 20) runs of each, SENT (default 100000) sent
# messages (with their .eml files, about 470 MB in /tmp while it runs),
# BENCH_GALLIUM_DRIVER (default llvmpipe), SHOTS=DIR keeps screenshots of
# Postie's first frame and views.
# Needs Go, gcc and the X11 headers, Xvfb and the rest of .ci/with-session,
# under which it re-runs itself when DISPLAY is unset. Exits 1 when the
# median ratio exceeds 1.5.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ -z "${DISPLAY:-}" ]; then
	exec "$repo/.ci/with-session" "$repo/ui/bench/startup.sh" "$@"
fi

runs="${RUNS:-20}"
sent="${SENT:-100000}"
target=1.5

work="$(mktemp -d /tmp/postie-startup.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/cwd"
log="$work/programs.log"

echo "Building postie, emptywindow, firstframe and seed…"
(cd "$repo" && go build -o "$work/bin/postie" . &&
	go build -o "$work/bin/" ./ui/bench/emptywindow ./ui/bench/firstframe ./ui/bench/seed)

echo "Seeding a data folder with one account and $sent sent messages…"
"$work/bin/seed" -n "$sent" "$work/data"
export POSTIE_DATA_DIR="$work/data"

export GALLIUM_DRIVER="${BENCH_GALLIUM_DRIVER:-llvmpipe}"

# A person's home has these; Fyne creates its cache folders inside them
# and only complains when they are missing.
mkdir -p "$HOME/.cache" "$HOME/.config"

# measure NAME: one run; appends "first [views]" in ms to $work/NAME.
measure() {
	local out
	case "$1" in
	empty) out="$(cd "$work/cwd" && "$work/bin/firstframe" -- "$work/bin/emptywindow" 2>>"$log")" ;;
	postie) out="$(cd "$work/cwd" && "$work/bin/firstframe" -change ${SHOTS:+-shots "$SHOTS"} -- "$work/bin/postie" 2>>"$log")" ;;
	esac || { echo "The $1 run failed:" >&2; tail -n 20 "$log" >&2; exit 1; }
	local first views
	first="$(sed -n 's/.*first_ms=\([0-9.]*\).*/\1/p' <<<"$out")"
	views="$(sed -n 's/.*change_ms=\([0-9.]*\).*/\1/p' <<<"$out")"
	echo "$first${views:+ $views}" >>"$work/$1"
}

echo "Warming up…"
measure empty
measure postie
: >"$work/empty"
: >"$work/postie"

echo "Measuring $runs runs of each, alternating…"
for i in $(seq "$runs"); do
	if [ $((i % 2)) -eq 1 ]; then
		measure empty
		measure postie
	else
		measure postie
		measure empty
	fi
	printf '  run %2d: empty %7.1f ms   postie first frame %7.1f ms, views %7.1f ms\n' "$i" \
		"$(tail -n 1 "$work/empty")" $(tail -n 1 "$work/postie")
done

# stats FILE COLUMN: "median p90" (nearest rank) of a column, in ms.
stats() {
	cut -d' ' -f"$2" "$1" | sort -n | awk '{v[NR] = $1}
		END {
			median = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			p90 = int(0.9 * NR); if (p90 < 0.9 * NR) p90++
			printf "%.1f %.1f", median, v[p90]
		}'
}

read -r empty_med empty_p90 <<<"$(stats "$work/empty" 1)"
read -r first_med first_p90 <<<"$(stats "$work/postie" 1)"
read -r views_med views_p90 <<<"$(stats "$work/postie" 2)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo
echo "Start-up, $runs runs each, $sent sent messages, $GALLIUM_DRIVER, polled every 5 ms:"
printf '  %-34s median %7.1f ms   p90 %7.1f ms\n' "empty Fyne window, first frame" "$empty_med" "$empty_p90"
printf '  %-34s median %7.1f ms   p90 %7.1f ms   ratio %s (median), %s (p90)\n' "Postie, first frame" \
	"$first_med" "$first_p90" "$(ratio "$first_med" "$empty_med")" "$(ratio "$first_p90" "$empty_p90")"
printf '  %-34s median %7.1f ms   p90 %7.1f ms   ratio %s (median), %s (p90)\n' "Postie, views shown" \
	"$views_med" "$views_p90" "$(ratio "$views_med" "$empty_med")" "$(ratio "$views_p90" "$empty_p90")"

if awk -v a="$first_med" -v b="$empty_med" -v t="$target" 'BEGIN {exit !(a / b <= t)}'; then
	echo "PASS  first frame within ${target}× of an empty window"
else
	echo "FAIL  first frame takes more than ${target}× as long as an empty window's"
	exit 1
fi

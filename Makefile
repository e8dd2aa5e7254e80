# Postie's build. `make run`, `make check` and `make test` are the commands
# README promises; they install what they need on Debian/Ubuntu and say what
# to install elsewhere.

SHELL := /bin/bash
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
export CGO_ENABLED := 1

MAILPIT_VERSION := v1.33.1
# staticcheck 2026.2.2 (v0.8.2); it understands Go 1.26.
STATICCHECK_VERSION := v0.8.2

# What Fyne's GLFW driver needs to compile and open a window (X11, Wayland, GL).
BUILD_PACKAGES := gcc pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev wayland-protocols
# What the test suite runs against: a real X server, a real Secret Service,
# python3's email package as an independent MIME parser, Dovecot as the IMAP
# server the copies in Sent are filed with, and X tools for
# inspecting windows.
TEST_PACKAGES := xvfb xauth x11-utils dbus dbus-x11 gnome-keyring python3 dovecot-imapd
# What the fast tier (make check) runs: python3's email package, the
# dbus-daemon behind the keyring's stand-in Secret Service, and rsvg-convert
# for the icon test.
CHECK_PACKAGES := python3 dbus librsvg2-bin

.PHONY: run build check test build-deps test-deps mailpit staticcheck lint

# The OAuth client registrations this build signs in with (README, "Signing
# in with Google, Microsoft, Yahoo and AOL"). They are not secrets, but they
# are the distributor's: nothing is built in unless given, as in
#   make package GOOGLE_CLIENT_ID=… GOOGLE_CLIENT_SECRET=… MICROSOFT_CLIENT_ID=…
# Each one given becomes an -X of the oauth package; a provider without one
# says that this copy of Postie cannot sign in with it.
GOOGLE_CLIENT_ID ?=
GOOGLE_CLIENT_SECRET ?=
MICROSOFT_CLIENT_ID ?=
YAHOO_CLIENT_ID ?=
YAHOO_CLIENT_SECRET ?=
AOL_CLIENT_ID ?=
AOL_CLIENT_SECRET ?=
OAUTH_PACKAGE := github.com/postie-app/postie/accounts/oauth
# package variable = Makefile variable
OAUTH_CLIENTS := googleClientID=GOOGLE_CLIENT_ID googleClientSecret=GOOGLE_CLIENT_SECRET \
	microsoftClientID=MICROSOFT_CLIENT_ID yahooClientID=YAHOO_CLIENT_ID yahooClientSecret=YAHOO_CLIENT_SECRET \
	aolClientID=AOL_CLIENT_ID aolClientSecret=AOL_CLIENT_SECRET
# -X=package.variable=value for each one given (none holds a space).
oauth-var = $(word 1,$(subst =, ,$(1)))
oauth-make = $(word 2,$(subst =, ,$(1)))
OAUTH_LDFLAGS := $(strip $(foreach pair,$(OAUTH_CLIENTS),\
	$(if $($(call oauth-make,$(pair))),-X=$(OAUTH_PACKAGE).$(call oauth-var,$(pair))=$($(call oauth-make,$(pair))))))
# fyne package takes linker flags only from GOFLAGS, one -ldflags= each.
OAUTH_GOFLAGS := $(strip $(GOFLAGS) $(addprefix -ldflags=,$(OAUTH_LDFLAGS)))
# Recipes take both from the environment ("$$OAUTH_LDFLAGS"), never written
# into the command: make then echoes no value, and a value with a quote in
# it cannot break the shell's quoting.
export OAUTH_LDFLAGS OAUTH_GOFLAGS

run: build
	./postie

build: build-deps
	$(GO) build -ldflags "$$OAUTH_LDFLAGS" -o postie .

build-deps:
	@.ci/install-packages $(BUILD_PACKAGES)

test-deps: build-deps
	@.ci/install-packages $(TEST_PACKAGES)

mailpit:
	@# `go version -m` reads the version without running mailpit, whose own
	@# version command phones home.
	@if [ "$$($(GO) version -m $(GOBIN)/mailpit 2>/dev/null | awk '$$1=="mod"{print $$3}')" != "$(MAILPIT_VERSION)" ]; then \
		echo "Installing mailpit $(MAILPIT_VERSION)"; \
		$(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION); \
	fi

staticcheck:
	@if [ "$$($(GO) version -m $(GOBIN)/staticcheck 2>/dev/null | awk '$$1=="mod"{print $$3}')" != "$(STATICCHECK_VERSION)" ]; then \
		echo "Installing staticcheck $(STATICCHECK_VERSION)"; \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

lint: staticcheck
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...

# The fast tier: lint and the unit tests that need no X display, keyring,
# mailpit or package build. Under -short the tests that do need one skip
# themselves through internal/testpeer (RequireSession, RequireProgram,
# StartMailpit, Slow); make test runs them all. The test cache stays on: a
# test that passes under -short talks only to peers inside the test binary,
# so a cached pass is still a pass.
check: build-deps lint
	@.ci/install-packages $(CHECK_PACKAGES)
	$(GO) test -short ./...

test: test-deps mailpit lint
	@# -count=1: the suite talks to outside peers (mailpit, the keyring, X),
	@# which the test cache cannot see, so a cached pass proves nothing.
	.ci/with-session $(GO) test -race -count=1 -timeout 45m ./...

# --- Packaging ---
# make package          $(PACKAGE_DIR)/Postie.tar.xz for Linux; unpacked, its
#                       `make install` or `make user-install` installs Postie
# make package-windows  $(PACKAGE_DIR)/Postie.exe, cross-built with mingw-w64
# make package-darwin   $(PACKAGE_DIR)/Postie.app, on a Mac only (README, "Building
#                       the app on a Mac")
#
# fyne package runs in a copy of the source tree, $(PACKAGE_DIR)/stage-OS: it
# writes generated files next to main.go and bumps Build in FyneApp.toml, and
# neither may touch the working tree, where the test suite packages Postie
# while it compiles other tests. Each package is remade only when a file it
# is made from changed.

FYNE_TOOLS_VERSION := v1.7.4
PACKAGE_DIR ?= dist
WINDOWS_CC := x86_64-w64-mingw32-gcc
# What the packaging tests run: the tools that validate desktop entries and
# AppStream metadata, the Windows cross-compiler, xz for the Linux archive,
# rsvg-convert to check that the committed icon.png matches icon.svg, and
# the openers of the desktops (xdg-utils' xdg-open and xdg-mime, GLib's gio)
# that must start the installed Postie for a mailto: link and, as GNOME
# does, launch the autostart entry.
PACKAGING_TEST_PACKAGES := desktop-file-utils appstream gcc-mingw-w64-x86-64 xz-utils librsvg2-bin \
	xdg-utils libglib2.0-bin
PACKAGE_INPUTS := go.mod go.sum FyneApp.toml $(shell find . \( -path ./.git -o -path ./dist -o -path './$(PACKAGE_DIR)' \) -prune \
	-o -type f \( -name '*.go' -o -path './resources/*' \) ! -name '*_test.go' -print)

.PHONY: package package-windows package-darwin fyne-tool packaging-test-deps

package: $(PACKAGE_DIR)/Postie.tar.xz
package-windows: $(PACKAGE_DIR)/Postie.exe

test-deps: packaging-test-deps
packaging-test-deps: fyne-tool
	@.ci/install-packages $(PACKAGING_TEST_PACKAGES)

fyne-tool:
	@if [ "$$($(GO) version -m $(GOBIN)/fyne 2>/dev/null | awk '$$1=="mod"{print $$3}')" != "$(FYNE_TOOLS_VERSION)" ]; then \
		echo "Installing fyne $(FYNE_TOOLS_VERSION)"; \
		$(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION); \
	fi

# stage-source copies the source tree to $(1) for fyne package.
define stage-source
	rm -rf $(1) && mkdir -p $(1)
	tar -c --exclude=./.git --exclude=./dist --exclude='./$(PACKAGE_DIR)' --exclude=./postie --exclude=./postie.exe . | tar -x -C $(1)
endef

# A package is remade when the client registrations it embeds change: the
# stamp holds a digest of them (not the values) and is rewritten only then.
OAUTH_STAMP := $(PACKAGE_DIR)/oauth-clients.sha256
.PHONY: oauth-stamp-check
$(OAUTH_STAMP): oauth-stamp-check
	@mkdir -p $(@D)
	@printf '%s' "$$OAUTH_LDFLAGS" | sha256sum > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(PACKAGE_DIR)/Postie.tar.xz: $(PACKAGE_INPUTS) $(OAUTH_STAMP) | build-deps fyne-tool
	@.ci/install-packages xz-utils
	$(call stage-source,$(PACKAGE_DIR)/stage-linux)
	cd $(PACKAGE_DIR)/stage-linux && GOFLAGS="$$OAUTH_GOFLAGS" fyne package -os linux --release
	resources/linux/finish-package $(PACKAGE_DIR)/stage-linux/Postie.tar.xz
	mv $(PACKAGE_DIR)/stage-linux/Postie.tar.xz $@
	rm -rf $(PACKAGE_DIR)/stage-linux

$(PACKAGE_DIR)/Postie.exe: $(PACKAGE_INPUTS) $(OAUTH_STAMP) | fyne-tool
	@.ci/install-packages gcc-mingw-w64-x86-64
	$(call stage-source,$(PACKAGE_DIR)/stage-windows)
	cd $(PACKAGE_DIR)/stage-windows && CC=$(WINDOWS_CC) GOFLAGS="$$OAUTH_GOFLAGS" fyne package -os windows --release
	mv $(PACKAGE_DIR)/stage-windows/Postie.exe $@
	rm -rf $(PACKAGE_DIR)/stage-windows

# On a Mac only: fyne needs Xcode's command line tools there. The merged plist
# declares the mailto: scheme, which fyne cannot. With MACOS_SIGN_IDENTITY set
# to a "Developer ID Application" identity the bundle is signed for
# notarisation; README's "Signing and notarising" has the remaining steps.
package-darwin: | fyne-tool
	@[ "$$(uname -s)" = Darwin ] || { echo "make package-darwin runs on a Mac, with Xcode's command line tools (see README, \"Building the app on a Mac\")" >&2; exit 1; }
	$(call stage-source,$(PACKAGE_DIR)/stage-darwin)
	cd $(PACKAGE_DIR)/stage-darwin && GOFLAGS="$$OAUTH_GOFLAGS" fyne package -os darwin --release
	/usr/libexec/PlistBuddy -c "Merge resources/darwin/mailto-url-scheme.plist" $(PACKAGE_DIR)/stage-darwin/Postie.app/Contents/Info.plist
	rm -rf $(PACKAGE_DIR)/Postie.app && mv $(PACKAGE_DIR)/stage-darwin/Postie.app $(PACKAGE_DIR)/Postie.app
	rm -rf $(PACKAGE_DIR)/stage-darwin
	@if [ -n "$(MACOS_SIGN_IDENTITY)" ]; then \
		echo "Signing Postie.app as $(MACOS_SIGN_IDENTITY)"; \
		codesign --force --options runtime --timestamp --sign "$(MACOS_SIGN_IDENTITY)" $(PACKAGE_DIR)/Postie.app; \
	fi

# --- Benchmarks ---
# make bench  the outbox's Go benchmarks (sent log at 100,000 messages, flush
#             of 1,000), then mail/outbox/bench/bench.sh: flush and `postie send`
#             against msmtp on Postfix's smtp-sink, and peak RSS with 25 MiB.
#             Not part of `make test`.
BENCH_PACKAGES := msmtp postfix hyperfine time python3

.PHONY: bench bench-deps

bench-deps:
	@.ci/install-packages $(BENCH_PACKAGES)

bench: build bench-deps
	$(GO) test -run '^$$' -bench 'SentLog' -benchtime 50x ./mail/outbox/
	$(GO) test -run '^$$' -bench 'Flush' -benchtime 3x ./mail/outbox/
	mail/outbox/bench/bench.sh ./postie

# --- IMAP benchmark ---
# make bench-imap  files a 25 MiB copy of a sent message in a private Dovecot's
#                  Sent folder (mail/imapclient/bench_test.go): throughput
#                  (MB/s), CPU share and peak RSS; fails above 64 MiB peak
#                  RSS (issue 14). Not part of `make test`.
.PHONY: bench-imap

bench-imap:
	@.ci/install-packages dovecot-imapd
	$(GO) test -run '^$$' -bench 'Append25MiBToDovecot' -benchtime 3x ./mail/imapclient/

# --- Sent-copy benchmark ---
# make bench-sent-copy  the real `postie send` of a 25 MiB attachment with the
#                       copy filed in a private Dovecot's Sent folder (SMTP to
#                       Postfix's smtp-sink), three times, then the pending
#                       copy alone (`postie log retry-copy`): wall time, CPU
#                       share and peak RSS of the whole process, and the copy
#                       filed exactly once (mail/outbox/bench/sentcopy.sh);
#                       fails above 64 MiB peak RSS (issue 14). Not part of
#                       `make test`. RUNS=N sets the sends.
# The password is kept in a private keyring: the rest is what
# .ci/with-session needs.
BENCH_SENT_COPY_PACKAGES := dovecot-imapd postfix time python3 xvfb xauth dbus dbus-x11 gnome-keyring

.PHONY: bench-sent-copy

bench-sent-copy: build
	@.ci/install-packages $(BENCH_SENT_COPY_PACKAGES)
	mail/outbox/bench/sentcopy.sh ./postie

# --- Start-up benchmark ---
# make bench-startup  time from process start to the first frame of Postie's
#                     window with 100,000 sent messages, side by side with an
#                     empty Fyne window (ui/bench/startup.sh); fails above
#                     1.5×. Not part of `make test`. RUNS=N sets the runs.
# firstframe reads the window through Xlib (libx11-dev); the rest is what
# .ci/with-session needs.
BENCH_STARTUP_PACKAGES := libx11-dev xvfb xauth dbus dbus-x11 gnome-keyring procps

.PHONY: bench-startup

bench-startup: build-deps
	@.ci/install-packages $(BENCH_STARTUP_PACKAGES)
	.ci/with-session ui/bench/startup.sh

# --- Stalled-send benchmark ---
# make bench-stall  the CPU share of Postie's window while a send hangs on a
#                   server that holds its reply, with three messages queued
#                   for the account, beside the same window's idle share, and
#                   its peak RSS (mail/outbox/bench/stall.sh); fails above 5%
#                   of one core beyond idle. Not part of `make test`.
#                   MEASURE=N sets the seconds of each measurement (20),
#                   BENCH_GALLIUM_DRIVER=softpipe the renderer (llvmpipe).
# xwininfo (x11-utils) tells when the window is up; the rest is what
# .ci/with-session needs.
BENCH_STALL_PACKAGES := xvfb xauth x11-utils dbus dbus-x11 gnome-keyring

.PHONY: bench-stall

bench-stall: build-deps
	@.ci/install-packages $(BENCH_STALL_PACKAGES)
	.ci/with-session mail/outbox/bench/stall.sh

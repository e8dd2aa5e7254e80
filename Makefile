# Postie's build. `make run` and `make test` are the two commands README
# promises; both install what they need on Debian/Ubuntu and say what to
# install elsewhere.

SHELL := /bin/bash
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
export CGO_ENABLED := 1

MAILPIT_VERSION := v1.33.1

# What Fyne's GLFW driver needs to compile and open a window (X11, Wayland, GL).
BUILD_PACKAGES := gcc pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev wayland-protocols
# What the test suite runs against: a real X server, a real Secret Service,
# python3's email package as an independent MIME parser, and X tools for
# inspecting windows.
TEST_PACKAGES := xvfb xauth x11-utils dbus dbus-x11 gnome-keyring python3

.PHONY: run build test build-deps test-deps mailpit lint

run: build
	./postie

build: build-deps
	$(GO) build -o postie .

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

lint:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

test: test-deps mailpit lint
	.ci/with-session $(GO) test -race -timeout 45m ./...

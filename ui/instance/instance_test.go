package instance

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// shortTempDir keeps the socket path under the Unix limit of about 100 bytes,
// which t.TempDir's long names can exceed.
func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestSecondLaunchHandsItsArgumentsToTheFirst(t *testing.T) {
	dir := shortTempDir(t)
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []string, 1)
	go l.Serve(func(args []string) { got <- args })

	want := []string{"mailto:a@example.org?subject=Hi"}
	handed, err := HandOff(context.Background(), dir, want)
	if err != nil || !handed {
		t.Fatalf("HandOff = %v, %v", handed, err)
	}
	if args := <-got; !reflect.DeepEqual(args, want) {
		t.Fatalf("running instance got %q, want %q", args, want)
	}
}

func TestHandOffWithNothingRunning(t *testing.T) {
	handed, err := HandOff(context.Background(), shortTempDir(t), []string{"x"})
	if handed || err != nil {
		t.Fatalf("HandOff with no instance = %v, %v; want false, nil", handed, err)
	}
}

func TestListenRefusesWhileAnotherInstanceRuns(t *testing.T) {
	dir := shortTempDir(t)
	first, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	go first.Serve(func([]string) {})
	if _, err := Listen(dir); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Listen = %v, want ErrRunning", err)
	}
}

func TestListenReplacesAStaleSocket(t *testing.T) {
	dir := shortTempDir(t)
	// A crashed Postie leaves its socket file behind with nobody listening.
	stale, err := net.Listen("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	if _, err := os.Stat(filepath.Join(dir, SocketName)); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	l, err := Listen(dir)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	l.Close()
}

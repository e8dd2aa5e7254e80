// Package instance keeps Postie to one running window per data directory.
// The first process listens on a Unix socket inside the data directory; a
// later launch, typically a mailto: link clicked in a browser, hands its
// arguments over that socket and exits, and the running window opens a new
// message instead of a second copy of the app starting.
//
// The socket lives in the data directory, which only its owner can enter,
// so no other user can hand requests to someone's Postie. A request is only
// ever a list of arguments to parse; it never carries a command to run.
package instance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SocketName is the socket's file name in the data directory.
const SocketName = "postie.sock"

// handOffTimeout bounds how long a second launch waits for the running one.
const handOffTimeout = 5 * time.Second

// request is what a second launch sends: its command-line arguments.
type request struct {
	Args []string `json:"args"`
}

// Listener receives the arguments of later launches.
type Listener struct {
	ln   net.Listener
	path string
	once sync.Once
}

// HandOff passes args to the Postie already running on dataDir. It reports
// false, with no error, when none is running.
func HandOff(ctx context.Context, dataDir string, args []string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, handOffTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(dataDir, SocketName))
	if err != nil {
		return false, nil
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if err := json.NewEncoder(conn).Encode(request{Args: args}); err != nil {
		return false, fmt.Errorf("cannot reach the running Postie: %w", err)
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || reply != "ok\n" {
		return false, fmt.Errorf("the running Postie did not answer (%q, %v)", reply, err)
	}
	return true, nil
}

// Listen claims dataDir for this process. A socket left behind by a Postie
// that crashed is replaced; one that a live Postie answers on is not, and
// Listen then fails with ErrRunning.
func Listen(dataDir string) (*Listener, error) {
	path := filepath.Join(dataDir, SocketName)
	ln, err := net.Listen("unix", path)
	if err != nil {
		if conn, dialErr := net.DialTimeout("unix", path, time.Second); dialErr == nil {
			conn.Close()
			return nil, ErrRunning
		}
		// Nobody answers: the socket is stale.
		if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			return nil, err
		}
		if ln, err = net.Listen("unix", path); err != nil {
			return nil, err
		}
	}
	return &Listener{ln: ln, path: path}, nil
}

// ErrRunning means another Postie already serves this data directory.
var ErrRunning = errors.New("postie is already running with this data folder")

// Serve calls handle with the arguments of each later launch until Close.
// handle runs on Serve's goroutine; it must hand UI work to fyne.Do.
func (l *Listener) Serve(handle func(args []string)) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return
		}
		go l.serveConn(conn, handle)
	}
}

func (l *Listener) serveConn(conn net.Conn, handle func(args []string)) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(handOffTimeout))
	var req request
	// A request is a short argument list; refuse anything larger.
	if err := json.NewDecoder(io.LimitReader(conn, 64<<10)).Decode(&req); err != nil {
		return
	}
	if _, err := conn.Write([]byte("ok\n")); err != nil {
		return
	}
	handle(req.Args)
}

// Close stops listening and removes the socket.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		err = l.ln.Close()
		os.Remove(l.path)
	})
	return err
}

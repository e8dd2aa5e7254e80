package imapclient

import (
	"net"
	"sync"
	"testing"
	"time"
)

// SocketDeadlines records every deadline set on the TCP connections that
// Dial makes while it is installed (RecordSocketDeadlines).
type SocketDeadlines struct {
	mu  sync.Mutex
	set []string
}

// Set returns the deadlines recorded so far, as "write +5m0s" and the like.
func (r *SocketDeadlines) Set() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.set...)
}

func (r *SocketDeadlines) add(kind string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.IsZero() {
		r.set = append(r.set, kind+" cleared")
		return
	}
	r.set = append(r.set, kind+" +"+time.Until(t).Round(time.Second).String())
}

type deadlineRecorder struct {
	net.Conn
	r *SocketDeadlines
}

func (d deadlineRecorder) SetDeadline(t time.Time) error {
	d.r.add("read/write", t)
	return d.Conn.SetDeadline(t)
}

func (d deadlineRecorder) SetReadDeadline(t time.Time) error {
	d.r.add("read", t)
	return d.Conn.SetReadDeadline(t)
}

func (d deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.r.add("write", t)
	return d.Conn.SetWriteDeadline(t)
}

// RecordSocketDeadlines records the deadlines set on the TCP connections
// that Dial makes until the test ends.
func RecordSocketDeadlines(t testing.TB) *SocketDeadlines {
	r := &SocketDeadlines{}
	dialedHook = func(conn net.Conn) net.Conn { return deadlineRecorder{conn, r} }
	t.Cleanup(func() { dialedHook = func(conn net.Conn) net.Conn { return conn } })
	return r
}

// ShortenLogoutTimeout sets the bound of Close's LOGOUT until the test ends.
func ShortenLogoutTimeout(t testing.TB, d time.Duration) {
	old := logoutTimeout
	logoutTimeout = d
	t.Cleanup(func() { logoutTimeout = old })
}

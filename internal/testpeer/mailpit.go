package testpeer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Mailpit is a running mailpit: an SMTP server written by others, which
// Postie's tests use as an independent implementation to submit to. Each
// test starts its own, on free loopback ports with a database of its own.
type Mailpit struct {
	SMTPPort int
	API      string // the base of its HTTP API: http://127.0.0.1:port/api/v1
}

// StartMailpit runs mailpit with args added to its own until the test ends,
// and waits until its API and SMTP port answer. Under -short the test is
// skipped (see RequireProgram).
func StartMailpit(t testing.TB, args ...string) *Mailpit {
	t.Helper()
	bin := RequireProgram(t, "mailpit")
	m := &Mailpit{SMTPPort: FreePort(t)}
	httpPort := FreePort(t)
	m.API = fmt.Sprintf("http://127.0.0.1:%d/api/v1", httpPort)
	var output bytes.Buffer
	cmd := exec.Command(bin, append([]string{
		"--smtp", fmt.Sprintf("127.0.0.1:%d", m.SMTPPort),
		"--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--smtp-disable-rdns", "--disable-version-check", "--quiet"}, args...)...)
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("mailpit output:\n%s", output.String())
		}
	})
	m.waitReady(t, exited)
	return m
}

// waitReady polls the API and the SMTP port until both answer.
func (m *Mailpit) waitReady(t testing.TB, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatal("mailpit exited during start-up")
		default:
		}
		resp, err := http.Get(m.API + "/info")
		if err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", m.SMTPPort)); err == nil && resp.StatusCode == http.StatusOK {
				c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not become ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling a server that has no way to say it is up
	}
}

// Get returns the body of a GET on the API path, such as "/messages".
func (m *Mailpit) Get(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := http.Get(m.API + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return body
}

// Chaos sets the triggers of a mailpit started with --enable-chaos, so it
// refuses the "Sender", the "Recipient" or the "Authentication" with code;
// the others, or all with an empty trigger, are turned off.
func (m *Mailpit) Chaos(t testing.TB, trigger string, code int) {
	t.Helper()
	body := map[string]map[string]int{}
	for _, name := range []string{"Sender", "Recipient", "Authentication"} {
		body[name] = map[string]int{"ErrorCode": 451, "Probability": 0}
		if name == trigger {
			body[name] = map[string]int{"ErrorCode": code, "Probability": 100}
		}
	}
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, m.API+"/chaos", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit chaos API: %s", resp.Status)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// a server that must be told its port rather than report it.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

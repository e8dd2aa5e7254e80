package imapclient

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// The continuation request for a rewritten header waits for the end of
// the server's response under way, literal included, and the header split
// over two writes is rewritten whole.
func TestPlusConnRewritesTheHeaderAndGivesTheContinuationBetweenResponses(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	p := newPlusConn(client)
	defer p.Close()

	begun := "* 1 FETCH (FLAGS (\\Seen) BODY[] {6}\r\nab\r\n"
	rest := "cd)\r\n"
	go server.Write([]byte(begun))
	got := make([]byte, len(begun))
	if _, err := io.ReadFull(p, got); err != nil || string(got) != begun {
		t.Fatalf("read %q, %v", got, err)
	}

	p.armAppend(10)
	sent := make(chan string)
	go func() {
		buf := make([]byte, 64)
		n, _ := io.ReadAtLeast(server, buf, len("T9 APPEND Sent {10+}\r\n"))
		sent <- string(buf[:n])
		server.Write([]byte(rest))
		io.ReadFull(server, buf[:10+2])
		sent <- string(buf[:10+2])
	}()
	// go-imap writes the header in pieces when its buffer fills.
	for _, piece := range []string{"T9 APPEND Sent {1", "0}\r\n"} {
		if n, err := p.Write([]byte(piece)); err != nil || n != len(piece) {
			t.Fatalf("Write(%q) = %d, %v", piece, n, err)
		}
	}
	if got := <-sent; got != "T9 APPEND Sent {10+}\r\n" {
		t.Fatalf("on the wire %q; want the header non-synchronizing", got)
	}
	var read bytes.Buffer
	buf := make([]byte, 3)
	for !bytes.HasSuffix(read.Bytes(), continuation) {
		n, err := p.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		read.Write(buf[:n])
	}
	if want := rest + string(continuation); read.String() != want {
		t.Fatalf("go-imap read %q; want the response ended, then %q", read.String(), continuation)
	}
	// The message, with a header-like line in it, passes untouched.
	if _, err := p.Write([]byte("{10}\r\n{10}\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := <-sent; got != "{10}\r\n{10}\r\n" {
		t.Fatalf("the message went as %q", got)
	}
	p.disarmAppend()
}

func TestResponsesFindTheEndsOfResponses(t *testing.T) {
	stream := "* OK hi\r\n* 1 FETCH (BODY[] {8}\r\na\r\n{3}\r\n)\r\n* 2 FETCH (BODY[] ~{0}\r\n)\r\nT1 OK done\r\n"
	var r responses
	r.atStart = true
	var ends []string
	for rest := []byte(stream); len(rest) > 0; {
		n := r.advance(rest, true)
		if !r.atStart {
			t.Fatalf("stopped inside a response after %q", rest[:n])
		}
		ends = append(ends, string(rest[:n]))
		rest = rest[n:]
	}
	want := []string{"* OK hi\r\n", "* 1 FETCH (BODY[] {8}\r\na\r\n{3}\r\n)\r\n", "* 2 FETCH (BODY[] ~{0}\r\n)\r\n", "T1 OK done\r\n"}
	if len(ends) != len(want) {
		t.Fatalf("responses %q; want %q", ends, want)
	}
	for i := range want {
		if ends[i] != want[i] {
			t.Fatalf("responses %q; want %q", ends, want)
		}
	}
}

// Close ends a Read that waits for the pump, even where the pump has
// already stopped (it stops without a word when Close finds it between two
// reads): go-imap's Close waits for its reader.
func TestPlusConnCloseEndsAWaitingRead(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	p := unpumpedPlusConn(client)
	ended := make(chan error)
	go func() { _, err := p.Read(make([]byte, 64)); ended <- err }()
	p.Close()
	if err := <-ended; err == nil {
		t.Fatal("Read after Close returned no error")
	}
}

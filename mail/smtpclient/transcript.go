package smtpclient

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Directions of a TranscriptLine.
const (
	FromClient = "C" // a line Postie sent
	FromServer = "S" // a line the server sent
	Note       = "*" // what Postie did or learned, e.g. the TLS version
)

// Redacted replaces secrets in transcripts and errors.
const Redacted = "[redacted]"

// TranscriptLine is one line of the SMTP dialogue, without its CRLF.
type TranscriptLine struct {
	Time time.Time
	Dir  string // FromClient, FromServer or Note
	Text string
}

func (l TranscriptLine) String() string {
	return l.Time.Format("15:04:05.000") + " " + l.Dir + ": " + l.Text
}

// transcript records one session's dialogue. Every line passes through
// scrub, a second line of defence behind the redaction of AUTH payloads: a
// server that echoes the secret back still cannot put it in the log.
type transcript struct {
	lines   []TranscriptLine
	secrets []string
	scrub   *strings.Replacer
}

func newTranscript(secret string) *transcript {
	t := &transcript{}
	t.addSecret(secret)
	return t
}

// addSecret adds a secret learnt during the session, such as an OAuth
// access token asked for just before AUTH, to those scrubbed from every
// later line and error.
func (t *transcript) addSecret(secret string) {
	t.secrets = append(t.secrets, secret)
	var pairs []string
	for _, s := range t.secrets {
		pairs = append(pairs, secretPairs(s)...)
	}
	t.scrub = strings.NewReplacer(pairs...)
}

func (t *transcript) add(dir, text string) {
	t.lines = append(t.lines, TranscriptLine{Time: time.Now(), Dir: dir, Text: t.scrub.Replace(text)})
}

func (t *transcript) notef(format string, args ...any) {
	t.add(Note, fmt.Sprintf(format, args...))
}

// take returns the lines recorded since the last take.
func (t *transcript) take() []TranscriptLine {
	lines := t.lines
	t.lines = nil
	return lines
}

// secretScrubber replaces the secret and every base64 rendering of it. A
// secret inside a larger base64 blob (such as an AUTH PLAIN payload) is
// encoded differently depending on its offset modulo 3, so the stable middle
// part of each of the three encodings is replaced. Very short secrets are
// left to the mode-based redaction, since replacing them would garble
// ordinary text.
func secretScrubber(secret string) *strings.Replacer {
	return strings.NewReplacer(secretPairs(secret)...)
}

// secretPairs are secretScrubber's replacements for one secret.
func secretPairs(secret string) []string {
	var pairs []string
	if len(secret) >= 4 {
		pairs = append(pairs, secret, Redacted)
	}
	for offset := 0; offset < 3; offset++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00", offset) + secret))
		start := 0
		if offset > 0 {
			start = 4 // the first group mixes padding and secret
		}
		end := 4 * ((offset + len(secret)) / 3) // the last group depends on what follows
		if end-start >= 8 {
			pairs = append(pairs, enc[start:end], Redacted)
		}
	}
	return pairs
}

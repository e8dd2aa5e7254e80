package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"

	"github.com/postie-app/postie/resources"
)

// UserAgent is the User-Agent header's value.
var UserAgent = "Postie/" + resources.Version

// Attachment is a file sent with the message: a path on disk, or a stream
// from Open. Name is the file name the recipient sees; ContentType, when
// empty, is detected from the content and the name.
type Attachment struct {
	Name        string
	ContentType string
	Path        string
	Open        func() (io.ReadCloser, error)
}

// Message is what the user wrote. Prepare fixes what must not change
// between measuring and sending it: the date, the Message-ID and the MIME
// boundaries.
type Message struct {
	From                Address
	To, Cc, Bcc         []Address
	ReplyTo             []Address
	Subject             string
	Body                string // plain text, or Markdown when Markdown is set
	Markdown            bool   // also send the body rendered as HTML
	Attachments         []Attachment
	MessageID           string // without angle brackets; generated when empty
	InReplyTo           string // a Message-ID, without angle brackets
	References          []string
	Date                time.Time // now when zero
	mixedBoundary       string
	alternativeBoundary string
}

// Prepare sets the date, the Message-ID and the MIME boundaries when they
// are not set yet, so that Size and WriteTo agree byte for byte and a
// resend keeps its Message-ID.
func (m *Message) Prepare() error {
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	if m.MessageID == "" {
		id, err := newMessageID(m.From)
		if err != nil {
			return err
		}
		m.MessageID = id
	}
	if m.mixedBoundary == "" {
		m.mixedBoundary, m.alternativeBoundary = randomToken(15), randomToken(15)
	}
	return nil
}

// newMessageID makes "<random@sender-domain>" (RFC 5322 §3.6.4), without
// the brackets.
func newMessageID(from Address) (string, error) {
	email, err := from.ASCIIEmail()
	if err != nil {
		return "", err
	}
	domain := email[strings.LastIndex(email, "@")+1:]
	return randomToken(16) + "@" + strings.Trim(domain, "[]"), nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand never fails
	return hex.EncodeToString(b)
}

// Validate checks everything that can be checked before a byte is written:
// the addresses, the header fields and the attachments. Its errors name
// the field, address or file.
func (m *Message) Validate() error {
	if err := m.From.check("From"); err != nil {
		return err
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return &InputError{Field: "To", Reason: "add at least one recipient"}
	}
	for _, group := range []struct {
		field string
		list  []Address
	}{{"To", m.To}, {"Cc", m.Cc}, {"Bcc", m.Bcc}, {"Reply-To", m.ReplyTo}} {
		for _, a := range group.list {
			if err := a.check(group.field); err != nil {
				return err
			}
		}
	}
	for field, value := range map[string]string{
		"Subject": m.Subject, "Message-ID": m.MessageID, "In-Reply-To": m.InReplyTo,
	} {
		if err := checkHeaderText(field, value); err != nil {
			return err
		}
	}
	for _, ref := range m.References {
		if err := checkHeaderText("References", ref); err != nil {
			return err
		}
	}
	for _, a := range m.Attachments {
		if err := a.check(); err != nil {
			return err
		}
	}
	return nil
}

func (a Attachment) check() error {
	name := a.displayName()
	if err := checkHeaderText("attachment name", name); err != nil {
		return &InputError{Field: "attachment", Value: name, Reason: "its name contains a line break"}
	}
	if err := checkHeaderText("attachment type", a.ContentType); err != nil {
		return &InputError{Field: "attachment", Value: name, Reason: "its content type contains a line break"}
	}
	if a.ContentType != "" {
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
			return &InputError{Field: "attachment", Value: name, Reason: fmt.Sprintf("%q is not a content type", a.ContentType)}
		}
	}
	if a.Open != nil {
		return nil
	}
	if a.Path == "" {
		return &InputError{Field: "attachment", Value: name, Reason: "it names no file"}
	}
	info, err := os.Stat(a.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &InputError{Field: "attachment", Value: a.Path, Reason: "the file does not exist"}
	case errors.Is(err, os.ErrPermission):
		return &InputError{Field: "attachment", Value: a.Path, Reason: "you are not allowed to read it"}
	case err != nil:
		return &InputError{Field: "attachment", Value: a.Path, Reason: err.Error()}
	case info.IsDir():
		return &InputError{Field: "attachment", Value: a.Path, Reason: "it is a folder, not a file"}
	case !info.Mode().IsRegular():
		return &InputError{Field: "attachment", Value: a.Path, Reason: "it is not a regular file"}
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return &InputError{Field: "attachment", Value: a.Path, Reason: "it cannot be read (" + err.Error() + ")"}
	}
	return f.Close()
}

func (a Attachment) displayName() string {
	if a.Name != "" {
		return a.Name
	}
	if a.Path != "" {
		return filepath.Base(a.Path)
	}
	return "attachment"
}

// Envelope returns the SMTP envelope (RFC 5321 §2.3.1): the sender and
// every recipient, Bcc included, with A-label domains, each recipient
// once, and whether SMTPUTF8 is needed.
func (m *Message) Envelope() (from string, rcpts []string, smtputf8 bool, err error) {
	if from, err = m.From.ASCIIEmail(); err != nil {
		return "", nil, false, err
	}
	smtputf8 = m.From.needsSMTPUTF8()
	seen := map[string]bool{}
	for _, list := range [][]Address{m.To, m.Cc, m.Bcc} {
		for _, a := range list {
			email, err := a.ASCIIEmail()
			if err != nil {
				return "", nil, false, err
			}
			if key := strings.ToLower(email); !seen[key] {
				seen[key] = true
				rcpts = append(rcpts, email)
			}
			smtputf8 = smtputf8 || a.needsSMTPUTF8()
		}
	}
	for _, a := range m.ReplyTo {
		smtputf8 = smtputf8 || a.needsSMTPUTF8()
	}
	return from, rcpts, smtputf8, nil
}

// Size is the exact number of bytes WriteTo writes. It streams the message
// through a counter, reading attachments from disk without keeping them.
func (m *Message) Size() (int64, error) {
	return m.WriteTo(io.Discard)
}

// WriteTo writes the message with CRLF line endings. It validates and
// prepares the message first, so an invalid message writes nothing.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	if err := m.Prepare(); err != nil {
		return 0, err
	}
	header, err := m.header()
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	if err := m.writeEntity(cw, header); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

// header builds the top-level header fields in the order they are written.
func (m *Message) header() ([][2]string, error) {
	from, err := formatAddress(m.From)
	if err != nil {
		return nil, err
	}
	fields := [][2]string{
		{"Date", m.Date.Format(time.RFC1123Z)},
		{"From", from},
	}
	for _, group := range []struct {
		name string
		list []Address
	}{{"Reply-To", m.ReplyTo}, {"To", m.To}, {"Cc", m.Cc}} {
		if len(group.list) == 0 {
			continue
		}
		value, err := formatAddressList(group.list)
		if err != nil {
			return nil, err
		}
		fields = append(fields, [2]string{group.name, value})
	}
	fields = append(fields,
		[2]string{"Subject", encodeWords(m.Subject)},
		[2]string{"Message-ID", "<" + m.MessageID + ">"})
	if m.InReplyTo != "" {
		fields = append(fields, [2]string{"In-Reply-To", "<" + strings.Trim(m.InReplyTo, "<>") + ">"})
	}
	if len(m.References) > 0 {
		refs := make([]string, len(m.References))
		for i, r := range m.References {
			refs[i] = "<" + strings.Trim(r, "<>") + ">"
		}
		fields = append(fields, [2]string{"References", strings.Join(refs, " ")})
	}
	return append(fields, [2]string{"User-Agent", UserAgent}, [2]string{"MIME-Version", "1.0"}), nil
}

// writeEntity writes the header and the body: the text alone, text with
// HTML (multipart/alternative, RFC 2046 §5.1.4), and either wrapped in
// multipart/mixed with the attachments.
func (m *Message) writeEntity(w io.Writer, top [][2]string) error {
	if len(m.Attachments) == 0 {
		return m.writeText(topCreator{w}, top)
	}
	mixed, err := gomessage.CreateWriter(w, newHeader(top, [2]string{"Content-Type", `multipart/mixed; boundary="` + m.mixedBoundary + `"`}))
	if err != nil {
		return err
	}
	if err := m.writeText(partCreator{mixed}, nil); err != nil {
		return err
	}
	for _, a := range m.Attachments {
		if err := writeAttachment(mixed, a); err != nil {
			return err
		}
	}
	return mixed.Close()
}

// entityCreator is where a text entity goes: the top of the message, or a
// part of a multipart.
type entityCreator interface {
	create(h gomessage.Header) (*gomessage.Writer, error)
}

type partCreator struct{ parent *gomessage.Writer }

func (p partCreator) create(h gomessage.Header) (*gomessage.Writer, error) {
	return p.parent.CreatePart(h)
}

type topCreator struct{ w io.Writer }

func (t topCreator) create(h gomessage.Header) (*gomessage.Writer, error) {
	return gomessage.CreateWriter(t.w, h)
}

// writeText writes the body: plain text, or with Markdown the text and its
// HTML rendering as alternatives. top holds the message's own header
// fields when the text is the whole message.
func (m *Message) writeText(creator entityCreator, top [][2]string) error {
	text := normalizeNewlines(m.Body)
	if !m.Markdown {
		return writeTextPart(creator, top, "text/plain", text)
	}
	alt, err := creator.create(newHeader(top, [2]string{"Content-Type", `multipart/alternative; boundary="` + m.alternativeBoundary + `"`}))
	if err != nil {
		return err
	}
	if err := writeTextPart(partCreator{alt}, nil, "text/plain", text); err != nil {
		return err
	}
	html, err := renderMarkdown(m.Body, m.Subject)
	if err != nil {
		return err
	}
	if err := writeTextPart(partCreator{alt}, nil, "text/html", html); err != nil {
		return err
	}
	return alt.Close()
}

func writeTextPart(creator entityCreator, top [][2]string, mediaType, text string) error {
	h := newHeader(top,
		[2]string{"Content-Type", mediaType + "; charset=utf-8"},
		[2]string{"Content-Transfer-Encoding", "quoted-printable"})
	part, err := creator.create(h)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(part, text); err != nil {
		return err
	}
	return part.Close()
}

// writeAttachment streams one file as a base64 part, reading it while it
// is written.
func writeAttachment(mixed *gomessage.Writer, a Attachment) error {
	name := a.displayName()
	r, err := a.open()
	if err != nil {
		return &InputError{Field: "attachment", Value: name, Reason: "it cannot be read (" + err.Error() + ")"}
	}
	defer r.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return &InputError{Field: "attachment", Value: name, Reason: "it cannot be read (" + err.Error() + ")"}
	}
	head = head[:n]
	contentType := a.ContentType
	if contentType == "" {
		contentType = detectContentType(name, head)
	}
	ct := formatContentType(contentType)
	h := newHeader(nil,
		[2]string{"Content-Type", ct + "; " + formatParam("name", name)},
		[2]string{"Content-Disposition", "attachment; " + formatParam("filename", name)},
		[2]string{"Content-Transfer-Encoding", "base64"})
	part, err := mixed.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, io.MultiReader(bytes.NewReader(head), r)); err != nil {
		return &InputError{Field: "attachment", Value: name, Reason: "reading it failed (" + err.Error() + ")"}
	}
	return part.Close()
}

// formatContentType rewrites a content type with its parameters in a fixed
// order, encoded as formatParam does.
func formatContentType(contentType string) string {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "application/octet-stream"
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		mediaType += "; " + formatParam(k, params[k])
	}
	return mediaType
}

func (a Attachment) open() (io.ReadCloser, error) {
	if a.Open != nil {
		return a.Open()
	}
	return os.Open(a.Path)
}

// detectContentType prefers what the content says, and falls back on the
// file name's extension for what sniffing cannot tell apart (office files
// are all zip archives to it).
func detectContentType(name string, head []byte) string {
	sniffed := http.DetectContentType(head)
	byName := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	switch {
	case byName == "":
		return sniffed
	case sniffed == "application/octet-stream", sniffed == "application/zip", strings.HasPrefix(sniffed, "text/plain"):
		return byName
	}
	return sniffed
}

// newHeader adds fields so that go-message writes them in the given order
// (it writes the last added first).
func newHeader(top [][2]string, fields ...[2]string) gomessage.Header {
	all := append(append([][2]string{}, top...), fields...)
	var h gomessage.Header
	for i := len(all) - 1; i >= 0; i-- {
		h.Add(all[i][0], all[i][1])
	}
	return h
}

// normalizeNewlines turns every line ending (CRLF, bare CR, bare LF) into
// CRLF, so that no bare CR or LF reaches the wire.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

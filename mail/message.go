package mail

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"

	"github.com/postie-app/postie/resources"
)

// UserAgent is the User-Agent header's value (a product token, as in RFC
// 9110 §10.1.5). It must be printable ASCII.
var UserAgent = "Postie/" + resources.Version

// Message is what the user wrote. Prepare fixes what must not change
// between measuring and sending it: the date, the Message-ID and the MIME
// boundaries. A Message is not safe for concurrent use until it is
// prepared.
type Message struct {
	From        Address
	To, Cc, Bcc []Address
	ReplyTo     []Address
	Subject     string
	Body        string // plain text, or Markdown when Markdown is set
	Markdown    bool   // also send the body rendered as HTML
	Attachments []Attachment
	MessageID   string   // without angle brackets; generated when empty
	InReplyTo   string   // the parent's Message-ID (or several), angle brackets optional
	References  []string // Message-IDs, angle brackets optional
	Date        time.Time

	mixedBoundary, alternativeBoundary string
}

// Prepare sets the date, the Message-ID and the MIME boundaries when they
// are not set yet, so that Size and WriteTo agree byte for byte and a
// resend keeps its Message-ID. Size and WriteTo call it themselves.
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
		// "=_" cannot occur in quoted-printable or base64 text, so the
		// boundaries cannot occur in any part (RFC 2046 §5.1.1).
		m.mixedBoundary = "=_mixed_" + randomToken(15)
		m.alternativeBoundary = "=_alt_" + randomToken(15)
	}
	return nil
}

// newMessageID makes "random@sender-domain" (RFC 5322 §3.6.4): unique
// without revealing anything about the sender's computer.
func newMessageID(from Address) (string, error) {
	spec, p := from.addrSpec()
	if p.found() {
		return "", p.in("From", from.display())
	}
	return randomToken(16) + "@" + spec[strings.LastIndexByte(spec, '@')+1:], nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// Validate checks everything that can be checked before a byte is written:
// the addresses, the header fields, the text and the attachments. Its
// errors are *InputError and name the field, address or file.
func (m *Message) Validate() error {
	if m.From.Email == "" {
		return &InputError{Field: "From", Problem: InputMissing}
	}
	if err := m.From.check("From"); err != nil {
		return err
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return &InputError{Field: "To", Problem: InputNoRecipient}
	}
	for _, g := range m.addressGroups() {
		for _, a := range g.list {
			if err := a.check(g.field); err != nil {
				return err
			}
		}
	}
	if err := checkHeaderText("Subject", m.Subject); err != nil {
		return err
	}
	if !utf8.ValidString(m.Body) {
		return &InputError{Field: "text", Problem: InputTextNotUTF8}
	}
	if err := m.checkIDs(); err != nil {
		return err
	}
	if !isPlainParam(UserAgent) {
		return &InputError{Field: "User-Agent", Value: UserAgent, Problem: InputNotPrintable}
	}
	for _, a := range m.Attachments {
		if err := a.check(); err != nil {
			return err
		}
	}
	return nil
}

type addressGroup struct {
	field string
	list  []Address
}

func (m *Message) addressGroups() []addressGroup {
	return []addressGroup{{"To", m.To}, {"Cc", m.Cc}, {"Bcc", m.Bcc}, {"Reply-To", m.ReplyTo}}
}

func (m *Message) checkIDs() error {
	if m.MessageID != "" {
		if p := msgIDProblem(unbracket(m.MessageID), true); p.found() {
			return p.in("Message-ID", m.MessageID)
		}
	}
	for _, g := range []struct {
		field  string
		values []string
	}{{"In-Reply-To", []string{m.InReplyTo}}, {"References", m.References}} {
		for _, value := range g.values {
			for _, id := range splitMsgIDs(value) {
				if p := msgIDProblem(id, false); p.found() {
					return p.in(g.field, value)
				}
			}
		}
	}
	return nil
}

// Envelope returns the SMTP envelope (RFC 5321 §2.3.1): the sender and
// every recipient, Bcc included, with A-label domains, each recipient
// once, and whether the message needs SMTPUTF8 (RFC 6531) because a local
// part in the envelope or a header is not ASCII.
func (m *Message) Envelope() (from string, rcpts []string, smtputf8 bool, err error) {
	if err := m.From.check("From"); err != nil {
		return "", nil, false, err
	}
	from, _ = m.From.addrSpec()
	smtputf8 = m.From.needsSMTPUTF8()
	seen := map[string]bool{}
	for _, g := range m.addressGroups() {
		for _, a := range g.list {
			if err := a.check(g.field); err != nil {
				return "", nil, false, err
			}
			smtputf8 = smtputf8 || a.needsSMTPUTF8()
			spec, _ := a.addrSpec()
			if key := strings.ToLower(spec); g.field != "Reply-To" && !seen[key] {
				seen[key] = true
				rcpts = append(rcpts, spec)
			}
		}
	}
	return from, rcpts, smtputf8, nil
}

// Size is exactly how many bytes WriteTo writes, for the server's SIZE
// check (RFC 1870) and the progress bar. It writes the headers and the
// text to a counter and computes the length of each attachment's base64
// from the file's size, so it reads only the first bytes of a file (a
// stream from Attachment.Open is read through once, without keeping it).
// A file that changes between Size and WriteTo changes the size.
func (m *Message) Size() (int64, error) {
	counter := &countingWriter{w: io.Discard}
	err := m.write(counter, counter)
	return counter.n, err
}

// WriteTo writes the message with CRLF line endings. It validates and
// prepares the message first, so an invalid message writes nothing.
// Attachments are read while they are written.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	counter := &countingWriter{w: w}
	buffered := bufio.NewWriterSize(counter, 32<<10)
	if err := m.write(buffered, nil); err != nil {
		return counter.n, err
	}
	err := buffered.Flush()
	return counter.n, err
}

// write writes the message to w, or, with measuring set, counts it in
// measuring without reading attachments through.
func (m *Message) write(w io.Writer, measuring *countingWriter) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := m.Prepare(); err != nil {
		return err
	}
	top, err := m.headerFields()
	if err != nil {
		return err
	}
	text, err := m.textEntity()
	if err != nil {
		return err
	}
	if len(m.Attachments) == 0 {
		return text.writeTo(w, top)
	}
	parts := []partWriter{text.asPart()}
	for _, a := range m.Attachments {
		parts = append(parts, func(mw *textproto.MultipartWriter) error {
			return writeAttachment(mw, a, measuring)
		})
	}
	return multipartEntity("mixed", m.mixedBoundary, parts).writeTo(w, top)
}

// headerFields are the message's own header fields (RFC 5322 §3.6), in
// the order they are written. Bcc is not among them: its recipients are
// only in the envelope.
func (m *Message) headerFields() ([]field, error) {
	fields := []field{{"Date", strings.Fields(m.Date.In(time.Local).Format(time.RFC1123Z))}}
	for _, g := range []addressGroup{{"From", []Address{m.From}}, {"Reply-To", m.ReplyTo}, {"To", m.To}, {"Cc", m.Cc}} {
		if len(g.list) == 0 {
			continue
		}
		tokens, err := addressListTokens(g.list)
		if err != nil {
			return nil, err
		}
		fields = append(fields, field{g.field, tokens})
	}
	if len(m.To)+len(m.Cc) == 0 {
		// Without any To or Cc, some servers add the recipients in a
		// header of their own, which would reveal the Bcc recipients. An
		// empty group (RFC 5322 §3.4) says there is nothing to show.
		fields = append(fields, field{"To", []string{"undisclosed-recipients:;"}})
	}
	fields = append(fields,
		field{"Subject", textTokens(m.Subject)},
		field{"Message-ID", []string{"<" + unbracket(m.MessageID) + ">"}})
	if ids := msgIDTokens(m.InReplyTo); len(ids) > 0 {
		fields = append(fields, field{"In-Reply-To", ids})
	}
	if ids := msgIDTokens(m.References...); len(ids) > 0 {
		fields = append(fields, field{"References", ids})
	}
	if UserAgent != "" {
		fields = append(fields, field{"User-Agent", strings.Fields(UserAgent)})
	}
	return append(fields, field{"MIME-Version", []string{"1.0"}}), nil
}

// entity is a MIME entity (RFC 2045 §2.4): its content header fields and
// a function that writes its body.
type entity struct {
	fields []field
	body   func(w io.Writer) error
}

// partWriter writes one part of a multipart entity.
type partWriter func(mw *textproto.MultipartWriter) error

// writeTo writes the entity as the whole message, after the message's own
// header fields.
func (e entity) writeTo(w io.Writer, top []field) error {
	if err := textproto.WriteHeader(w, makeHeader(slices.Concat(top, e.fields))); err != nil {
		return err
	}
	return e.body(w)
}

func (e entity) asPart() partWriter {
	return func(mw *textproto.MultipartWriter) error {
		w, err := mw.CreatePart(makeHeader(e.fields))
		if err != nil {
			return err
		}
		return e.body(w)
	}
}

// multipartEntity is a multipart entity (RFC 2046 §5.1) of parts,
// separated by boundary.
func multipartEntity(subtype, boundary string, parts []partWriter) entity {
	return entity{
		fields: []field{{"Content-Type", joinParams("multipart/"+subtype, paramTokens("boundary", boundary))}},
		body: func(w io.Writer) error {
			mw := textproto.NewMultipartWriter(w)
			if err := mw.SetBoundary(boundary); err != nil {
				return err
			}
			for _, write := range parts {
				if err := write(mw); err != nil {
					return err
				}
			}
			return mw.Close()
		},
	}
}

// textEntity is the text: plain, or with Markdown the text and its HTML
// rendering as alternatives (RFC 2046 §5.1.4), the preferred one last.
func (m *Message) textEntity() (entity, error) {
	plain := textPart("text/plain", m.Body)
	if !m.Markdown {
		return plain, nil
	}
	html, err := renderMarkdown(m.Body, m.Subject)
	if err != nil {
		return entity{}, err
	}
	return multipartEntity("alternative", m.alternativeBoundary,
		[]partWriter{plain.asPart(), textPart("text/html", html).asPart()}), nil
}

// textPart is UTF-8 text in quoted-printable, so the message stays 7-bit
// and every line short, whatever the user typed.
func textPart(mediaType, text string) entity {
	return entity{
		fields: []field{
			{"Content-Type", joinParams(mediaType, paramTokens("charset", "utf-8"))},
			{"Content-Transfer-Encoding", []string{"quoted-printable"}},
		},
		body: func(w io.Writer) error { return writeQuotedPrintable(w, text) },
	}
}

// writeAttachment writes one attachment as a base64 part (RFC 2183
// disposition "attachment"), reading it while it is written. With
// measuring set, it counts the base64 instead of writing it.
func writeAttachment(mw *textproto.MultipartWriter, a Attachment, measuring *countingWriter) error {
	r, err := a.open()
	if err != nil {
		return a.readError(err)
	}
	defer r.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return a.readError(err)
	}
	head = head[:n]
	pw, err := mw.CreatePart(makeHeader(a.partFields(head)))
	if err != nil {
		return err
	}
	if measuring != nil {
		size, err := contentLength(r, n)
		if err != nil {
			return a.readError(err)
		}
		measuring.n += base64Len(size)
		return nil
	}
	readErr, writeErr := writeBase64(pw, io.MultiReader(bytes.NewReader(head), r))
	if readErr != nil {
		return a.readError(readErr)
	}
	return writeErr
}

// partFields are an attachment's header fields. The file name goes in
// both Content-Disposition (RFC 2183 §2.3) and Content-Type's "name",
// which some readers still look at first, as Thunderbird sends it. There
// is no plain ASCII stand-in next to an RFC 2231 name: a parameter given
// twice is a defect to strict readers (Python's email package), and some
// of them then pick the stand-in.
func (a Attachment) partFields(head []byte) []field {
	mediaType, params := a.contentType(head)
	keys := slices.Sorted(maps.Keys(params))
	typeParams := make([][]string, 0, len(keys)+1)
	for _, k := range keys {
		typeParams = append(typeParams, paramTokens(k, params[k]))
	}
	name := a.fileName()
	typeParams = append(typeParams, paramTokens("name", name))
	return []field{
		{"Content-Type", joinParams(mediaType, typeParams...)},
		{"Content-Disposition", joinParams("attachment", paramTokens("filename", name))},
		{"Content-Transfer-Encoding", []string{"base64"}},
	}
}

// contentLength is how long the content is: the file's size when r is a
// regular file, else what is left of r counted as it is read. headLen
// bytes have been read already.
func contentLength(r io.Reader, headLen int) (int64, error) {
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
			return info.Size(), nil
		}
	}
	n, err := io.Copy(io.Discard, r)
	return int64(headLen) + n, err
}

package mail

import (
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Attachment is a file sent with the message: a path on disk, or a stream
// from Open, which Size and WriteTo each call once and which must give the
// same bytes every time. Name is the file name the recipient sees (the
// path's base name when empty); ContentType, when empty, is detected from
// the content and the name.
type Attachment struct {
	Name        string
	ContentType string
	Path        string
	Open        func() (io.ReadCloser, error)
}

// sniffLen is how much content net/http's sniffing looks at.
const sniffLen = 512

func (a Attachment) check() error {
	name := a.fileName()
	if p := headerTextProblem(name); p.found() {
		return p.in("attachment name", name)
	}
	if a.ContentType != "" && !isMediaType(a.ContentType) {
		return &InputError{Field: "attachment type", Value: a.ContentType, Problem: InputNotContentType}
	}
	if a.Open != nil {
		return nil
	}
	if a.Path == "" {
		return &InputError{Field: "attachment", Value: name, Problem: InputNoFileChosen}
	}
	// Stat before opening: opening a named pipe or a device could block.
	info, err := os.Stat(a.Path)
	if err != nil {
		return a.readError(err)
	}
	switch {
	case info.IsDir():
		return &InputError{Field: "attachment", Value: a.Path, Problem: InputIsFolder}
	case !info.Mode().IsRegular():
		return &InputError{Field: "attachment", Value: a.Path, Problem: InputNotRegular}
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return a.readError(err)
	}
	return f.Close()
}

// Limits that keep a given content type's header lines short: RFC 6838
// §4.2 allows 127 characters for a type or subtype name, and no
// registered parameter name is near 40.
const (
	maxTypeName  = 127
	maxParamName = 40
)

// isMediaType reports whether s is "type/subtype" with optional
// parameters (RFC 2045 §5.1).
func isMediaType(s string) bool {
	mediaType, params, err := mime.ParseMediaType(s)
	typ, subtype, ok := strings.Cut(mediaType, "/")
	if err != nil || !ok || typ == "" || subtype == "" || len(typ) > maxTypeName || len(subtype) > maxTypeName {
		return false
	}
	for name := range params {
		if len(name) > maxParamName {
			return false
		}
	}
	return !headerTextProblem(s).found()
}

// readError says why the attachment cannot be read.
func (a Attachment) readError(err error) error {
	value := a.Path
	if value == "" {
		value = a.fileName()
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &InputError{Field: "attachment", Value: value, Problem: InputFileMissing}
	case errors.Is(err, fs.ErrPermission):
		return &InputError{Field: "attachment", Value: value, Problem: InputNoPermission}
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err // the path is in Value already
	}
	return &InputError{Field: "attachment", Value: value, Problem: InputReadFailed, Err: err}
}

// fileName is the name the recipient sees.
func (a Attachment) fileName() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Path != "":
		return filepath.Base(a.Path)
	}
	return "attachment"
}

func (a Attachment) open() (io.ReadCloser, error) {
	if a.Open != nil {
		return a.Open()
	}
	return os.Open(a.Path)
}

// contentType is the given content type, or one detected from the first
// bytes of the content and the name. A "name" parameter is dropped: the
// name is written from Name.
func (a Attachment) contentType(head []byte) (string, map[string]string) {
	given := a.ContentType
	if given == "" {
		given = detectContentType(a.fileName(), head)
	}
	mediaType, params, err := mime.ParseMediaType(given)
	if err != nil || strings.HasPrefix(mediaType, "message/") || strings.HasPrefix(mediaType, "multipart/") {
		// A saved e-mail (.eml) or multipart file is sent as bytes: those
		// types may not be base64 encoded (RFC 2045 §6.4, RFC 2046
		// §5.2.1), and a strict reader would parse the base64 as a message.
		return "application/octet-stream", nil
	}
	delete(params, "name")
	return mediaType, params
}

// detectContentType prefers what the content says (net/http's sniffing,
// https://mimesniff.spec.whatwg.org), and falls back on the file name's
// extension for what sniffing cannot tell apart: office documents are all
// zip archives to it, and every text file is text/plain.
func detectContentType(name string, head []byte) string {
	sniffed := http.DetectContentType(head)
	byName := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	switch {
	case byName != "" && (sniffed == "application/octet-stream" || sniffed == "application/zip" || strings.HasPrefix(sniffed, "text/plain")):
		return byName
	case strings.HasPrefix(sniffed, "text/plain") && !utf8.Valid(trimPartialRune(head)):
		return "text/plain" // sniffing says UTF-8 for any text; do not claim it
	}
	return sniffed
}

// trimPartialRune drops a UTF-8 sequence that the sniffing window cut short.
func trimPartialRune(b []byte) []byte {
	if len(b) < sniffLen {
		return b // the whole content
	}
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		if c := b[len(b)-i]; c >= 0xC0 {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		} else if c < 0x80 {
			break
		}
	}
	return b
}

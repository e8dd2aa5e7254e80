// Package mail turns what the user wrote into the exact bytes that go to
// the server: an Internet Message Format message (RFC 5322) with MIME
// (RFC 2045–2049), built with github.com/emersion/go-message.
//
// The rules it follows, so every receiving program reads a message the
// same way:
//
//   - Non-ASCII display names and subjects become RFC 2047 encoded words,
//     short enough that every header line folds within 78 characters.
//   - Attachment names use RFC 2231 parameter encoding (filename* with a
//     utf-8 charset and percent-encoded bytes),
//     with continuations for long names, never RFC 2047 inside a parameter.
//   - Text is UTF-8 in quoted-printable and attachments are base64, so the
//     body is 7-bit clean; only a non-ASCII local part makes a message need
//     SMTPUTF8 (RFC 6531, RFC 6532).
//   - Every line ending the user typed, bare CR, bare LF or CRLF, becomes
//     CRLF before encoding, so no bare CR or LF ever leaves Postie (the SMTP
//     smuggling class of attacks).
//   - CR or LF in any header input is refused before a byte is written, so
//     header injection is impossible.
//   - Domains are converted to A-labels (IDNA, golang.org/x/net/idna).
//   - Bcc recipients are in the envelope only, never in a header.
//
// A message is streamed to an io.Writer: an attachment is read from its
// file while it is written, so memory use does not depend on its size.
//
// This package never imports Fyne and never touches the network.
package mail

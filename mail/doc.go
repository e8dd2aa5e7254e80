// Package mail turns what the user wrote into the exact bytes that go to
// the server: an Internet Message Format message (RFC 5322) with MIME
// (RFC 2045–2049), built on github.com/emersion/go-message's header and
// multipart writers.
//
// The rules it follows, so that every receiving program reads a message
// the same way:
//
//   - Non-ASCII display names and subjects become RFC 2047 encoded words of
//     whole characters, short enough that every header line folds within
//     78 characters; folding happens only where a reader's unfolding gives
//     back exactly the value, and no line comes near 998 octets.
//   - Attachment names use RFC 2231 parameter encoding (filename* with a
//     utf-8 charset and percent-encoded bytes), continued over several
//     lines when long; never RFC 2047 inside a parameter.
//   - Text is UTF-8 in quoted-printable and attachments are base64, so the
//     message is 7-bit. Only a non-ASCII local part makes it need SMTPUTF8
//     (RFC 6531), and then header fields carry that address as UTF-8
//     (RFC 6532). Domains are always A-labels (IDNA, RFC 5890).
//   - Every line ending the user typed, bare CR, bare LF or CRLF, becomes
//     CRLF, and no line is a lone ".", so no bare CR or LF and no early
//     end of data ever leaves Postie (the SMTP smuggling class of attacks).
//   - CR or LF in any header input is refused before a byte is written, so
//     header injection is impossible.
//   - Bcc recipients are in the envelope only, never in a header.
//
// A message is streamed to an io.Writer: an attachment is read from its
// file while it is written, so memory use does not depend on its size,
// and Size knows the exact length without reading attachments through.
//
// This package never imports Fyne or the user interface, and never touches
// the network: it only reads the files it attaches.
package mail

// Package smtpclient submits a finished message to the user's own mail
// server (message submission, RFC 6409) and reports every failure as facts
// precise enough for a front end to explain it, in the user's language, to
// a person who has never heard of SMTP.
//
// The SMTP conversation itself is spoken by github.com/emersion/go-smtp.
// go-smtp leaves several guarantees to its caller, and this package provides
// them:
//
//   - Dialing, the TLS handshake and every later step follow a
//     context.Context: when the context ends, the connection is closed, which
//     interrupts whatever read or write is in progress.
//   - Implicit TLS (RFC 8314 §3.3, usually port 465) and STARTTLS (RFC 3207,
//     usually port 587) are verified against the system roots, an optional
//     company CA file, or a certificate fingerprint the user accepted.
//     TLS 1.2 is the minimum.
//   - STARTTLS is never optional. This package speaks the greeting, EHLO and
//     STARTTLS itself on the plain connection and refuses to continue when
//     the server does not offer STARTTLS, refuses it, or sends bytes after
//     "220 Ready to start TLS" (plaintext injected before the handshake,
//     the CVE-2011-0411 class; RFC 3207 §4.2 requires discarding it, we
//     refuse outright). Only then is the verified TLS connection handed to
//     go-smtp.
//   - AUTH (RFC 4954) is sent only on a connection whose TLS handshake has
//     completed, or to a server on a loopback address (local bridges).
//     Inspect, which account discovery uses to read a server's EHLO, never
//     signs in, and so may report a certificate that does not verify
//     instead of refusing it.
//   - Timeouts follow RFC 5321 §4.5.3.2: 5 minutes per command, 10 minutes
//     for the reply after the final dot, and 3 minutes for each write of the
//     message body (go-smtp sets no deadline while the body is written).
//   - SIZE (RFC 1870), 8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531) are
//     checked before MAIL, so an oversized or unsuitable message fails
//     before any byte of it is sent.
//   - Each RCPT reply is recorded. By default one refused recipient means
//     nothing is sent (RSET); Options.PartialRecipients sends to the rest.
//   - Every failure is an *Error with the stage, the server's reply code,
//     enhanced status code (RFC 3463) and text, a class (temporary,
//     permanent, or unknown outcome when the connection was lost once any
//     byte of the final dot may have been sent, RFC 1047), a Reason where
//     the explanation would differ, and the host, address, sizes, timeout or
//     certificate concerned. It carries no sentence: Error() is for logs.
//   - Every session keeps a timestamped transcript in which AUTH payloads
//     are replaced by [redacted] and the body by its size.
//
// This package must never: send a password or token over a connection that
// is not encrypted (loopback excepted), continue after a failed or stripped
// STARTTLS, put a secret in a transcript, an error or a log, send a message
// partially (a failed body write closes the connection instead of sending
// the final dot), or send raw UTF-8 addresses to a server that did not offer
// SMTPUTF8. It does not build messages (package mail does) and does not
// speak LMTP.
package smtpclient

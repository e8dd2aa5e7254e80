// Package accounts owns the sending accounts: their settings, stored in
// Postie's SQLite database, and their passwords or tokens, kept only in the
// operating system's password store (the Secret Service on Linux, the
// Keychain on macOS, the Credential Manager on Windows) through
// github.com/zalando/go-keyring, under the service "Postie" with the
// account's stable id as the user. An account may name an incoming (IMAP)
// server too, for the copy of each sent message in its Sent folder; it
// signs in with the account's secret, or with its own, kept under the id
// followed by "/imap" (IMAPSecretID), and goes when the account goes.
//
// The password store can fail in ways a person cannot see: none may be
// installed, it may be locked, or its unlock prompt may be hidden, and
// go-keyring's Secret Service backend then waits forever. So every keyring
// call runs on its own goroutine, bounded by the caller's context and a
// timeout (10 s by default), and every failure is a KeyringError whose
// Problem says which of these happened. When the store cannot be used, the
// caller may choose, explicitly, to keep a password in this process's
// memory until it exits (Secrets.KeepForSession); nothing ever falls back to
// writing it to disk.
//
// An account that signs in with its provider (OAuth 2.0, Account.OAuthProvider
// set) keeps its refresh token in the password store, where a password
// would be, and its access token only in this process's memory
// (oauthtokens.go). The Store hands smtpclient a TokenSource that refreshes
// the access token when it expires within a minute or the server refused
// it, one refresh per account at a time, and saves a rotated refresh token
// before the new access token is used. Signing in in the browser is
// package accounts/oauth, driven by the core's use cases; the provider
// table reaches the Store through SetProviders.
//
// Finding an account's server from its address is package
// accounts/autoconfig; connecting is package mail/smtpclient, which Test
// and SMTPConfig feed.
//
// This package must never import Fyne or the ui packages, never write a
// secret to the database, a file, a log, an error or a transcript, and never
// block the caller's goroutine on the keyring without a deadline.
package accounts

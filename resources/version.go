// Package resources holds what Postie ships besides code: the icon, bundled
// assets, translations and the version. It has no logic and must never
// import the rest of Postie, which all depends on it.
package resources

// Version is Postie's version: the one place it is written. FyneApp.toml must
// carry the same value (a test checks it), and About, `postie version` and
// the User-Agent header all read it from here.
const Version = "0.1.0"

// AppID is the reverse-DNS application identifier used for preferences,
// the desktop entry and the single-instance hand-over.
const AppID = "io.github.postie_app.Postie"

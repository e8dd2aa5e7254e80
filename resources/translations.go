package resources

import "embed"

// Translations holds the interface's strings in each shipped language, as
// go-i18n JSON files named postie.<language>.json, keyed by the English text.
//
//go:embed translations/*.json
var Translations embed.FS

// TranslationsDir is the folder inside Translations.
const TranslationsDir = "translations"

package ui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postie-app/postie/resources"
)

var loadTranslations = sync.OnceFunc(func() {
	if err := lang.AddTranslationsFS(resources.Translations, resources.TranslationsDir); err != nil {
		fyne.LogError("Postie's translations could not be loaded; the interface stays in English", err)
	}
})

// Package ui is Postie's desktop interface, built with Fyne: account setup,
// compose, the outbox and the sent log. It only presents. Protocol logic
// lives in mail and accounts, and network, keyring and disk work never run
// on the UI goroutine: they run in goroutines with contexts and timeouts, and
// their results reach widgets through fyne.Do or data bindings only.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/resources"
)

// Run opens Postie's main window and returns the process exit code once the
// user closes it. args are the window's own arguments (see cli.WantsWindow).
func Run(args []string) int {
	a := app.NewWithID(resources.AppID)
	w := a.NewWindow("Postie")
	w.SetContent(container.NewCenter(widget.NewLabel("Postie")))
	w.Resize(fyne.NewSize(900, 640))
	w.ShowAndRun()
	return 0
}

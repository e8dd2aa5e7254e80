package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail"
)

// addressField is a To, Cc or Bcc field. It accepts several addresses
// separated by commas or semicolons (pasted lists too), completes from the
// address list as the user types, and shows the reason next to the field
// when an address is not valid.
type addressField struct {
	w       *mainWindow
	label   string
	entry   *addressEntry
	problem *widget.Label
	// suggestions shows completions under the field as the user types,
	// without taking the focus from the field.
	suggestions *fyne.Container
}

// maxSuggestions is how many completions are shown under a field.
const maxSuggestions = 4

// addressEntry is a SelectEntry that reports losing focus, when the last
// address typed is complete and can be checked.
type addressEntry struct {
	widget.SelectEntry
	w           *mainWindow
	onFocusLost func()
}

func newAddressEntry(w *mainWindow) *addressEntry {
	e := &addressEntry{w: w}
	e.ExtendBaseWidget(e)
	// Show the invalid state even while the field has the focus.
	e.AlwaysShowValidationError = true
	return e
}

func (e *addressEntry) FocusLost() {
	e.SelectEntry.FocusLost()
	if e.onFocusLost != nil {
		e.onFocusLost()
	}
}

func newAddressField(w *mainWindow, label string, changed func()) *addressField {
	f := &addressField{w: w, label: label, entry: newAddressEntry(w), problem: widget.NewLabel(""), suggestions: container.NewHBox()}
	f.suggestions.Hide()
	f.entry.SetPlaceHolder(lang.L("name@example.org, another@example.org"))
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()
	f.entry.OnChanged = func(text string) {
		// While typing, only the addresses already finished with a
		// separator are judged; the one being typed is judged on leaving.
		f.check(false)
		f.suggest(text)
		changed()
	}
	f.entry.onFocusLost = func() { f.check(true) }
	return f
}

func (f *addressField) formItem() *widget.FormItem {
	return widget.NewFormItem(f.label, container.NewVBox(f.entry, f.suggestions, f.problem))
}

// check parses the field and shows or clears the problem. With complete
// false, the last, unfinished address is not judged.
func (f *addressField) check(complete bool) ([]mail.Address, bool) {
	text := f.entry.Text
	if !complete {
		text = finishedPart(text)
	}
	if strings.TrimSpace(text) == "" {
		f.clearProblem()
		return nil, true
	}
	list, err := mail.ParseAddressList(text)
	if err != nil {
		f.showProblem(errorMessage(err))
		return nil, false
	}
	f.clearProblem()
	return list, true
}

// finishedPart is the text up to the last separator.
func finishedPart(text string) string {
	if i := strings.LastIndexAny(text, ",;"); i >= 0 {
		return text[:i]
	}
	return ""
}

func (f *addressField) showProblem(reason string) {
	f.problem.SetText(reason)
	f.problem.Show()
	f.entry.SetValidationError(errorString(reason))
}

func (f *addressField) clearProblem() {
	if f.problem.Visible() {
		f.problem.SetText("")
		f.problem.Hide()
	}
	f.entry.SetValidationError(nil)
}

// suggest offers completions for the address being typed, from the
// addresses the user has written to, most recent and frequent first.
func (f *addressField) suggest(text string) {
	done := finishedPart(text)
	typed := strings.TrimSpace(text[len(done):])
	typed = strings.TrimLeft(typed, ",; ")
	if len([]rune(typed)) < 2 || f.w.svc == nil {
		f.showSuggestions(nil)
		return
	}
	f.w.background(func(ctx context.Context, svc *services) func() {
		found, err := svc.suggest(ctx, typed)
		return func() {
			if err != nil || f.entry.Text != text {
				return // stale: the user has typed on
			}
			prefix := ""
			if done != "" {
				prefix = done + ", "
			}
			options := make([]string, len(found))
			for i, s := range found {
				options[i] = prefix + s
			}
			f.showSuggestions(options)
		}
	})
}

// showSuggestions offers completed field texts: the first few as buttons
// under the field, all of them in the field's drop-down.
func (f *addressField) showSuggestions(options []string) {
	f.entry.SetOptions(options)
	f.suggestions.RemoveAll()
	for i, option := range options {
		if i == maxSuggestions {
			break
		}
		shown := option[len(finishedPart(option)):]
		button := widget.NewButton(strings.TrimLeft(shown, ", "), func() {
			f.entry.SetText(option + ", ")
			f.showSuggestions(nil)
			f.w.win.Canvas().Focus(f.entry)
		})
		button.Importance = widget.LowImportance
		f.suggestions.Add(button)
	}
	f.suggestions.Hidden = len(f.suggestions.Objects) == 0
	f.suggestions.Refresh()
}

type errorString string

func (e errorString) Error() string { return string(e) }

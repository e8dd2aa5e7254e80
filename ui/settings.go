package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/outbox"
)

// appSettings are the preferences the Settings view edits.
type appSettings = outbox.Settings

var (
	undoChoices  = []time.Duration{0, 5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second}
	retryChoices = []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 48 * time.Hour, 5 * 24 * time.Hour}
)

// settingsView edits the undo window, the retry limit, what happens when
// some recipients are refused, Markdown by default and starting at login.
type settingsView struct {
	w        *mainWindow
	content  fyne.CanvasObject
	undo     *widget.Select
	retry    *widget.Select
	partial  *widget.RadioGroup
	markdown *widget.Check
	// autostart is not in appSettings: see autostartOption.
	autostart *autostartOption
	loading   bool
	// saving and again order the saves: two changes in a row must not race
	// to the database, where the older one could land last.
	saving, again bool
}

func newSettingsView(w *mainWindow) *settingsView {
	v := &settingsView{w: w}
	v.undo = widget.NewSelect(durationLabels(undoChoices, undoLabel), func(string) { v.save() })
	v.retry = widget.NewSelect(durationLabels(retryChoices, retryLabel), func(string) { v.save() })
	nothing, accepted := lang.L("Send nothing and tell me which ones"), lang.L("Send to the others and tell me which ones")
	v.partial = widget.NewRadioGroup([]string{nothing, accepted}, func(string) { v.save() })
	v.partial.Required = true
	v.markdown = widget.NewCheck(lang.L("Write new messages in Markdown"), func(bool) { v.save() })

	// Each label above its setting and hints that wrap: side by side, and
	// with the form's own hints, which never wrap, the longer languages
	// needed a window wider than a small screen.
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Undo send"), withHint(v.undo, lang.L("How long a message waits after Send, so you can take it back."))),
		widget.NewFormItem(lang.L("Keep retrying for"), withHint(v.retry, lang.L("After this, a message the server keeps deferring is marked as failed."))),
		widget.NewFormItem(lang.L("When some recipients are refused"), v.partial),
		widget.NewFormItem(lang.L("Markdown"), v.markdown),
	)
	form.Orientation = widget.Vertical
	v.autostart = newAutostartOption(w)
	v.content = container.NewVScroll(container.NewVBox(form, v.autostart.content, mailtoHandlerOffer(w)))
	v.load()
	return v
}

// withHint puts a hint under a form's field, in the small text of the
// form's own hints but wrapping to the width there is.
func withHint(field fyne.CanvasObject, hint string) fyne.CanvasObject {
	label := widget.NewLabel(hint)
	label.SizeName = theme.SizeNameCaptionText
	label.Wrapping = fyne.TextWrapWord
	return container.NewVBox(field, label)
}

func durationLabels(choices []time.Duration, label func(time.Duration) string) []string {
	out := make([]string, len(choices))
	for i, d := range choices {
		out[i] = label(d)
	}
	return out
}

func undoLabel(d time.Duration) string {
	if d == 0 {
		return lang.L("Off")
	}
	return fmt.Sprintf(lang.L("%d seconds"), int(d.Seconds())) // every choice is plural
}

func retryLabel(d time.Duration) string {
	switch {
	case d == time.Hour:
		return lang.L("1 hour")
	case d < 24*time.Hour:
		return fmt.Sprintf(lang.L("%d hours"), int(d.Hours()))
	case d == 24*time.Hour:
		return lang.L("1 day")
	}
	return fmt.Sprintf(lang.L("%d days"), int(d.Hours()/24))
}

// nearestIndex picks the choice closest to d, so a value set elsewhere
// (the command line, say) still shows sensibly.
func nearestIndex(choices []time.Duration, d time.Duration) int {
	best := 0
	for i, c := range choices {
		if (c - d).Abs() < (choices[best] - d).Abs() {
			best = i
		}
	}
	return best
}

func (v *settingsView) load() {
	v.w.background(func(ctx context.Context, svc *services) func() {
		s, err := svc.loadSettings(ctx)
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			v.loading = true
			defer func() { v.loading = false }()
			v.undo.SetSelectedIndex(nearestIndex(undoChoices, s.UndoWindow))
			v.retry.SetSelectedIndex(nearestIndex(retryChoices, s.RetryLimit))
			v.partial.SetSelected(v.partial.Options[boolIndex(s.PartialRecipients)])
			v.markdown.SetChecked(s.MarkdownByDefault)
		}
	})
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (v *settingsView) current() appSettings {
	s := appSettings{MarkdownByDefault: v.markdown.Checked}
	if i := v.undo.SelectedIndex(); i >= 0 {
		s.UndoWindow = undoChoices[i]
	}
	if i := v.retry.SelectedIndex(); i >= 0 {
		s.RetryLimit = retryChoices[i]
	}
	s.PartialRecipients = v.partial.Selected == v.partial.Options[1]
	return s
}

func (v *settingsView) save() {
	if v.loading || v.undo.SelectedIndex() < 0 || v.retry.SelectedIndex() < 0 {
		return
	}
	if v.saving {
		v.again = true
		return
	}
	v.saving = true
	s := v.current()
	v.w.background(func(ctx context.Context, svc *services) func() {
		err := svc.saveSettings(ctx, s)
		return func() {
			v.saving = false
			if err != nil {
				v.w.showError(err)
			}
			if v.again {
				v.again = false
				v.save()
			}
		}
	})
}

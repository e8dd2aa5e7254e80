package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// textEntry is a text field that lets the window's shortcuts through. Fyne
// gives a shortcut to the focused field first, and a plain Entry swallows
// the ones it does not know, so Ctrl+Enter, Ctrl+N, Ctrl+F and Esc would
// do nothing while the user is typing.
type textEntry struct {
	widget.Entry
	w *mainWindow
}

func newTextEntry(w *mainWindow) *textEntry {
	e := &textEntry{w: w}
	e.ExtendBaseWidget(e)
	return e
}

// newBodyEntry is a multi-line field in which Tab moves on to the next
// field, so a keyboard user can reach the buttons.
func newBodyEntry(w *mainWindow) *bodyEntry {
	e := &bodyEntry{}
	e.w = w
	e.MultiLine = true
	e.ExtendBaseWidget(e)
	return e
}

type bodyEntry struct{ textEntry }

func (e *bodyEntry) AcceptsTab() bool { return false }

func (e *textEntry) TypedShortcut(s fyne.Shortcut) {
	if !e.w.handleShortcut(s) {
		e.Entry.TypedShortcut(s)
	}
}

func (e *textEntry) TypedKey(key *fyne.KeyEvent) {
	if key.Name == fyne.KeyEscape && e.w.dismissTopDialog() {
		return
	}
	e.Entry.TypedKey(key)
}

func (e *addressEntry) TypedShortcut(s fyne.Shortcut) {
	if !e.w.handleShortcut(s) {
		e.SelectEntry.TypedShortcut(s)
	}
}

func (e *addressEntry) TypedKey(key *fyne.KeyEvent) {
	if key.Name == fyne.KeyEscape && e.w.dismissTopDialog() {
		return
	}
	e.SelectEntry.TypedKey(key)
}

// handleShortcut runs the window's own shortcuts: Ctrl+N new message,
// Ctrl+Enter send, Ctrl+F search in Sent, Ctrl+Q quit (Cmd on macOS).
func (w *mainWindow) handleShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if ok && cs.Modifier == fyne.KeyModifierShortcutDefault && cs.KeyName == fyne.KeyQ {
		w.requestQuit() // asks first when messages are still to be sent
		return true
	}
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault || w.compose == nil {
		return false
	}
	switch cs.KeyName {
	case fyne.KeyN:
		w.selectView(w.compose.content)
		w.compose.newMessage()
	case fyne.KeyReturn, fyne.KeyEnter:
		if w.tabs.Selected().Content == w.compose.content {
			w.compose.send()
		}
	case fyne.KeyF:
		w.selectView(w.sent.content)
		w.win.Canvas().Focus(w.sent.search)
	default:
		return false
	}
	return true
}

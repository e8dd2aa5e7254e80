package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/outbox"
)

// What happens when the window closes. With nothing left to send, Postie
// quits as it always did. With messages still to send (held in their undo
// window, due, retrying or scheduled) it keeps running without its window,
// with an icon in the system tray, and quits by itself once the last one
// is sent; a scheduled message keeps it there until its time, and so does
// a message that failed meanwhile, until the user opened Postie on it (its
// notification cannot be clicked). Without a tray to come back from,
// closing asks as Quit does. Quitting with work pending always asks first,
// naming what would wait, so that no way out strands a message the user
// believes sent.

// prefTrayExplained remembers that the notification explaining the tray
// was shown; it is shown once.
const prefTrayExplained = "tray.explained"

// background is the window's life after it was closed with work pending.
// It is touched on the UI goroutine only.
type background struct {
	// pending is the work as last counted.
	pending outbox.Pending
	// counted and applied number the counts, so that a slow count
	// finishing late cannot overwrite a newer one.
	counted, applied int
	// hidden is set while the window is closed into the tray.
	hidden bool
	// quitWhenSent is set once the user chose "Send now and quit": Postie
	// quits when nothing due is left.
	quitWhenSent bool
	// resident is set for a start at login with a tray to live in: Postie
	// stays there, with nothing to send too, until the user quits.
	resident bool
	// unseenFailure is the last message that failed (or may not have been
	// sent) while the window was closed. Fyne's notifications cannot be
	// clicked, so opening Postie shows its details instead; until then it
	// keeps Postie in the tray, or the only way back to it would be gone.
	unseenFailure int64

	menu        *fyne.Menu     // the tray menu, nil until first needed
	pendingItem *fyne.MenuItem // its line saying what is waiting

	// trayHost reports whether the desktop shows tray icons; tests
	// replace it. It may block, so it runs off the UI goroutine.
	trayHost func() bool
}

// countPending counts the work still to do, off the UI goroutine, keeps
// the tray's line up to date, and hands the count to then. When the count
// fails, failed is called instead: deciding to quit on a guess could
// strand a message.
func (w *mainWindow) countPending(then func(p outbox.Pending, trayHost bool), failed func(error)) {
	if w.svc == nil { // the data folder never opened: nothing can be pending
		then(outbox.Pending{}, false)
		return
	}
	w.bg.counted++
	seq := w.bg.counted
	trayShown := w.trayShown()
	w.background(func(ctx context.Context, svc *services) func() {
		p, err := svc.pendingWork(ctx)
		hasTray := err == nil && !p.None() && trayShown()
		return func() {
			if err != nil {
				failed(err)
				return
			}
			if seq < w.bg.applied {
				return
			}
			w.bg.applied = seq
			w.bg.pending = p
			w.refreshTray()
			then(p, hasTray)
		}
	})
}

// closeOrKeepSending is what closing the window does once the message
// being written is dealt with: quit with nothing pending, go to the tray
// with work pending, or ask when there is no tray to come back from.
func (w *mainWindow) closeOrKeepSending() {
	w.countPending(func(p outbox.Pending, hasTray bool) {
		switch {
		case p.None():
			w.win.Close()
		case hasTray:
			w.hideInTray()
		default:
			w.confirmQuit(p)
		}
	}, w.confirmQuitUncounted)
}

// pendingChanged recounts after a message changed state: it updates the
// tray and quits once the work the window was kept open for is done.
func (w *mainWindow) pendingChanged() {
	if !w.bg.hidden && !w.bg.quitWhenSent && w.bg.menu == nil {
		return // nothing shows the count and nothing waits for it
	}
	w.countPending(func(p outbox.Pending, _ bool) {
		switch {
		case w.bg.quitWhenSent && p.Held+p.Due == 0:
			w.app.Quit()
		case w.bg.hidden && !w.bg.resident && w.bg.unseenFailure == 0 && p.None():
			w.app.Quit()
		}
	}, func(err error) { fyne.LogError("Cannot count the messages still to send", err) })
}

// trayShown returns a check whether a tray icon of Postie's would be seen:
// the app can have one and the desktop runs a tray host. Read on the UI
// goroutine; the check may block, so it runs off it.
func (w *mainWindow) trayShown() func() bool {
	host := w.bg.trayHost
	if host == nil {
		host = trayHostPresent
	}
	_, canTray := w.app.(desktop.App)
	return func() bool { return canTray && host() }
}

// startInBackground is a start at login (--background): the window stays
// hidden and Postie sends what is due. With a tray it lives there until
// the user quits; without one nothing would show that it runs, so it quits
// once nothing is left to send, as a window closed with work pending does.
func (w *mainWindow) startInBackground() {
	w.bg.hidden = true
	trayShown := w.trayShown()
	w.background(func(context.Context, *services) func() {
		hasTray := trayShown()
		return func() {
			if hasTray {
				w.bg.resident = true
				w.installTray()
			}
			w.pendingChanged()
		}
	})
}

// hideInTray hides the window and leaves the tray icon to bring it back.
func (w *mainWindow) hideInTray() {
	w.installTray()
	w.win.Hide()
	w.bg.hidden = true
	prefs := w.app.Preferences()
	if !prefs.Bool(prefTrayExplained) {
		prefs.SetBool(prefTrayExplained, true)
		w.notify(lang.L("Postie is still sending"),
			lang.L("Your messages go out with the window closed. Postie quits by itself once they are sent; its icon in the tray opens it again."))
	}
}

// installTray puts Postie's menu in the system tray, once.
func (w *mainWindow) installTray() {
	tray, ok := w.app.(desktop.App)
	if !ok || w.bg.menu != nil {
		return
	}
	open := fyne.NewMenuItem(lang.L("Open Postie"), w.showWindow)
	w.bg.pendingItem = fyne.NewMenuItem("", nil)
	w.bg.pendingItem.Disabled = true
	quit := fyne.NewMenuItem(lang.L("Quit"), w.requestQuit)
	quit.IsQuit = true // Fyne adds a Quit of its own, which would not ask, unless one is marked
	w.bg.menu = fyne.NewMenu("Postie", open, w.bg.pendingItem, fyne.NewMenuItemSeparator(), quit)
	w.bg.pendingItem.Label = w.pendingLine()
	tray.SetSystemTrayMenu(w.bg.menu)
}

// refreshTray rewrites the tray's line about what is waiting. Fyne builds
// the tray's items when given the menu, so it is given again.
func (w *mainWindow) refreshTray() {
	if w.bg.menu == nil {
		return
	}
	line := w.pendingLine()
	if line == w.bg.pendingItem.Label {
		return
	}
	w.bg.pendingItem.Label = line
	w.app.(desktop.App).SetSystemTrayMenu(w.bg.menu)
}

// showWindow brings the window back from the tray, on the details of the
// message that failed meanwhile, if one did.
func (w *mainWindow) showWindow() {
	w.bg.hidden = false
	w.win.Show()
	w.win.RequestFocus()
	if id := w.bg.unseenFailure; id != 0 && w.tabs != nil {
		w.bg.unseenFailure = 0
		w.refreshTray()
		w.selectView(w.outbox.content)
		w.outbox.showMessage(id)
	}
}

// failedWhileHidden remembers a message that failed with the window
// closed, for showWindow, and says so in the tray.
func (w *mainWindow) failedWhileHidden(ev outboxEvent) {
	if !w.bg.hidden || (ev.State != outbox.StateFailed && ev.State != outbox.StateUnknown) {
		return
	}
	w.bg.unseenFailure = ev.ID
	w.refreshTray()
}

// requestQuit is Quit (from the tray or Ctrl+Q): it quits at once with
// nothing pending and asks otherwise.
func (w *mainWindow) requestQuit() {
	w.countPending(func(p outbox.Pending, _ bool) {
		if p.None() {
			w.app.Quit()
			return
		}
		w.confirmQuit(p)
	}, w.confirmQuitUncounted)
}

// confirmQuitUncounted asks before quitting when what is still to send
// could not be counted: it says why, and quits only if told to.
func (w *mainWindow) confirmQuitUncounted(err error) {
	if w.bg.hidden {
		w.showWindow()
	}
	message := widget.NewLabel(errorMessage(err))
	message.Wrapping = fyne.TextWrapWord
	w.show(dialog.NewCustomConfirm(lang.L("Quit Postie?"), lang.L("Quit anyway"), lang.L("Cancel"), message,
		func(quit bool) {
			if quit {
				w.app.Quit()
			}
		}, w.win))
}

// confirmQuit asks before quitting with work pending, naming what would
// wait. Messages held or due can be sent first; leaving them is a choice
// the user makes, never a surprise.
func (w *mainWindow) confirmQuit(p outbox.Pending) {
	if w.bg.hidden {
		w.showWindow()
	}
	var d *dialog.CustomDialog
	cancel := widget.NewButton(lang.L("Cancel"), func() { d.Hide() })
	quitAnyway := widget.NewButton(lang.L("Quit anyway"), func() {
		d.Hide()
		w.app.Quit()
	})
	buttons := container.NewHBox(cancel, quitAnyway)
	if n := p.Held + p.Due; n > 0 {
		sendNow := widget.NewButton(lang.L("Send now and quit"), func() {
			d.Hide()
			w.sendThenQuit(n)
		})
		sendNow.Importance = widget.HighImportance
		buttons.Add(sendNow)
	}
	message := widget.NewLabel(waitingSentence(p) + "\n" + lang.L("What is left goes out the next time Postie runs."))
	message.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustomWithoutButtons(lang.L("Quit Postie?"),
		container.NewVBox(message, container.NewCenter(buttons)), w.win)
	w.show(d)
}

// sendThenQuit ends the undo window of the held messages and quits once
// they and the due ones are sent, showing "Sending 2 messages…" with
// Cancel meanwhile.
func (w *mainWindow) sendThenQuit(n int) {
	var d *dialog.CustomDialog
	cancel := widget.NewButton(lang.L("Cancel"), func() {
		w.bg.quitWhenSent = false
		d.Hide()
	})
	d = dialog.NewCustomWithoutButtons(lang.L("Quit Postie?"), container.NewVBox(
		widget.NewLabel(lang.XN("quit.sending-now", "Sending {{.Count}} messages…", n, countData(n))),
		widget.NewProgressBarInfinite(),
		container.NewCenter(cancel)), w.win)
	w.bg.quitWhenSent = true
	w.show(d)
	w.background(func(ctx context.Context, svc *services) func() {
		err := svc.sendHeldNow(ctx)
		return func() {
			if err != nil {
				w.bg.quitWhenSent = false
				d.Hide()
				w.showError(err)
				return
			}
			w.pendingChanged() // they may all be gone already
		}
	})
}

// pendingLine is the tray's line about what is waiting, or about the
// message that failed when nothing is.
func (w *mainWindow) pendingLine() string {
	p := w.bg.pending
	switch {
	case !p.None():
		return lang.XN("tray.waiting", "{{.Count}} messages waiting", p.Total(), countData(p.Total()))
	case w.bg.unseenFailure != 0:
		return lang.L("A message could not be sent")
	}
	return lang.L("Nothing waiting to be sent")
}

// waitingSentence names what would wait if Postie quit now, such as
// "1 message is still being sent; 3 are scheduled".
func waitingSentence(p outbox.Pending) string {
	var parts []string
	if n := p.Held + p.Due; n > 0 {
		parts = append(parts, lang.XN("quit.being-sent", "{{.Count}} messages are still being sent", n, countData(n)))
	}
	if p.Retrying > 0 {
		parts = append(parts, lang.XN("quit.retrying", "{{.Count}} messages are waiting to be tried again", p.Retrying, countData(p.Retrying)))
	}
	if p.Scheduled > 0 {
		parts = append(parts, lang.XN("quit.scheduled", "{{.Count}} messages are scheduled", p.Scheduled, countData(p.Scheduled)))
	}
	return strings.Join(parts, "; ")
}

// countData is the template data of a counted sentence.
func countData(n int) map[string]any { return map[string]any{"Count": n} }

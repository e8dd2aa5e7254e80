package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// statusBar is the strip at the bottom of the window: the "Sending…
// Undo" notice during the undo window, upload progress with Cancel, and
// short confirmations.
type statusBar struct {
	w       *mainWindow
	content *fyne.Container

	message  *widget.Label
	undo     *widget.Button
	progress *widget.ProgressBar
	cancel   *widget.Button

	undoID      int64
	undoTimer   *time.Timer
	flashTimer  *time.Timer
	uploadingID int64
}

func newStatusBar(w *mainWindow) *statusBar {
	s := &statusBar{w: w, message: widget.NewLabel(""), progress: widget.NewProgressBar()}
	s.undo = widget.NewButton(lang.L("Undo"), s.undoSend)
	s.undo.Importance = widget.HighImportance
	s.cancel = widget.NewButton(lang.L("Cancel"), s.cancelUpload)
	s.progress.TextFormatter = func() string { return "" }
	s.content = container.NewBorder(nil, nil, nil, container.NewHBox(s.undo, s.cancel), container.NewVBox(s.message, s.progress))
	s.hideAll()
	return s
}

func (s *statusBar) hideAll() {
	s.undo.Hide()
	s.cancel.Hide()
	s.progress.Hide()
	s.content.Hide()
}

// showUndo announces a queued message and offers to take it back until the
// undo window ends.
func (s *statusBar) showUndo(id int64) {
	window := s.w.svc.undoWindow()
	if window <= 0 {
		s.flash(lang.L("Sending…"))
		return
	}
	s.undoID = id
	s.message.SetText(fmt.Sprintf(lang.L("Sending in %d seconds…"), int(window.Seconds())))
	s.undo.Show()
	s.content.Show()
	if s.undoTimer != nil {
		s.undoTimer.Stop()
	}
	s.undoTimer = s.w.later(window, func() {
		if s.undoID == id {
			s.undoID = 0
			s.hideAll()
		}
	})
}

func (s *statusBar) undoSend() {
	id := s.undoID
	if id == 0 {
		return
	}
	s.undoID = 0
	s.hideAll()
	s.w.background(func(ctx context.Context, svc *services) func() {
		c, err := svc.undo(ctx, id)
		return func() {
			if err != nil {
				s.w.showError(err)
				return
			}
			s.w.compose.restore(c)
			s.flash(lang.L("Sending cancelled. The message is back in the composer."))
		}
	})
}

// showProgress shows an upload in progress.
func (s *statusBar) showProgress(id int64, written, total int64) {
	if s.undoID != 0 {
		return // the undo notice has the bar until the window ends
	}
	s.uploadingID = id
	s.message.SetText(fmt.Sprintf(lang.L("Uploading: %s of %s"), formatSize(written), formatSize(total)))
	if total > 0 {
		s.progress.SetValue(float64(written) / float64(total))
	}
	s.progress.Show()
	s.cancel.Show()
	s.content.Show()
}

func (s *statusBar) uploadFinished(id int64) {
	if s.uploadingID != id {
		return
	}
	s.uploadingID = 0
	s.hideAll()
}

func (s *statusBar) cancelUpload() {
	id := s.uploadingID
	if id == 0 {
		return
	}
	s.w.background(func(ctx context.Context, svc *services) func() {
		c, err := svc.cancelSend(ctx, id)
		return func() {
			if err != nil {
				s.w.showError(err)
				return
			}
			s.uploadFinished(id)
			s.w.compose.restore(c)
			s.flash(lang.L("Sending cancelled. The message is back in the composer."))
		}
	})
}

// flash shows a short confirmation for a few seconds.
func (s *statusBar) flash(text string) {
	if s.undoID != 0 || s.uploadingID != 0 {
		return
	}
	s.hideAll()
	s.message.SetText(text)
	s.content.Show()
	if s.flashTimer != nil {
		s.flashTimer.Stop()
	}
	s.flashTimer = s.w.later(4*time.Second, func() {
		if s.undoID == 0 && s.uploadingID == 0 {
			s.hideAll()
		}
	})
}

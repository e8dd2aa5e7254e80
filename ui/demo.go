package ui

import (
	"context"
	"errors"
	"io"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/demo"
)

// maxShownBytes caps how much of a received message the Demo inbox shows.
const maxShownBytes = 256 << 10

// demoInboxView shows what the demo server received, exactly as it arrived,
// headers included.
type demoInboxView struct {
	w        *mainWindow
	content  fyne.CanvasObject
	list     *widget.List
	raw      *widget.Label
	received []demo.Received
}

func newDemoInboxView(w *mainWindow) *demoInboxView {
	v := &demoInboxView{w: w, raw: monospace(lang.L("Messages you send in demo mode arrive here."))}
	v.list = widget.NewList(
		func() int { return len(v.received) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.ListItemID, obj fyne.CanvasObject) {
			r := v.received[id]
			obj.(*widget.Label).SetText(formatWhen(r.ReceivedAt) + "  " + subjectOrPlaceholder(r.Subject) + " – " + r.From)
		})
	v.list.OnSelected = func(id widget.ListItemID) { v.showMessage(v.received[id].Path) }
	split := container.NewHSplit(v.list, container.NewScroll(v.raw))
	split.Offset = 0.3
	v.content = split
	w.svc.demo.OnReceive(func(demo.Received) { w.later(0, v.reload) })
	v.reload()
	return v
}

func (v *demoInboxView) reload() {
	server := v.w.svc.demo
	v.w.background(func(_ context.Context, svc *services) func() {
		received, err := server.Inbox()
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			v.received = received
			v.list.Refresh()
			if len(received) > 0 {
				v.list.Select(0) // the newest
			}
		}
	})
}

func (v *demoInboxView) showMessage(path string) {
	v.w.background(func(_ context.Context, svc *services) func() {
		data, err := readHead(path, maxShownBytes)
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			v.raw.SetText(string(data))
		}
	})
}

// readHead reads at most n bytes of a file.
func readHead(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	read, err := io.ReadFull(f, buf)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = nil
	}
	return buf[:read], err
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// wrapLayout places objects side by side at their minimum size and starts
// a new line when the next one does not fit. Its minimum width is that of
// the widest object, whatever width it was laid out at last: Fyne's
// RowWrapLayout keeps the width of its last layout as its minimum, so a
// row of buttons once shown wide could never let its pane narrow again.
type wrapLayout struct {
	width float32 // the width of the last layout; 0 before the first
}

// newWrapBox is a container whose objects wrap onto more lines as needed.
func newWrapBox(objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(&wrapLayout{}, objects...)
}

func (l *wrapLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var widest float32
	for _, o := range objects {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	width := l.width
	if width == 0 {
		width = float32(1 << 20) // one line until the real width is known
	}
	return fyne.NewSize(widest, l.place(objects, max(width, widest), false))
}

func (l *wrapLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	l.width = size.Width
	l.place(objects, size.Width, true)
}

// place lines the objects up within width, moving them when move is set,
// and returns the height they take.
func (l *wrapLayout) place(objects []fyne.CanvasObject, width float32, move bool) float32 {
	pad := theme.Padding()
	var x, y, lineHeight float32
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		size := o.MinSize()
		if x > 0 && x+size.Width > width {
			x, y, lineHeight = 0, y+lineHeight+pad, 0
		}
		if move {
			o.Move(fyne.NewPos(x, y))
			o.Resize(size)
		}
		x += size.Width + pad
		lineHeight = max(lineHeight, size.Height)
	}
	return y + lineHeight
}

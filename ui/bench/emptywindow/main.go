// Command emptywindow is the reference for Postie's start-up benchmark
// (ui/bench/startup.sh): the least a Fyne program can do to show a window. It opens one
// window titled "Empty", of the size Postie's window opens at (960×680),
// showing nothing but the theme's background, and runs until that window is
// closed.
//
// Its content is an empty container rather than none: Fyne draws a window
// only once its canvas is marked dirty, which SetContent does, and a window
// without content waits for an unrelated later event (about half a second
// under Xvfb) before its first frame. That wait is no cost of opening a
// window, and measuring against it would flatter Postie.
//
// It must stay minimal: anything added here makes Postie look faster.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
)

func main() {
	a := app.New()
	w := a.NewWindow("Empty")
	w.SetContent(container.NewWithoutLayout())
	w.Resize(fyne.NewSize(960, 680))
	w.ShowAndRun()
}

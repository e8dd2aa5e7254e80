package ui

// The composer's attachments: choosing, checking and listing files, and
// their total against the server's size limit.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

type attachedFile struct {
	path string
	size int64 // sizeUnknown until it has been read
}

// sizeUnknown is the size of a restored attachment while it is being read.
const sizeUnknown = -1

func (v *composeView) chooseAttachment() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.w.showError(err)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		v.attachPath(path)
	}, v.w.win)
	v.w.show(d)
}

// attachPath adds a file, checking it first off the UI goroutine.
func (v *composeView) attachPath(path string) {
	v.w.background(func(_ context.Context, svc *services) func() {
		info, err := os.Stat(path)
		return func() {
			switch {
			case err != nil:
				v.w.showError(fmt.Errorf(lang.L("The file %s cannot be attached: %v"), path, plainFileError(err)))
			case info.IsDir():
				v.w.showError(fmt.Errorf(lang.L("%s is a folder; only files can be attached."), path))
			default:
				v.attachments = append(v.attachments, attachedFile{path: path, size: info.Size()})
				v.refreshAttachments()
				v.changed()
			}
		}
	})
}

// restoreAttachments lists a draft's attachments at once and reads their
// sizes off the UI goroutine. A file that has gone since is still listed,
// so that sending names it as missing.
func (v *composeView) restoreAttachments(paths []string) {
	v.attachments = nil
	for _, p := range paths {
		v.attachments = append(v.attachments, attachedFile{path: p, size: sizeUnknown})
	}
	v.refreshAttachments()
	if len(paths) == 0 {
		return
	}
	v.w.background(func(context.Context, *services) func() {
		sizes := make(map[string]int64, len(paths))
		for _, p := range paths {
			sizes[p] = 0
			if info, err := os.Stat(p); err == nil {
				sizes[p] = info.Size()
			}
		}
		return func() {
			// The list may have changed meanwhile (another message loaded,
			// a file removed or added): fill in only what is still unknown.
			for i, a := range v.attachments {
				if size, ok := sizes[a.path]; ok && a.size == sizeUnknown {
					v.attachments[i].size = size
				}
			}
			v.refreshAttachments()
		}
	})
}

func plainFileError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return lang.L("the file does not exist")
	case errors.Is(err, os.ErrPermission):
		return lang.L("you are not allowed to read it")
	}
	return err.Error()
}

func (v *composeView) refreshAttachments() {
	v.attachList.RemoveAll()
	for i, a := range v.attachments {
		remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			v.attachments = append(v.attachments[:i:i], v.attachments[i+1:]...)
			v.refreshAttachments()
			v.changed()
		})
		remove.Importance = widget.LowImportance
		size := "…"
		if a.size != sizeUnknown {
			size = formatSize(a.size)
		}
		v.attachList.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), remove,
			widget.NewLabel(fmt.Sprintf("%s (%s)", filepath.Base(a.path), size))))
	}
	v.updateTotal()
}

// updateTotal shows the attachments' total and checks it against the
// server's limit once that limit is known.
func (v *composeView) updateTotal() {
	if len(v.attachments) == 0 {
		v.attachTotal.SetText("")
		return
	}
	var total int64
	for _, a := range v.attachments {
		if a.size != sizeUnknown {
			total += a.size
		}
	}
	text := fmt.Sprintf(lang.L("%d attached, %s in all"), len(v.attachments), formatSize(total))
	v.attachTotal.Importance = widget.MediumImportance
	// Attachments grow by a third in transit (base64).
	if limit := v.account(v.from.SelectedIndex()).MaxMessageSize; limit > 0 && total*4/3 > limit {
		text += " – " + fmt.Sprintf(lang.L("too large: this server accepts at most %s"), formatSize(limit))
		v.attachTotal.Importance = widget.DangerImportance
	}
	v.attachTotal.SetText(text)
}

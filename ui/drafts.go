package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// showDrafts lists the saved drafts, newest first, to open one in the
// composer or delete it. The message being written is saved first, so
// opening another loses nothing.
func (v *composeView) showDrafts() {
	current, dirty, generation := v.current(), v.dirty, v.generation
	v.stopAutosave()
	v.w.background(func(ctx context.Context, svc *services) func() {
		var savedID int64
		var err error
		if dirty {
			savedID, err = svc.saveDraft(ctx, current)
		}
		var drafts []composition
		if err == nil {
			drafts, err = svc.drafts(ctx)
		}
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			if dirty && v.generation == generation {
				v.draftID = savedID
				if v.current().SameContent(current) {
					v.dirty = false
				}
			}
			v.openDraftsDialog(drafts)
		}
	})
}

func (v *composeView) openDraftsDialog(drafts []composition) {
	if len(drafts) == 0 {
		v.w.showInfo(lang.L("Drafts"), lang.L("There are no saved drafts."))
		return
	}
	var d dialog.Dialog
	rows := container.NewVBox()
	for _, draft := range drafts {
		title := fmt.Sprintf("%s – %s", subjectOrPlaceholder(draft.Subject), draftRecipients(draft))
		open := widget.NewButtonWithIcon(title, theme.DocumentIcon(), func() {
			d.Hide()
			v.load(draft)
			v.w.selectView(v.content)
		})
		open.Alignment = widget.ButtonAlignLeading
		var row *fyne.Container
		remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			v.deleteDraft(draft.ID, func() { rows.Remove(row) })
		})
		remove.Importance = widget.LowImportance
		row = container.NewBorder(nil, nil, nil, remove, open)
		rows.Add(row)
	}
	d = dialog.NewCustom(lang.L("Drafts"), lang.L("Close"), container.NewVScroll(rows), v.w.win)
	d.Resize(fyne.NewSize(560, 400))
	v.w.show(d)
}

func draftRecipients(d composition) string {
	if d.To == "" {
		return lang.L("no recipient yet")
	}
	return d.To
}

// deleteDraft removes a draft; the composer forgets it if it holds it.
func (v *composeView) deleteDraft(id int64, removed func()) {
	v.w.background(func(ctx context.Context, svc *services) func() {
		err := svc.deleteDraft(ctx, id)
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			if v.draftID == id {
				v.draftID = 0
			}
			removed()
		}
	})
}

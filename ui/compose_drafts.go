package ui

// The composer's drafts: autosave, the draft restored at start-up, saving
// and discarding, and a sent message brought back.

import (
	"context"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// changed marks the message as edited and schedules an autosave.
func (v *composeView) changed() {
	if v.loading {
		return
	}
	v.dirty = true
	v.stopAutosave()
	v.autosave = v.w.later(v.w.autosaveDelay, func() { v.saveDraft(false) })
}

func (v *composeView) stopAutosave() {
	if v.autosave != nil {
		v.autosave.Stop()
	}
}

// loadAccountsAndDraft fills the From picker, then restores the draft that
// was being written when Postie last closed or crashed, in that order, so
// the draft's account can be selected. An email link that started Postie,
// or arrived meanwhile, wins over the draft: it is what the user asked to
// write now, and the draft stays in Drafts.
func (v *composeView) loadAccountsAndDraft() {
	v.w.background(func(ctx context.Context, svc *services) func() {
		list, err := svc.listAccounts(ctx)
		var draft composition
		found := false
		if err == nil {
			draft, found, err = svc.latestDraft(ctx)
		}
		return func() {
			links := v.pendingLinks
			v.loaded, v.pendingLinks = true, nil
			if err != nil {
				v.w.showError(err)
			} else {
				v.showAccounts(list)
			}
			switch {
			case len(links) > 0:
				for _, link := range links {
					v.openLink(link)
				}
			case err != nil:
				// Shown above; there is no draft to restore.
			case found:
				v.load(draft)
			default:
				v.clear()
			}
		}
	})
}

// saveDraft stores the fields; a visible save also confirms it.
func (v *composeView) saveDraft(visible bool) {
	if !v.dirty && !visible {
		return
	}
	c := v.current()
	generation := v.generation
	v.w.background(func(ctx context.Context, svc *services) func() {
		id, err := svc.saveDraft(ctx, c)
		return func() {
			if err != nil {
				v.w.showError(err)
				return
			}
			if v.generation != generation {
				return // the composer holds another message now
			}
			v.draftID = id
			if v.current().SameContent(c) {
				v.dirty = false
			}
			if visible {
				v.w.status.flash(lang.L("Draft saved."))
			}
		}
	})
}

// confirmDiscard asks what to do with unsaved changes, then calls done.
func (v *composeView) confirmDiscard(done func()) {
	var d *dialog.CustomDialog
	save := widget.NewButton(lang.L("Save draft"), func() {
		d.Hide()
		c := v.current()
		v.w.background(func(ctx context.Context, svc *services) func() {
			_, err := svc.saveDraft(ctx, c)
			return func() {
				if err != nil {
					v.w.showError(err)
					return
				}
				done()
			}
		})
	})
	save.Importance = widget.HighImportance
	discard := widget.NewButton(lang.L("Discard"), func() {
		d.Hide()
		v.stopAutosave()
		id := v.draftID
		v.w.background(func(ctx context.Context, svc *services) func() {
			err := svc.deleteDraft(ctx, id)
			return func() {
				if err != nil {
					v.w.showError(err)
				}
				done()
			}
		})
	})
	cancel := widget.NewButton(lang.L("Cancel"), func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(lang.L("Save this message as a draft?"),
		container.NewVBox(
			widget.NewLabel(lang.L("The message has changes that are not saved.")),
			container.NewHBox(save, discard, cancel)),
		v.w.win)
	v.w.show(d)
}

// restore puts an undone message back into the composer.
func (v *composeView) restore(c composition) {
	if v.dirty {
		v.saveDraft(false)
	}
	v.w.selectView(v.content)
	v.load(c)
	v.dirty = true
}

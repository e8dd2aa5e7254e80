package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postie-app/postie/mail/outbox"
)

// listKind tells the Outbox from the Sent view.
type listKind int

const (
	outboxList listKind = iota // waiting, retrying, failed or uncertain
	sentList                   // accepted by the server
)

// pageSize is how many rows one query fetches. The list widget recycles
// its rows, so only the pages in view are ever loaded, and the views stay
// smooth with 100,000 messages.
const pageSize = 100

// messageSummary is one row of the Outbox or Sent list.
type messageSummary struct {
	ID         int64
	State      outbox.State
	Recipients string
	Subject    string
	When       time.Time
}

// messageList is the Outbox or the Sent view: a search box, a recycled list
// backed by paged queries, and the selected message's details.
type messageList struct {
	w       *mainWindow
	kind    listKind
	content fyne.CanvasObject
	search  *textEntry
	list    *widget.List
	details *detailsView
	empty   *widget.Label

	query      string
	total      int
	pages      map[int][]messageSummary // page number → rows
	loading    map[int]bool
	generation int // bumped on reload so stale pages are dropped
	selectedID int64

	searchTimer *time.Timer
}

// searchDelay is how long the search waits after the last key.
const searchDelay = 300 * time.Millisecond

func newMessageList(w *mainWindow, kind listKind) *messageList {
	m := &messageList{w: w, kind: kind, pages: map[int][]messageSummary{}, loading: map[int]bool{}}
	m.search = newTextEntry(w)
	m.search.SetPlaceHolder(lang.L("Search subject, recipients and text"))
	m.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	m.search.OnChanged = func(q string) {
		// Search once typing pauses, not on every key.
		if m.searchTimer != nil {
			m.searchTimer.Stop()
		}
		m.searchTimer = w.later(searchDelay, func() {
			m.query = strings.TrimSpace(q)
			m.reload()
		})
	}
	m.list = widget.NewList(func() int { return m.total }, m.newRow, m.updateRow)
	m.list.OnSelected = func(id widget.ListItemID) {
		if row, ok := m.row(id); ok {
			m.selectedID = row.ID
			m.details.show(row.ID)
		}
	}
	m.details = newDetailsView(w, m)
	emptyText := lang.L("Nothing is waiting to be sent.")
	if kind == sentList {
		emptyText = lang.L("No message has been sent yet.")
	}
	m.empty = widget.NewLabelWithStyle(emptyText, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	left := container.NewBorder(m.search, nil, nil, nil, container.NewStack(m.list, container.NewCenter(m.empty)))
	split := container.NewHSplit(left, m.details.content)
	split.Offset = 0.45
	m.content = split
	m.reload()
	return m
}

// row is the summary at index id, starting to load its page when it is not
// there yet.
func (m *messageList) row(id int) (messageSummary, bool) {
	page := id / pageSize
	rows, ok := m.pages[page]
	if !ok {
		m.loadPage(page)
		return messageSummary{}, false
	}
	if i := id % pageSize; i < len(rows) {
		return rows[i], true
	}
	return messageSummary{}, false
}

func (m *messageList) loadPage(page int) {
	if m.loading[page] {
		return
	}
	m.loading[page] = true
	generation, query := m.generation, m.query
	m.w.background(func(ctx context.Context, svc *services) func() {
		rows, err := svc.listMessages(ctx, m.kind, query, page*pageSize, pageSize)
		return func() {
			if generation != m.generation {
				return
			}
			delete(m.loading, page)
			if err != nil {
				m.w.showError(err)
				return
			}
			m.pages[page] = rows
			m.list.Refresh()
		}
	})
}

// reload counts the matching messages again and drops the cached pages.
func (m *messageList) reload() {
	if m.w.svc == nil {
		return
	}
	m.generation++
	generation, query := m.generation, m.query
	m.w.background(func(ctx context.Context, svc *services) func() {
		total, err := svc.countMessages(ctx, m.kind, query)
		var first []messageSummary
		if err == nil && total > 0 {
			first, err = svc.listMessages(ctx, m.kind, query, 0, pageSize)
		}
		return func() {
			if generation != m.generation {
				return
			}
			if err != nil {
				m.w.showError(err)
				return
			}
			m.total = total
			m.pages = map[int][]messageSummary{0: first}
			m.loading = map[int]bool{}
			m.empty.Hidden = total > 0
			m.empty.Refresh()
			m.list.Refresh()
			if m.selectedID != 0 {
				m.details.show(m.selectedID)
			}
		}
	})
}

// messageRow is one recycled row: state icon and word, recipients, time
// and subject.
type messageRow struct {
	widget.BaseWidget
	icon       *widget.Icon
	state      *widget.Label
	recipients *widget.Label
	subject    *widget.Label
	when       *widget.Label
}

func newMessageRow() *messageRow {
	r := &messageRow{
		icon:       widget.NewIcon(theme.MailSendIcon()),
		state:      widget.NewLabel(""),
		recipients: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		subject:    widget.NewLabel(""),
		when:       widget.NewLabel(""),
	}
	r.recipients.Truncation = fyne.TextTruncateEllipsis
	r.subject.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

func (r *messageRow) CreateRenderer() fyne.WidgetRenderer {
	top := container.NewBorder(nil, nil, container.NewHBox(r.icon, r.state), r.when, r.recipients)
	return widget.NewSimpleRenderer(container.NewVBox(top, r.subject))
}

func (m *messageList) newRow() fyne.CanvasObject { return newMessageRow() }

func (m *messageList) updateRow(id widget.ListItemID, obj fyne.CanvasObject) {
	r := obj.(*messageRow)
	row, ok := m.row(id)
	if !ok {
		r.state.SetText("…")
		r.recipients.SetText("")
		r.subject.SetText("")
		r.when.SetText("")
		return
	}
	icon, word := stateLook(row.State)
	r.icon.SetResource(icon)
	r.state.SetText(word)
	r.recipients.SetText(row.Recipients)
	subject := row.Subject
	if subject == "" {
		subject = lang.L("(no subject)")
	}
	r.subject.SetText(subject)
	r.when.SetText(formatWhen(row.When))
}

// stateLook is the icon and the word shown for a message's state.
func stateLook(state outbox.State) (fyne.Resource, string) {
	switch state {
	case outbox.StateDraft:
		return theme.DocumentIcon(), lang.L("Draft")
	case outbox.StateQueued:
		return theme.HistoryIcon(), lang.L("Waiting")
	case outbox.StateSending:
		return theme.UploadIcon(), lang.L("Sending")
	case outbox.StateSent:
		// Its own key: the Sent view is plural in some languages.
		return theme.ConfirmIcon(), lang.X("state.sent", "Sent")
	case outbox.StateRetrying:
		return theme.ViewRefreshIcon(), lang.L("Will retry")
	case outbox.StateFailed:
		return theme.ErrorIcon(), lang.L("Failed")
	case outbox.StateUnknown:
		return theme.QuestionIcon(), lang.L("Uncertain")
	}
	return theme.QuestionIcon(), string(state)
}

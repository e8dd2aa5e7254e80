package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
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
	columns    rowColumns // measured once per text size, shared by the rows

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
	m.empty.Wrapping = fyne.TextWrapWord
	left := container.NewBorder(m.search, nil, nil, nil, container.NewStack(m.list, centred(m.empty)))
	split := container.NewHSplit(left, m.details.content)
	split.Offset = 0.45
	m.content = split
	m.reload()
	return m
}

// showMessage selects the message id and shows its details, as a tap on
// its row does; the row is highlighted when it is among the rows loaded.
func (m *messageList) showMessage(id int64) {
	m.list.UnselectAll() // Select does nothing for the row already selected
	for page, rows := range m.pages {
		for i, row := range rows {
			if row.ID == id {
				m.list.Select(page*pageSize + i) // OnSelected shows the details
				return
			}
		}
	}
	m.selectedID = id
	m.details.show(id)
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

// messageRow is one recycled row, on two lines: the recipients and the
// time, then the state (icon and word) and the subject.
type messageRow struct {
	widget.BaseWidget
	list       *messageList
	icon       *widget.Icon
	state      *widget.Label
	recipients *widget.Label
	subject    *widget.Label
	when       *widget.Label
}

func newMessageRow(list *messageList) *messageRow {
	r := &messageRow{
		list:       list,
		icon:       widget.NewIcon(theme.MailSendIcon()),
		state:      widget.NewLabel(""),
		recipients: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		subject:    widget.NewLabel(""),
		when:       widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{}),
	}
	// The layout gives the state word and the time room for their widest
	// text; the ellipsis only guards against a text it does not know.
	for _, l := range []*widget.Label{r.state, r.recipients, r.subject, r.when} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *messageRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.New(&messageRowLayout{r},
		r.recipients, r.when, r.icon, r.state, r.subject))
}

// messageRowLayout places a row's parts in fixed columns. The list takes
// its minimum width from the row's, and the split beside the details
// respects it, so the row's minimum is what keeps the list readable: the
// widest state word and the longest time in full, and a readable start of
// the recipients and of the subject. Two lines keep that minimum narrow
// enough to leave the details their room at 800×600.
type messageRowLayout struct{ row *messageRow }

func (l *messageRowLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	r := l.row
	th := r.Theme()
	c := r.list.rowColumns(th)
	pad := th.Size(theme.SizeNamePadding)
	first := c.readable + pad + c.time
	second := c.iconOffset + th.Size(theme.SizeNameInlineIcon) + c.state + c.readable
	return fyne.NewSize(max(first, second), l.lineHeight(1)+pad+l.lineHeight(2))
}

func (l *messageRowLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	r := l.row
	th := r.Theme()
	c := r.list.rowColumns(th)
	pad := th.Size(theme.SizeNamePadding)
	iconSize := th.Size(theme.SizeNameInlineIcon)

	first := l.lineHeight(1)
	r.recipients.Move(fyne.NewPos(0, 0))
	r.recipients.Resize(fyne.NewSize(max(0, size.Width-c.time-pad), first))
	r.when.Move(fyne.NewPos(size.Width-c.time, 0))
	r.when.Resize(fyne.NewSize(c.time, first))

	y, second := first+pad, l.lineHeight(2)
	r.icon.Move(fyne.NewPos(c.iconOffset, y+(second-iconSize)/2))
	r.icon.Resize(fyne.NewSquareSize(iconSize))
	stateX := c.iconOffset + iconSize
	r.state.Move(fyne.NewPos(stateX, y))
	r.state.Resize(fyne.NewSize(c.state, second))
	subjectX := stateX + c.state
	r.subject.Move(fyne.NewPos(subjectX, y))
	r.subject.Resize(fyne.NewSize(max(0, size.Width-subjectX), second))
}

// lineHeight is the height of the row's first or second line.
func (l *messageRowLayout) lineHeight(line int) float32 {
	r := l.row
	if line == 1 {
		return max(r.recipients.MinSize().Height, r.when.MinSize().Height)
	}
	return max(r.state.MinSize().Height, r.subject.MinSize().Height)
}

// rowColumns are the widths a row reserves, measured in the current
// language and text size.
type rowColumns struct {
	textSize float32
	// state fits the widest word of the states this list shows, time the
	// longest time, each with its label's inner padding.
	state, time float32
	// readable is the least room the recipients and the subject get.
	readable float32
	// iconOffset lines the state icon up with the recipients' text.
	iconOffset float32
}

// readableEms is the readable minimum of the recipients and the subject,
// in multiples of the text size: a dozen characters or so.
const readableEms = 8

func (m *messageList) rowColumns(th fyne.Theme) rowColumns {
	textSize := th.Size(theme.SizeNameText)
	if m.columns.textSize == textSize {
		return m.columns
	}
	innerPad := th.Size(theme.SizeNameInnerPadding)
	c := rowColumns{textSize: textSize, readable: readableEms*textSize + 2*innerPad, iconOffset: innerPad}
	for _, state := range statesOf(m.kind) {
		_, word := stateLook(state)
		c.state = max(c.state, fyne.MeasureText(word, textSize, fyne.TextStyle{}).Width)
	}
	// Digits need not be equally wide: measure the layout with each.
	for digit := '0'; digit <= '9'; digit++ {
		sample := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return digit
			}
			return r
		}, dateTimeLayout)
		c.time = max(c.time, fyne.MeasureText(sample, textSize, fyne.TextStyle{}).Width)
	}
	// A pixel more than measured: the labels' own sums must not round to
	// an ellipsis.
	c.state += 2*innerPad + 1
	c.time += 2*innerPad + 1
	m.columns = c
	return c
}

func (m *messageList) newRow() fyne.CanvasObject { return newMessageRow(m) }

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
	case outbox.StateWaitingForSignIn:
		return theme.AccountIcon(), lang.L("Waiting for sign-in")
	}
	return theme.QuestionIcon(), string(state)
}

// centredNote is a note in italics in the middle of a pane.
func centredNote(text string) fyne.CanvasObject {
	note := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	note.Wrapping = fyne.TextWrapWord
	return centred(note)
}

// centred puts a wrapping label in the middle of a pane. Unlike
// container.NewCenter, which gives it only its minimum width, it lets the
// label use the pane's width and wrap, so a long sentence, in German say,
// does not make the pane wider.
func centred(label *widget.Label) fyne.CanvasObject {
	return container.NewVBox(layout.NewSpacer(), label, layout.NewSpacer())
}

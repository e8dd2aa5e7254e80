package ui

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// sendLaterPicker chooses when a scheduled message goes out: a quick choice
// or a date and a time.
type sendLaterPicker struct {
	content fyne.CanvasObject
	date    *widget.DateEntry
	clock   *widget.Entry
	problem *widget.Label // why the last choice cannot be used
	now     func() time.Time
}

func newSendLaterPicker() *sendLaterPicker {
	p := &sendLaterPicker{date: widget.NewDateEntry(), clock: widget.NewEntry(), problem: problemLabel(), now: time.Now}
	p.clock.SetPlaceHolder("08:00")
	p.set(p.now().Add(time.Hour).Truncate(time.Minute))
	quick := container.NewHBox(
		widget.NewButton(lang.L("In 1 hour"), func() { p.set(p.now().Add(time.Hour)) }),
		widget.NewButton(lang.L("Tomorrow morning"), func() { p.set(morning(p.now().AddDate(0, 0, 1))) }),
		widget.NewButton(lang.L("Monday morning"), func() { p.set(nextMonday(p.now())) }),
	)
	p.content = container.NewVBox(quick, widget.NewForm(
		widget.NewFormItem(lang.L("Date"), p.date),
		widget.NewFormItem(lang.L("Time"), p.clock),
	), p.problem)
	return p
}

func (p *sendLaterPicker) set(t time.Time) {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
	p.date.SetDate(&day)
	p.clock.SetText(t.Format("15:04"))
}

// time is the chosen moment; it must lie in the future.
func (p *sendLaterPicker) time() (time.Time, error) {
	if p.date.Date == nil {
		return time.Time{}, errors.New(lang.L("Choose a date."))
	}
	clock, err := time.Parse("15:04", p.clock.Text)
	if err != nil {
		return time.Time{}, fmt.Errorf(lang.L("%q is not a time of day; write it like 08:30."), p.clock.Text)
	}
	d := *p.date.Date
	when := time.Date(d.Year(), d.Month(), d.Day(), clock.Hour(), clock.Minute(), 0, 0, time.Local)
	if !when.After(p.now()) {
		return time.Time{}, errors.New(lang.L("That time has already passed."))
	}
	return when, nil
}

func morning(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 8, 0, 0, 0, time.Local)
}

func nextMonday(t time.Time) time.Time {
	days := (int(time.Monday) - int(t.Weekday()) + 7) % 7
	if days == 0 {
		days = 7
	}
	return morning(t.AddDate(0, 0, days))
}

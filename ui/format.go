package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2/lang"
)

// formatSize shows a byte count the way people read file sizes (SI units,
// as file managers do).
func formatSize(n int64) string {
	switch {
	case n == 1:
		return lang.L("1 byte")
	case n < 1000:
		return fmt.Sprintf(lang.L("%d bytes"), n)
	case n < 1000*1000:
		return fmt.Sprintf(lang.L("%.0f kB"), float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf(lang.L("%.1f MB"), float64(n)/1e6)
	}
	return fmt.Sprintf(lang.L("%.1f GB"), float64(n)/1e9)
}

// The layouts of formatWhen: the time alone today, else the date and time
// in ISO 8601 order, which reads the same in every language (Go's layouts
// would print English month and day names).
const (
	timeOfDayLayout = "15:04"
	dateTimeLayout  = "2006-01-02 15:04"
)

// formatWhen shows a time: the time alone today, else the date and time.
func formatWhen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	y1, m1, d1 := time.Now().Date()
	if y2, m2, d2 := t.Date(); y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format(timeOfDayLayout)
	}
	return t.Format(dateTimeLayout)
}

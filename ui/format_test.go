package ui

import (
	"testing"
	"time"
)

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:             "0 bytes",
		1:             "1 byte",
		999:           "999 bytes",
		1000:          "1 kB",
		25_400:        "25 kB",
		1_500_000:     "1.5 MB",
		2_000_000_000: "2.0 GB",
	} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatWhen(t *testing.T) {
	now := time.Now()
	if got, want := formatWhen(now), now.Format("15:04"); got != want {
		t.Errorf("today: %q, want the time alone, %q", got, want)
	}
	past := time.Date(2024, 3, 9, 7, 5, 0, 0, time.Local)
	if got := formatWhen(past); got != "2024-03-09 07:05" {
		t.Errorf("another day: %q, want the date and time in ISO order", got)
	}
	if got := formatWhen(past.UTC()); got != "2024-03-09 07:05" {
		t.Errorf("a UTC time: %q, want it in local time", got)
	}
	if got := formatWhen(time.Time{}); got != "" {
		t.Errorf("no time: %q, want nothing", got)
	}
}

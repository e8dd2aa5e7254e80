package outbox

import (
	"fmt"
	"time"
)

// retryDelays is the wait after each consecutive temporary failure: 1, 5,
// 15 and 30 minutes, then every hour until Settings.RetryLimit.
var retryDelays = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

// retryDelay is the wait after the n-th consecutive temporary failure
// (n ≥ 1).
func retryDelay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > len(retryDelays) {
		n = len(retryDelays)
	}
	return retryDelays[n-1]
}

// nextAttempt says when to try again after the n-th temporary failure at
// now, for a message first tried at first; ok is false when that would be
// past the retry limit, and the message has failed for good.
func nextAttempt(now, first time.Time, n int, limit time.Duration) (time.Time, bool) {
	next := now.Add(retryDelay(n))
	if next.After(first.Add(limit)) {
		return time.Time{}, false
	}
	return next, true
}

// gaveUpSentence explains a message that failed because it was retried
// for too long.
func gaveUpSentence(limit time.Duration, last string) string {
	return fmt.Sprintf("Postie tried to send this message for %s without success and has stopped trying. The last problem was: %s",
		plainDuration(limit), last)
}

// plainDuration writes a duration as people say it: "2 days", "90 minutes".
func plainDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d == time.Hour:
		return "1 hour"
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d == time.Minute:
		return "1 minute"
	}
	return fmt.Sprintf("%d seconds", d/time.Second)
}

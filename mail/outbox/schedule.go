package outbox

import (
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

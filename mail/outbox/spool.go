package outbox

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/postie-app/postie/mail/store"
)

// The spool keeps the exact bytes of every queued message as an .eml file
// in <data dir>/messages. A file is complete and synced to disk before the
// row that names it is committed, so a row never points at a partial file;
// a file without a row (a crash between the two) is removed later.

const (
	spoolSuffix = ".eml"
	tempSuffix  = ".tmp"
	// orphanAge is how old a file without a row must be before it is
	// removed, so that another process's enqueue in progress is left alone.
	orphanAge = time.Hour
)

// prepareSpool makes the spool folder private to the user (0700); when it
// was open to others, the messages already in it become 0600 too.
func prepareSpool(dir string) error {
	wasOpen, err := store.MakePrivateDir(dir)
	if err != nil {
		return fmt.Errorf("cannot prepare the folder for outgoing messages: %w", err)
	}
	if wasOpen {
		return store.MakeTreePrivate(dir)
	}
	return nil
}

// spoolWriter counts what goes through it and notes whether any byte has
// the high bit set, which decides whether the message needs 8BITMIME.
type spoolWriter struct {
	w        io.Writer
	n        int64
	eightBit bool
}

func (s *spoolWriter) Write(p []byte) (int, error) {
	if !s.eightBit {
		for _, b := range p {
			if b >= 0x80 {
				s.eightBit = true
				break
			}
		}
	}
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

// spooled describes a file written to the spool.
type spooled struct {
	name     string // file name inside the spool folder
	size     int64
	eightBit bool
}

// writeSpool writes a new .eml durably: a temporary file is written,
// synced, renamed to its final name, and the folder is synced so that the
// rename itself survives a power loss.
func writeSpool(dir string, write func(io.Writer) (int64, error)) (spooled, error) {
	var random [16]byte
	rand.Read(random[:])
	name := hex.EncodeToString(random[:]) + spoolSuffix
	final := filepath.Join(dir, name)
	temp := final + tempSuffix
	f, err := os.OpenFile(temp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return spooled{}, fmt.Errorf("cannot save the message to disk: %w", err)
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	sw := &spoolWriter{w: buf}
	if _, err := write(sw); err != nil {
		// The message itself is at fault (say, an attachment vanished):
		// its error already names what is wrong.
		f.Close()
		os.Remove(temp)
		return spooled{}, err
	}
	err = buf.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(temp, final)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(temp)
		os.Remove(final)
		return spooled{}, fmt.Errorf("cannot save the message to disk: %w", err)
	}
	return spooled{name: name, size: sw.n, eightBit: sw.eightBit}, nil
}

// syncDir makes a rename or removal in dir durable (POSIX requires syncing
// the directory itself). Windows cannot open directories for syncing; its
// NTFS journal orders the rename with the data instead.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (o *Outbox) spoolPath(name string) string {
	return filepath.Join(o.spool, name)
}

// removeSpool deletes a message's file once no row names it any more.
func (o *Outbox) removeSpool(name string) {
	if name == "" {
		return
	}
	os.Remove(o.spoolPath(name))
}

// orphanSweepDelay keeps the sweep of leftover spool files, which reads
// every file name and the whole table, away from start-up, when the window
// is being drawn.
const orphanSweepDelay = time.Minute

func (o *Outbox) removeOrphansLater(ctx context.Context) {
	select {
	case <-time.After(orphanSweepDelay):
		o.removeOrphans(ctx)
	case <-ctx.Done():
	}
}

// removeOrphans deletes spool files that no row names and that are old
// enough not to belong to an enqueue in progress. Run calls it once, in the
// background, as it reads the whole folder.
func (o *Outbox) removeOrphans(ctx context.Context) {
	entries, err := os.ReadDir(o.spool)
	if err != nil {
		return
	}
	named, err := o.spoolNames(ctx)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-orphanAge)
	for _, e := range entries {
		name := e.Name()
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if strings.HasSuffix(name, tempSuffix) {
			os.Remove(filepath.Join(o.spool, name))
			continue
		}
		if strings.HasSuffix(name, spoolSuffix) && !named[name] {
			os.Remove(filepath.Join(o.spool, name))
		}
	}
}

// spoolNames returns every spool file name a row refers to.
func (o *Outbox) spoolNames(ctx context.Context) (map[string]bool, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT spool FROM outbox_messages WHERE spool <> ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names[name] = true
	}
	return names, rows.Err()
}

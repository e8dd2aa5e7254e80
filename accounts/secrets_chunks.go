package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// Secrets longer than one keyring entry can hold.
//
// Windows' Credential Manager holds at most 2,560 bytes per entry
// (CRED_MAX_CREDENTIAL_BLOB_SIZE; go-keyring refuses more with
// ErrSetDataTooBig), and the macOS Keychain, reached through
// "security -i", takes a command line of at most 4,096 bytes holding the
// secret in base64 (4/3 of its size) next to the service and the user.
// OAuth refresh tokens, Microsoft's above all, can be longer. So a secret
// longer than maxEntrySecret bytes is kept in several entries ("chunks"),
// and the account's own entry, the head, says where they are. 2,000 bytes
// leave room under both limits: 2,000 < 2,560 on Windows even if a future
// go-keyring stored UTF-8 with some framing, and base64 of 2,000 bytes is
// 2,668, well under macOS's 4,096 with the rest of the command. One code
// path on every platform, so what the tests prove on Linux holds there.
//
// Rotation is crash-safe: the new secret's chunks are written first under
// a new generation, then the head is switched to them in one Set (one
// entry is replaced atomically by every keyring), then the previous
// generation's chunks are deleted. A reader never sees a mix: the head
// names one generation, whose chunks are never rewritten while the head
// names them, and the head carries the length and a SHA-256 prefix of the
// whole that a read checks.
//
// Each write draws its generation at random rather than counting on from
// the live one: two processes rotating the same secret at once (Microsoft
// may accept the old refresh token for a while) would otherwise write the
// same chunk names and leave a head whose chunks are a mix of both. The
// account's "pending" entry lists every generation that may have chunks in
// the keyring: a write adds its own before writing any chunk, and takes
// the one it replaced out only once that one's chunks are deleted. So the
// chunks that a crash, a failed delete or a concurrent writer left are
// always listed, and Delete removes them with the account. (Which process
// wins a concurrent rotation is not decided here: the accounts Store
// serializes the refreshes of one account across processes.)
const maxEntrySecret = 2000

// maxChunks bounds the chunks a head may name (64 × 2,000 bytes, far above
// any token), so that a damaged head cannot send a read or a delete through
// millions of keyring calls.
const maxChunks = 64

// maxPending bounds the generations the pending entry remembers.
const maxPending = 16

// chunkedPrefix starts the head of a chunked secret:
// "postie-chunked:v1:GEN:COUNT:LEN:SHA256PREFIX". A secret that itself
// starts so is stored chunked too, so a head is never mistaken for one.
const chunkedPrefix = "postie-chunked:v1:"

// chunkedHead is what the head entry of a chunked secret says.
type chunkedHead struct {
	gen, count, length int
	sum                string // first 16 hex digits of the secret's SHA-256
}

func (h chunkedHead) String() string {
	return fmt.Sprintf("%s%d:%d:%d:%s", chunkedPrefix, h.gen, h.count, h.length, h.sum)
}

func parseChunkedHead(v string) (chunkedHead, bool) {
	rest, ok := strings.CutPrefix(v, chunkedPrefix)
	if !ok {
		return chunkedHead{}, false
	}
	f := strings.Split(rest, ":")
	if len(f) != 4 {
		return chunkedHead{}, false
	}
	var h chunkedHead
	var err1, err2, err3 error
	h.gen, err1 = strconv.Atoi(f[0])
	h.count, err2 = strconv.Atoi(f[1])
	h.length, err3 = strconv.Atoi(f[2])
	h.sum = f[3]
	if err1 != nil || err2 != nil || err3 != nil || h.count < 1 || h.count > maxChunks || h.gen < 1 {
		return chunkedHead{}, false
	}
	return h, true
}

func secretSum(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:8])
}

// chunkUser is the keyring user of chunk i of generation gen of account
// id's secret.
func chunkUser(id string, gen, i int) string {
	return id + "#" + strconv.Itoa(gen) + "." + strconv.Itoa(i)
}

// pendingUser is the keyring user of the entry that lists the generations
// of account id's secret being written: space-separated numbers.
func pendingUser(id string) string { return id + "#pending" }

// newGeneration draws a generation number at random (1 to 2^31-1), so
// that two concurrent writes never share chunk names.
func newGeneration() (int, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint32(b[:])>>1) | 1, nil
}

// fitsOneEntry says whether the secret is stored in the head itself, as
// every secret was before chunks existed.
func fitsOneEntry(secret string) bool {
	return len(secret) <= maxEntrySecret && !strings.HasPrefix(secret, chunkedPrefix)
}

// splitSecret cuts the secret into parts of at most max bytes, on UTF-8
// boundaries, so that each part is a valid string for every keyring.
func splitSecret(secret string, max int) []string {
	var parts []string
	for len(secret) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(secret[cut]) {
			cut--
		}
		parts = append(parts, secret[:cut])
		secret = secret[cut:]
	}
	return append(parts, secret)
}

// errChunkMissing and errChunkDamaged make a chunked secret unreadable.
var (
	errChunkMissing = errors.New("a part of the saved secret is missing from the keyring")
	errChunkDamaged = errors.New("the parts of the saved secret in the keyring do not fit together")
)

func (s *Secrets) keyringGet(ctx context.Context, user string) (string, error) {
	return s.call(ctx, func() (string, error) { return s.keyring().Get(KeyringService, user) }, nil)
}

func (s *Secrets) keyringSet(ctx context.Context, user, value string, late func(error)) error {
	_, err := s.call(ctx, func() (string, error) { return "", s.keyring().Set(KeyringService, user, value) }, late)
	return err
}

func (s *Secrets) keyringDelete(ctx context.Context, user string) error {
	_, err := s.call(ctx, func() (string, error) { return "", s.keyring().Delete(KeyringService, user) }, nil)
	return err
}

// setChunked saves the secret: in the head alone when it fits, else in
// chunks of a new generation and then the head. See maxEntrySecret.
func (s *Secrets) setChunked(ctx context.Context, id, secret string, late func(error)) error {
	old, err := s.keyringGet(ctx, id)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		// The live head cannot be read (a keyring that asks the user, who
		// may yet answer): write all the same, as the caller asked. The
		// chunks the old head may name stay listed in the pending entry,
		// where Delete finds them.
		old = ""
	}
	oldHead, wasChunked := parseChunkedHead(old)
	head := secret
	if !fitsOneEntry(secret) {
		gen, err := newGeneration()
		if err != nil {
			return err
		}
		listed := []int{gen}
		if wasChunked {
			listed = append(listed, oldHead.gen)
		}
		if err := s.updatePending(ctx, id, listed, nil); err != nil {
			return err
		}
		parts := splitSecret(secret, maxEntrySecret)
		for i, part := range parts {
			if err := s.keyringSet(ctx, chunkUser(id, gen, i), part, nil); err != nil {
				return err
			}
		}
		head = chunkedHead{gen: gen, count: len(parts), length: len(secret), sum: secretSum(secret)}.String()
		if late != nil {
			// A head written after all, and removed by late, takes its
			// chunks with it. Plain calls: late runs after the timeout.
			undo := late
			late = func(err error) {
				undo(err)
				if err == nil {
					for i := range parts {
						s.keyring().Delete(KeyringService, chunkUser(id, gen, i))
					}
					s.keyring().Delete(KeyringService, pendingUser(id))
				}
			}
		}
	}
	if err := s.keyringSet(ctx, id, head, late); err != nil {
		return err
	}
	if wasChunked {
		// The switch is done; what remains is tidying. A failure leaves
		// the old chunks listed as pending, for Delete.
		if s.deleteGeneration(ctx, id, oldHead.gen, oldHead.count) == nil {
			s.updatePending(ctx, id, nil, []int{oldHead.gen})
		}
	}
	return nil
}

// readPending returns the generations the pending entry lists.
func (s *Secrets) readPending(ctx context.Context, id string) ([]int, error) {
	v, err := s.keyringGet(ctx, pendingUser(id))
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var gens []int
	for _, f := range strings.Fields(v) {
		if g, err := strconv.Atoi(f); err == nil && g >= 1 && len(gens) < maxPending {
			gens = append(gens, g)
		}
	}
	return gens, nil
}

// updatePending adds generations to the pending entry and takes others
// out, deleting the entry when it lists nothing more.
func (s *Secrets) updatePending(ctx context.Context, id string, add, remove []int) error {
	gens, err := s.readPending(ctx, id)
	if err != nil {
		return err
	}
	gens = slices.DeleteFunc(gens, func(g int) bool { return slices.Contains(remove, g) || slices.Contains(add, g) })
	gens = append(gens, add...)
	if len(gens) > maxPending {
		gens = gens[len(gens)-maxPending:]
	}
	if len(gens) == 0 {
		err := s.keyringDelete(ctx, pendingUser(id))
		if errors.Is(err, keyring.ErrNotFound) {
			return nil
		}
		return err
	}
	words := make([]string, len(gens))
	for i, g := range gens {
		words[i] = strconv.Itoa(g)
	}
	return s.keyringSet(ctx, pendingUser(id), strings.Join(words, " "), nil)
}

// deleteGeneration deletes the chunks of one generation. With its count
// known (from a head), it deletes them from the last to the first, so
// that a crash halfway leaves a run from the first, which is what the
// count-less probe finds: from the first chunk until one is missing.
// Chunks are written from the first too, so the probe also finds all that
// a crash before the switch left.
func (s *Secrets) deleteGeneration(ctx context.Context, id string, gen, count int) error {
	if gen < 1 {
		return nil
	}
	for i := count - 1; i >= 0; i-- {
		if err := s.keyringDelete(ctx, chunkUser(id, gen, i)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
	}
	if count > 0 {
		return nil
	}
	return s.deleteChunksFrom(ctx, id, gen, 0)
}

// deleteChunksFrom deletes the chunks of a generation from index first
// until one is missing (or maxChunks).
func (s *Secrets) deleteChunksFrom(ctx context.Context, id string, gen, first int) error {
	for i := first; i < maxChunks; i++ {
		err := s.keyringDelete(ctx, chunkUser(id, gen, i))
		if errors.Is(err, keyring.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// getChunked reads the secret whole. A chunk that vanished because
// another process rotated the secret meanwhile makes it read the head
// again, a few times.
func (s *Secrets) getChunked(ctx context.Context, id string) (string, error) {
	for attempt := 0; ; attempt++ {
		head, err := s.keyringGet(ctx, id)
		if errors.Is(err, keyring.ErrNotFound) {
			return "", ErrNoSecret
		}
		if err != nil {
			return "", err
		}
		h, chunked := parseChunkedHead(head)
		if !chunked {
			return head, nil
		}
		secret, err := s.readChunks(ctx, id, h)
		if errors.Is(err, errChunkMissing) && attempt < 2 {
			continue
		}
		return secret, err
	}
}

func (s *Secrets) readChunks(ctx context.Context, id string, h chunkedHead) (string, error) {
	var b strings.Builder
	for i := 0; i < h.count; i++ {
		part, err := s.keyringGet(ctx, chunkUser(id, h.gen, i))
		if errors.Is(err, keyring.ErrNotFound) {
			return "", &KeyringError{Problem: KeyringFailed, Err: errChunkMissing}
		}
		if err != nil {
			return "", err
		}
		b.WriteString(part)
	}
	secret := b.String()
	if len(secret) != h.length || secretSum(secret) != h.sum {
		return "", &KeyringError{Problem: KeyringFailed, Err: errChunkDamaged}
	}
	return secret, nil
}

// deleteChunked removes every chunk the head names, and those of the
// generations the pending entry lists, then the pending entry, and the head
// last: a delete that fails halfway leaves the head, or the pending entry,
// naming what is left, so that the next Delete finds it.
func (s *Secrets) deleteChunked(ctx context.Context, id string) error {
	head, err := s.keyringGet(ctx, id)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	hasHead := err == nil
	if h, chunked := parseChunkedHead(head); hasHead && chunked {
		if err := s.deleteGeneration(ctx, id, h.gen, h.count); err != nil {
			return err
		}
	}
	pending, err := s.readPending(ctx, id)
	if err != nil {
		return err
	}
	for _, gen := range pending {
		if err := s.deleteGeneration(ctx, id, gen, 0); err != nil {
			return err
		}
	}
	if len(pending) > 0 {
		if err := s.keyringDelete(ctx, pendingUser(id)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
	}
	if !hasHead {
		return nil
	}
	if err := s.keyringDelete(ctx, id); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	return nil
}

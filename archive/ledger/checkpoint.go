package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed tree head as the archive keeps it: the tree's size
// and root, the signed note that states them and, when a timestamp
// authority is configured, an RFC 3161 timestamp of the note.
type Checkpoint struct {
	ID        int64      `json:"id"`
	Size      uint64     `json:"size"`
	Root      []byte     `json:"root"`
	Note      string     `json:"note"`
	CreatedAt time.Time  `json:"created_at"`
	Timestamp *Timestamp `json:"timestamp,omitempty"`

	// TimestampErr says why a checkpoint just made or asked for has no
	// Timestamp although a timestamp authority is configured. The
	// checkpoint is good and kept regardless: timestamping is
	// best-effort and can be retried.
	TimestampErr error `json:"-"`
}

// Key signs checkpoints. Its name is the log's origin: the first line of
// every checkpoint it signs.
type Key struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// NewKeyName returns a fresh origin for a new archive's log:
// "verbatim.archive/" and eight random hex digits, so that the checkpoints
// of two archives are never confused.
func NewKeyName() string {
	var b [4]byte
	rand.Read(b[:])
	return "verbatim.archive/" + hex.EncodeToString(b[:])
}

// GenerateKey returns a new Ed25519 key named name, as the signer key text
// (the secret "PRIVATE+KEY+name+…" line of golang.org/x/mod/sumdb/note).
func GenerateKey(name string) (skey string, err error) {
	skey, _, err = note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", fmt.Errorf("ledger key: %w", err)
	}
	return skey, nil
}

// ParseKey reads a signer key in the note format.
func ParseKey(skey string) (*Key, error) {
	skey = strings.TrimSpace(skey)
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("ledger key: %w", err)
	}
	return &Key{signer: s, verifier: v, vkey: vkey}, nil
}

// verifierKey derives the public "name+hash+key" text from a signer key.
func verifierKey(skey string) (string, error) {
	// PRIVATE+KEY+<name>+<hash>+<base64(alg || seed)>; a name holds no
	// '+', base64 may.
	rest, ok := strings.CutPrefix(skey, "PRIVATE+KEY+")
	name, rest, ok2 := strings.Cut(rest, "+")
	_, b64, ok3 := strings.Cut(rest, "+")
	if !ok || !ok2 || !ok3 {
		return "", errors.New("malformed signer key")
	}
	seed, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(seed) != 1+ed25519.SeedSize || seed[0] != 1 {
		return "", errors.New("signer key is not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(seed[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}

// Name returns the key's name, the log's origin.
func (k *Key) Name() string { return k.signer.Name() }

// VerifierKey returns the public key text ("name+hash+base64"), what
// ledger.pub holds and verify-receipt --pubkey reads.
func (k *Key) VerifierKey() string { return k.vkey }

// Verifier returns the key's verifier.
func (k *Key) Verifier() note.Verifier { return k.verifier }

// Sign returns the signed checkpoint note for a tree of size leaves with
// the given root.
func (k *Key) Sign(size uint64, root []byte) (string, error) {
	text := log.Checkpoint{Origin: k.Name(), Size: size, Hash: root}.Marshal()
	b, err := note.Sign(&note.Note{Text: string(text)}, k.signer)
	if err != nil {
		return "", fmt.Errorf("sign checkpoint: %w", err)
	}
	return string(b), nil
}

// OpenKey returns the archive's signing key. A non-empty skey (from the
// environment, VERBATIM_LEDGER_KEY) is used as it is; otherwise the key is
// read from keyFile, which is created with a new key named NewKeyName(),
// mode 0600, if neither it nor pubFile exists (a pubFile without its
// keyFile is an error: that key is to be restored, not replaced). The
// public key is written to pubFile (mode 0644) if that does not exist; if
// it exists and holds another key, OpenKey fails rather than sign with a
// key that the published one does not verify.
func OpenKey(keyFile, pubFile, skey string) (*Key, error) {
	if strings.TrimSpace(skey) == "" {
		b, err := os.ReadFile(keyFile)
		switch {
		case err == nil:
			skey = string(b)
		case errors.Is(err, fs.ErrNotExist):
			// A published key without its signing key (an archive
			// restored from a backup made without it): a new key would
			// sign checkpoints that the published one does not verify.
			if pubFile != "" {
				if _, err := os.Stat(pubFile); err == nil {
					return nil, fmt.Errorf("ledger key: %s is missing but %s is there: restore the signing key to %s (or set VERBATIM_LEDGER_KEY); move %s aside only if the key is lost and a new one is meant", filepath.Base(keyFile), filepath.Base(pubFile), keyFile, filepath.Base(pubFile))
				}
			}
			if skey, err = createKeyFile(keyFile); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("ledger key: %w", err)
		}
	}
	k, err := ParseKey(skey)
	if err != nil {
		return nil, err
	}
	if pubFile == "" {
		return k, nil
	}
	b, err := os.ReadFile(pubFile)
	switch {
	case err == nil:
		if strings.TrimSpace(string(b)) != k.vkey {
			return nil, fmt.Errorf("ledger key: %s holds another public key than the signing key's (%s); move it aside only if the key was meant to change", pubFile, k.Name())
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := writeFileAtomic(pubFile, []byte(k.vkey+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("ledger public key: %w", err)
		}
	default:
		return nil, fmt.Errorf("ledger public key: %w", err)
	}
	return k, nil
}

// createKeyFile writes a new key to path, mode 0600, unless another
// process created one first, in which case that one is returned.
func createKeyFile(path string) (string, error) {
	skey, err := GenerateKey(NewKeyName())
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("ledger key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ledger-key-*")
	if err != nil {
		return "", fmt.Errorf("ledger key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.WriteString(skey + "\n")
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("ledger key: %w", err)
		}
	} else {
		tmp.Close()
		return "", fmt.Errorf("ledger key: %w", err)
	}
	// link(2) never replaces: of two processes creating the key at once,
	// the first wins and the other reads its key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			b, rerr := os.ReadFile(path)
			if rerr != nil {
				return "", fmt.Errorf("ledger key: %w", rerr)
			}
			return string(b), nil
		}
		return "", fmt.Errorf("ledger key: %w", err)
	}
	return skey, nil
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ParseVerifierKey reads a public key ("name+hash+base64", as in ledger.pub).
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return v, nil
}

// OpenCheckpoint checks a checkpoint note's signature with v, whose name
// must be the checkpoint's origin, and returns the size and root it states.
func OpenCheckpoint(text string, v note.Verifier) (size uint64, root []byte, err error) {
	n, err := note.Open([]byte(text), note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return 0, nil, fmt.Errorf("checkpoint is not signed by the key %s+%08x", v.Name(), v.KeyHash())
	case errors.As(err, &invalid):
		return 0, nil, fmt.Errorf("checkpoint's signature by %s+%08x is invalid", v.Name(), v.KeyHash())
	case err != nil:
		return 0, nil, fmt.Errorf("checkpoint: %w", err)
	}
	var cp log.Checkpoint
	if _, err := cp.Unmarshal([]byte(n.Text)); err != nil {
		return 0, nil, fmt.Errorf("checkpoint: %w", err)
	}
	if cp.Origin != v.Name() {
		return 0, nil, fmt.Errorf("checkpoint's origin %q is not the key's name %q", cp.Origin, v.Name())
	}
	if len(cp.Hash) != HashSize {
		return 0, nil, fmt.Errorf("checkpoint: root of %d bytes", len(cp.Hash))
	}
	return cp.Size, cp.Hash, nil
}

// CheckpointBody returns the unsigned body of a checkpoint note (origin,
// size and root lines), for showing it, without checking the signature.
func CheckpointBody(text string) (origin string, size uint64, root []byte, err error) {
	body, _, _ := strings.Cut(text, "\n\n")
	var cp log.Checkpoint
	if _, err := cp.Unmarshal([]byte(body + "\n")); err != nil {
		return "", 0, nil, fmt.Errorf("checkpoint: %w", err)
	}
	return cp.Origin, cp.Size, cp.Hash, nil
}

// SameRoot reports whether two roots are equal.
func SameRoot(a, b []byte) bool { return bytes.Equal(a, b) }

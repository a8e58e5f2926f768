// tlogcheck checks kaiji's signed checkpoints, inclusion and consistency proofs and evidence packs with
// Go's own transparency-log code (golang.org/x/mod/sumdb/note and sumdb/tlog), which shares nothing
// with kaiji. It reads the files in one directory, exactly as kaiji's API gave them:
//
//	verifier_key      the log's signed-note verifier key
//	checkpoint_*      signed checkpoints
//	inclusion*.json   GET /api/v1/audit/proof/inclusion answers
//	consistency*.json GET /api/v1/audit/proof/consistency answers
//	evidence*.json    GET /api/v1/audit/evidence answers
//
// It prints one line per check and exits 1 at the first that fails.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func hash(b64 string) tlog.Hash {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != tlog.HashSize {
		fail("not a base64 SHA-256 hash: %q", b64)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		out[i] = hash(s)
	}
	return out
}

type tree struct {
	origin string
	size   int64
	root   tlog.Hash
}

// open checks a checkpoint's signature with the verifier key and reads it (C2SP tlog-checkpoint).
func open(v note.Verifier, text string) tree {
	n, err := note.Open([]byte(text), note.VerifierList(v))
	if err != nil {
		fail("checkpoint does not open under %s: %v", v.Name(), err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		fail("checkpoint text is malformed: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail("checkpoint size %q", lines[1])
	}
	if lines[0] != v.Name() {
		fail("checkpoint origin %q is not the key's name %q", lines[0], v.Name())
	}
	return tree{lines[0], size, hash(lines[2])}
}

type inclusion struct {
	EventID    string   `json:"event_id"`
	LeafIndex  int64    `json:"leaf_index"`
	TreeSize   int64    `json:"tree_size"`
	RootHash   string   `json:"root_hash"`
	LeafData   string   `json:"leaf_data"`
	LeafHash   string   `json:"leaf_hash"`
	AuditPath  []string `json:"audit_path"`
	Checkpoint string   `json:"checkpoint"`
}

type consistency struct {
	FirstSize        int64    `json:"first_size"`
	FirstRoot        string   `json:"first_root"`
	FirstCheckpoint  *string  `json:"first_checkpoint"`
	SecondSize       int64    `json:"second_size"`
	SecondRoot       string   `json:"second_root"`
	SecondCheckpoint string   `json:"second_checkpoint"`
	Proof            []string `json:"proof"`
}

type evidenceEvent struct {
	Seq           int64    `json:"seq"`
	LeafIndex     int64    `json:"leaf_index"`
	Era           string   `json:"era"`
	ID            string   `json:"id"`
	Details       string   `json:"details"`
	DetailsSalt   *string  `json:"details_salt"`
	DetailsSHA256 *string  `json:"details_sha256"`
	RedactedAt    *string  `json:"redacted_at"`
	LeafData      string   `json:"leaf_data"`
	LeafHash      string   `json:"leaf_hash"`
	AuditPath     []string `json:"audit_path"`
}

type evidence struct {
	RequestID   string          `json:"request_id"`
	VerifierKey string          `json:"verifier_key"`
	Checkpoint  string          `json:"checkpoint"`
	TreeSize    int64           `json:"tree_size"`
	RootHash    string          `json:"root_hash"`
	Events      []evidenceEvent `json:"events"`
}

func read(path string, v interface{}) {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		fail("%s: %v", path, err)
	}
}

// leaf checks that the leaf bytes hash to the leaf hash and that a tree-era leaf commits to the event's
// id, sequence number and (salted) details digest.
func leaf(data []byte, leafHash string, seq int64, id string) tlog.Hash {
	h := tlog.RecordHash(data)
	if h != hash(leafHash) {
		fail("event %d: SHA-256(0x00 || leaf) is not the leaf hash given", seq)
	}
	return h
}

func checkEvent(e evidenceEvent, t tree) {
	data, err := base64.StdEncoding.DecodeString(e.LeafData)
	if err != nil {
		fail("event %d: leaf data is not base64", e.Seq)
	}
	var fields []interface{}
	if err := json.Unmarshal(data, &fields); err != nil {
		fail("event %d: leaf data is not a JSON array: %v", e.Seq, err)
	}
	switch e.Era {
	case "tree":
		if len(fields) != 11 || fields[0] != "kaiji-audit/2" {
			fail("event %d: not a kaiji-audit/2 leaf", e.Seq)
		}
		if fields[1].(float64) != float64(e.Seq) || fields[2] != e.ID {
			fail("event %d: the leaf names another event", e.Seq)
		}
		if e.DetailsSHA256 == nil || fields[10] != *e.DetailsSHA256 {
			fail("event %d: the leaf commits to another details digest", e.Seq)
		}
		if e.RedactedAt == nil {
			salt, err := hex.DecodeString(*e.DetailsSalt)
			if err != nil || len(salt) != 32 {
				fail("event %d: salt", e.Seq)
			}
			sum := sha256.Sum256(append(salt, []byte(e.Details)...))
			if hex.EncodeToString(sum[:]) != *e.DetailsSHA256 {
				fail("event %d: details do not match SHA-256(salt || details)", e.Seq)
			}
		} else if e.DetailsSalt != nil {
			fail("event %d: erased, yet its salt is still there", e.Seq)
		}
	case "chain":
		if len(fields) != 11 || fields[0].(float64) != float64(e.Seq) || fields[1] != e.ID {
			fail("event %d: not the chain's canonical form of this event", e.Seq)
		}
	default:
		fail("event %d: unknown era %q", e.Seq, e.Era)
	}
	h := leaf(data, e.LeafHash, e.Seq, e.ID)
	if e.LeafIndex != e.Seq-1 {
		fail("event %d: leaf index %d", e.Seq, e.LeafIndex)
	}
	if err := tlog.CheckRecord(hashes(e.AuditPath), t.size, t.root, e.LeafIndex, h); err != nil {
		fail("event %d: inclusion proof: %v", e.Seq, err)
	}
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: tlogcheck DIR")
	}
	dir := os.Args[1]
	vkey, err := os.ReadFile(filepath.Join(dir, "verifier_key"))
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(string(bytes.TrimSpace(vkey)))
	if err != nil {
		fail("verifier key: %v", err)
	}
	checks := 0
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	sort.Strings(files)
	for _, f := range files {
		name := filepath.Base(f)
		switch {
		case strings.HasPrefix(name, "checkpoint_"):
			raw, _ := os.ReadFile(f)
			t := open(v, string(raw))
			fmt.Printf("ok %s: %s, %d events\n", name, t.origin, t.size)
		case strings.HasPrefix(name, "inclusion"):
			var p inclusion
			read(f, &p)
			t := open(v, p.Checkpoint)
			if t.size != p.TreeSize || t.root != hash(p.RootHash) {
				fail("%s: the proof is for another tree than its checkpoint", name)
			}
			data, err := base64.StdEncoding.DecodeString(p.LeafData)
			if err != nil {
				fail("%s: leaf data", name)
			}
			h := leaf(data, p.LeafHash, p.LeafIndex+1, p.EventID)
			if err := tlog.CheckRecord(hashes(p.AuditPath), t.size, t.root, p.LeafIndex, h); err != nil {
				fail("%s: %v", name, err)
			}
			fmt.Printf("ok %s: event %s is leaf %d of %d\n", name, p.EventID, p.LeafIndex, t.size)
		case strings.HasPrefix(name, "consistency"):
			var p consistency
			read(f, &p)
			second := open(v, p.SecondCheckpoint)
			if p.FirstCheckpoint == nil {
				fail("%s: no signed checkpoint of the first size", name)
			}
			first := open(v, *p.FirstCheckpoint)
			if first.size != p.FirstSize || second.size != p.SecondSize {
				fail("%s: sizes differ from the checkpoints'", name)
			}
			if err := tlog.CheckTree(hashes(p.Proof), second.size, second.root, first.size, first.root); err != nil {
				fail("%s: %v", name, err)
			}
			fmt.Printf("ok %s: %d events extend %d\n", name, second.size, first.size)
		case strings.HasPrefix(name, "evidence"):
			var p evidence
			read(f, &p)
			if p.VerifierKey != string(bytes.TrimSpace(vkey)) {
				fail("%s: another verifier key", name)
			}
			t := open(v, p.Checkpoint)
			if t.size != p.TreeSize || t.root != hash(p.RootHash) {
				fail("%s: tree differs from its checkpoint", name)
			}
			if len(p.Events) == 0 {
				fail("%s: no events", name)
			}
			for _, e := range p.Events {
				checkEvent(e, t)
			}
			fmt.Printf("ok %s: %d events of request %s\n", name, len(p.Events), p.RequestID)
		default:
			continue
		}
		checks++
	}
	if checks == 0 {
		fail("nothing to check in %s", dir)
	}
	fmt.Printf("all %d checks passed\n", checks)
}

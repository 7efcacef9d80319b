package kvimpl

import (
	"encoding/json"
	"strings"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// Unknown keeps the members of an object that its schema does not know
// (written by a newer schema or another program), in the order read, so
// that a read-modify-write does not drop them. It holds no field of the
// schema and prints nothing (see Format).
type Unknown struct {
	members []member
}

type member struct {
	name string
	raw  json.RawMessage // the member's JSON, as read (CheckMember checks it as JSON)
}

// keep adds a member, copying raw.
func (u *Unknown) keep(name []byte, raw []byte) {
	u.members = append(u.members, member{name: string(name), raw: append(json.RawMessage(nil), raw...)})
}

// append appends ,"name":raw for every member.
func (u *Unknown) append(b []byte) []byte {
	for _, m := range u.members {
		b = append(b, ',')
		b = wire.AppendString(b, m.name)
		b = append(b, ':')
		b = append(b, m.raw...)
	}
	return b
}

// check reports the members whose name or value a write may not store
// (see wire.CheckJSON); prefix is the path of the object with a trailing
// dot, or "".
func (u *Unknown) check(p *problems, prefix string) {
	for _, m := range u.members {
		if path, msg := wire.CheckMember(strings.TrimSuffix(prefix, "."), m.name, m.raw); msg != "" {
			p.add(path, msg)
		}
	}
}

// checkReserved reports members of a record whose names belong to the
// encryption envelope: stored, they would make every reader, Python's
// included, take the whole value for an envelope, and the record could no
// longer be read.
func (u *Unknown) checkReserved(p *problems) {
	for _, m := range u.members {
		if m.name == wire.DataKey || m.name == wire.VersionKey {
			p.add(m.name, "is reserved for the encryption envelope")
		}
	}
}

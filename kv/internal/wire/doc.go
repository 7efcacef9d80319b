// Package wire is the JSON and envelope format that package kv and the
// runtime of generated code (kvimpl) share: a scanner and the Decode and
// Append functions of each JSON kind, without reflection; the write checks
// (CheckJSON, CheckText); and py-key-value's Fernet envelope, with the
// binding of a member sealed on its own to its place.
package wire

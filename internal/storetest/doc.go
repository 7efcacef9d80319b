// Package storetest holds, in its subdirectories, the hand-written tests of
// the stores kvgen generated for this repository: oauthclients tests
// generated/oauthclients, fieldsclients tests internal/goonly/fieldsclients.
// They live here rather than beside the code they test so that
// regenerating, which owns those directories, can never touch them.
package storetest

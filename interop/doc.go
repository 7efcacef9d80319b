// Package interop holds kvgen's live tests against the real Python library
// that FastMCP stores its OAuth state with, py-key-value-aio 0.4.4
// (PostgreSQLStore wrapped in FernetEncryptionWrapper): both sides read and
// write one PostgreSQL table, and each must read what the other wrote.
//
// The tests need Debian's python3 with python3-asyncpg and
// python3-cryptography, and the library's source (KVGEN_PYKV_DIR, by default
// shared/pykv-0.4.4 in the directory that holds the checkout). .ci/run installs the Debian
// packages. A missing piece fails the tests; it never skips them.
package interop

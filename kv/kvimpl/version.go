package kvimpl

// Version1 is the version of this package's API that generated code of
// kvgen's first generation calls. Every generated package declares
//
//	const _ = kvimpl.Version1
//
// A runtime that no longer offers what that code calls drops the constant
// (and declares Version2, and so on), so that building such a package with
// it fails with "undefined: kvimpl.Version1", which names the mismatch,
// instead of an error deep in a generated file, or none at all. The fix is
// to regenerate the package with the kvgen of the runtime, or to use the
// runtime of the kvgen that generated it.
const Version1 = 1

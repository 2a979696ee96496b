// Package layering holds the test that keeps imports pointing down
// (../shared/DESIGN.md "Layers", ../shared/STYLE.md "Packages and dependency
// direction"): codecs import no runtime package, runtime packages import
// neither sessions nor codecs, and nothing but cmd/mme imports loadtest/.
//
// Every package of the module must appear in its layer table; a new package
// that does not fails the test until its layer is declared.
package layering

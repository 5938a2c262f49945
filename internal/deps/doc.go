// Package deps holds no code: its test checks the dependency rules that
// keep test infrastructure and the runtime out of binaries that do not ask
// for them (a production main links neither kfake nor the embedded
// registry; the faustgen command does not link the runtime).
package deps

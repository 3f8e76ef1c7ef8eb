// Package faulttest holds the fault tests of supportd: each builds the
// supportd binary, runs it as a subprocess under load from 16 clients, and
// does to it or to its database what a real deployment lives through (a
// SIGKILL of the server, a restart and an outage of PostgreSQL). It has no
// code outside its tests.
package faulttest

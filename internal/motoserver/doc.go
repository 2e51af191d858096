// Package motoserver starts moto_server, an independent AWS emulator, on a
// free loopback port for tests that check our code and our emulator against
// someone else's implementation of the same wire protocols.
package motoserver

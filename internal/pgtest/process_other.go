//go:build !unix

package pgtest

import (
	"errors"
	"os"
	"os/exec"
)

var errNoThrowaway = errors.New("throwaway PostgreSQL clusters are only supported on unix; set DATABASE_URL")

type serverUser struct{ name string }

func lookupServerUser() (serverUser, error) { return serverUser{}, errNoThrowaway }

func (serverUser) apply(*exec.Cmd) {}

func (serverUser) own(string) error { return errNoThrowaway }

func inOwnSession(*exec.Cmd) {}

const postmasterStopSignal = "QUIT"

func startReaper(string, string, string) (*os.File, error) { return nil, errNoThrowaway }

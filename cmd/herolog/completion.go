package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"
)

// completionCmd is `herolog completion SHELL`: it prints the line that
// hooks herolog's completion into the shell. The completion itself is
// answered by herolog (kongplete reads COMP_LINE), so commands, flags, enum
// values (--format, --by, ...) and file names always match this binary.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"Shell: ${enum}."`
}

// Help is shown under the command's usage line.
func (c *completionCmd) Help() string {
	return `Load completion in the current shell, or add the line to its startup file.

Examples:
  source <(herolog completion bash)        # bash, in ~/.bashrc
  source <(herolog completion zsh)         # zsh, in ~/.zshrc
  herolog completion fish | source         # fish, in ~/.config/fish/config.fish`
}

var completionScripts = map[string]string{
	"bash": "complete -o default -C ${bin} ${cmd}\n",
	"zsh":  "autoload -U +X bashcompinit && bashcompinit\ncomplete -o default -C ${bin} ${cmd}\n",
	"fish": `function __complete_${cmd}
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    ${bin}
end
complete -c ${cmd} -a "(__complete_${cmd})"
`,
}

// Run prints the script for the shell.
func (c *completionCmd) Run(e *env) error {
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	if abs, err := filepath.Abs(bin); err == nil {
		bin = abs
	}
	vars := map[string]string{"cmd": "herolog", "bin": shellQuote(bin)}
	script := os.Expand(completionScripts[c.Shell], func(k string) string { return vars[k] })
	_, err = fmt.Fprint(e.stdout, script)
	return err
}

// shellQuote quotes a path for sh, bash, zsh and fish.
func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// completeIfAsked answers a shell's completion request (COMP_LINE set) and
// exits; otherwise it returns and the command line is parsed as usual.
func completeIfAsked(parser *kong.Kong) {
	kongplete.Complete(parser,
		kongplete.WithPredictor("file", complete.PredictFiles("*")),
		kongplete.WithExitFunc(func(code int) { panic(kongExit(code)) }),
	)
}

#!/bin/sh
# Writes docs/cli.md from the CLI's own --help, so the reference cannot drift from the code.
#   scripts/cli-docs.sh [path/to/quern] > docs/cli.md      (make docs does this)
# A test (Tests/IntegrationTests/DocsTests.swift) runs it and fails when docs/cli.md differs.
set -eu
QUERN=${1:-.build/debug/quern}
export COLUMNS=100   # the help is wrapped to the terminal: fix the width so the output is stable
commands=$("$QUERN" --help | awk '/^SUBCOMMANDS:/ {on=1; next} on && /^  [a-z]/ {print $1}')
echo "# quern command reference"
echo
echo "Generated from \`quern --help\` and \`quern <command> --help\` by \`scripts/cli-docs.sh\` (\`make docs\`)."
echo "Do not edit by hand: a test fails when this file and the CLI disagree."
echo
for c in $commands; do echo "- [\`quern $c\`](#quern-$c)"; done
echo
echo "## quern"
echo
echo '```'
"$QUERN" --help
echo '```'
for c in $commands; do
  echo
  echo "## quern $c"
  echo
  echo '```'
  "$QUERN" "$c" --help
  echo '```'
done

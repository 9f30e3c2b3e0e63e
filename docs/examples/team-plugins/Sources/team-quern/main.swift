// The team's quern: every built-in plugin plus the team's own. Build it with `swift build`, then
// `.build/debug/team-quern plugins` lists them all; every command and flag is quern's.
import QuernCLI
import QuernPlugins
import TeamPlugins

await QuernCLI.main(plugins: builtInPlugins + teamPlugins)

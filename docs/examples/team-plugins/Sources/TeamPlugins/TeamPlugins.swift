public import QuernKit

/// The team's plugins: what `team-quern` adds to the built-ins, and what the tests run the
/// conformance suites over. A new plugin of the team is a line here.
public let teamPlugins: [any Plugin.Type] = [
    PairFeaturesExtractor.self,
    StratifiedHeadStrategy.self,
]

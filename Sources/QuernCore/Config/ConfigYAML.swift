import Yams

extension ConfigValue {
    /// The tree as YAML text, keys in their order, every scalar quoted (the loader reads scalars
    /// as text anyway, so `"4"` and `4` mean the same). Used to write the resolved config that
    /// `quern slurm` jobs read.
    public var yamlText: String {
        func node(_ v: ConfigValue) -> Node {
            switch v.kind {
            case .scalar(let s): return Node(s, .implicit, .doubleQuoted)
            case .null: return Node("null", .implicit, .plain)
            case .list(let items): return .sequence(Node.Sequence(items.map(node)))
            case .map(let entries): return .mapping(Node.Mapping(entries.map { (Node($0.0), node($0.1)) }))
            }
        }
        return (try? Yams.serialize(node: node(self))) ?? "{}\n"
    }

    /// The tree without the key at a dotted path (`extract.shard`).
    public func removing(_ path: String) -> ConfigValue {
        let parts = path.split(separator: ".").map(String.init)
        guard let head = parts.first, case .map(let entries) = kind else { return self }
        if parts.count == 1 { return ConfigValue(.map(entries.filter { $0.0 != head }), mark: mark) }
        let rest = parts.dropFirst().joined(separator: ".")
        return ConfigValue(.map(entries.map { $0.0 == head ? ($0.0, $0.1.removing(rest)) : $0 }), mark: mark)
    }
}

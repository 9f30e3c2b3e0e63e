/// What an extractor produces per row: named float features (each marked normalized or not),
/// integer label heads, int8 mask heads, whether rows carry a group key, and output arrays of its
/// own beside X (``OutputArray``: the `rank_genes` tokens, saved as `<name>_<split>.npy`).
public struct FeatureSchema: Sendable, Codable, Equatable {
    public struct Feature: Sendable, Codable, Equatable {
        public var name: String
        /// Whether the normalize stage rescales it (numeric: yes; one-hot and hashed: no).
        public var normalized: Bool
        public init(_ name: String, normalized: Bool) {
            self.name = name
            self.normalized = normalized
        }
    }

    public struct LabelHead: Sendable, Codable, Equatable {
        public var name: String
        /// Number of classes: labels are 0..<classes.
        public var classes: Int
        /// Class names when the labels were mapped from text, else nil.
        public var classNames: [String]?
        public init(name: String, classes: Int, classNames: [String]? = nil) {
            self.name = name
            self.classes = classes
            self.classNames = classNames
        }
    }

    public struct MaskHead: Sendable, Codable, Equatable {
        public var name: String
        public var width: Int
        /// The label head whose class this mask constrains (its own bit must be set), if any.
        public var label: String?
        public init(name: String, width: Int, label: String? = nil) {
            self.name = name
            self.width = width
            self.label = label
        }
    }

    public var features: [Feature]
    public var labels: [LabelHead]
    public var masks: [MaskHead]
    public var hasGroups: Bool
    /// Arrays the extractor declares beside X, each filled for every row (see ``OutputArray``).
    public var arrays: [OutputArray]

    public init(
        features: [Feature], labels: [LabelHead], masks: [MaskHead], hasGroups: Bool, arrays: [OutputArray] = []
    ) {
        self.features = features
        self.labels = labels
        self.masks = masks
        self.hasGroups = hasGroups
        self.arrays = arrays
    }

    private enum CodingKeys: String, CodingKey { case features, labels, masks, hasGroups, arrays }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        features = try c.decode([Feature].self, forKey: .features)
        labels = try c.decode([LabelHead].self, forKey: .labels)
        masks = try c.decode([MaskHead].self, forKey: .masks)
        hasGroups = try c.decode(Bool.self, forKey: .hasGroups)
        arrays = try c.decodeIfPresent([OutputArray].self, forKey: .arrays) ?? []
    }

    /// `arrays` is written only when there are some, so the metadata of every schema without
    /// them (batch files, plans, `transform.json`) stays byte for byte what it was.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(features, forKey: .features)
        try c.encode(labels, forKey: .labels)
        try c.encode(masks, forKey: .masks)
        try c.encode(hasGroups, forKey: .hasGroups)
        if !arrays.isEmpty { try c.encode(arrays, forKey: .arrays) }
    }

    public var featureNames: [String] { features.map(\.name) }
}

/// What an extractor produces per row: named float features (each marked normalized or not),
/// integer label heads, int8 mask heads, and whether rows carry a group key.
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

    public init(features: [Feature], labels: [LabelHead], masks: [MaskHead], hasGroups: Bool) {
        self.features = features
        self.labels = labels
        self.masks = masks
        self.hasGroups = hasGroups
    }

    public var featureNames: [String] { features.map(\.name) }
}

/// Identifies what a batch was made with: extractor name, its options, and the schema. Batches with
/// different fingerprints are never mixed.
public struct SchemaFingerprint: Sendable, Codable, Equatable, Hashable, CustomStringConvertible {
    public var value: String

    public init(value: String) { self.value = value }

    public init(extractor: String, options: String, schema: FeatureSchema) {
        var text = "extractor=\(extractor)\noptions=\(options)\nfeatures="
        text += schema.features.map { "\($0.name)\($0.normalized ? "~" : "")" }.joined(separator: ",")
        text += "\nlabels=" + schema.labels.map { "\($0.name)/\($0.classes)/\(($0.classNames ?? []).joined(separator: "|"))" }.joined(separator: ",")
        text += "\nmasks=" + schema.masks.map { "\($0.name)/\($0.width)/\($0.label ?? "")" }.joined(separator: ",")
        text += "\ngroups=\(schema.hasGroups)"
        let h = FNV1a64.hash(Array(text.utf8))
        value = String(h, radix: 16).leftPadded(to: 16)
    }

    public var description: String { value }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

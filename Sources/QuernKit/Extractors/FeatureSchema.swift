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
